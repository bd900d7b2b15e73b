package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/discordbot"
)

// discordBoard checks the status board (feedback.board) when it is in
// server cg: a forum channel, wearing Liaison's status tags or with room
// for them and Manage Channels to add them. The channel's access and
// permissions are checked with the other channels (discordNeeds).
func (d *doctor) discordBoard(ctx context.Context, g *group, in *discordbot.Inspector, guild *discordgo.Guild, member *discordgo.Member, botRole string, cg config.Guild) {
	board := d.cfg.Feedback.Board
	if board.ID == "" || board.GuildID != cg.ID {
		return
	}
	id, title := "discord.board."+cg.ID, "board #"+board.Name
	ch, err := in.Channel(ctx, board.ID)
	if err != nil {
		return // the channel's own check says why
	}
	if ch.Type != discordgo.ChannelTypeGuildForum {
		g.fail(id, title, fmt.Sprintf("#%s is not a forum channel: the status board gives each item a post, which only a forum holds", ch.Name),
			"create a forum channel (Create Channel → Forum) and name it in feedback.board, like discord:ideas-board with its id under discord.channels")
		return
	}
	var missing []string
	for _, name := range bot.BoardTags {
		if !slices.ContainsFunc(ch.AvailableTags, func(t discordgo.ForumTag) bool { return strings.EqualFold(t.Name, name) }) {
			missing = append(missing, name)
		}
	}
	have := discordbot.ChannelPermissions(guild, member, ch)
	switch {
	case len(missing) == 0:
		g.ok(id, title, "a forum with the status tags "+strings.Join(bot.BoardTags, ", "))
	case len(ch.AvailableTags)+len(missing) > 20:
		g.warn(id, title, fmt.Sprintf("the forum has %d tags and lacks %s: Discord allows 20, so posts go without those statuses' tags", len(ch.AvailableTags), strings.Join(missing, ", ")),
			fmt.Sprintf("remove %d tag(s) from #%s (Edit Channel → Tags), or add %s yourself", len(ch.AvailableTags)+len(missing)-20, ch.Name, strings.Join(missing, ", ")))
	case have&discordgo.PermissionManageChannels == 0:
		g.warn(id, title, "the forum lacks the tags "+strings.Join(missing, ", ")+" and Liaison may not add them (Manage Channels)",
			fmt.Sprintf("give %s Manage Channels in #%s's permissions, or add the tags yourself (Edit Channel → Tags)", botRole, ch.Name))
	default:
		g.ok(id, title, "a forum; Liaison adds the tags "+strings.Join(missing, ", ")+" with its first post")
	}
}
