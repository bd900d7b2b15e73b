package console

import (
	"slices"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/slackbot"
)

// Whom Liaison's messages notify. Every message Liaison posts or edits
// where others see it prints, after its text and before its buttons,
// "(pings: nobody)" or "(pings: @alice, @bob)", worked out from what the
// real senders send: on Discord from the content and allowed_mentions the
// Discord sender builds (discordbot.PostOutgoing), on Slack from the
// mentions Slack parses in what the Slack sender renders
// (slackbot.PostPings). So a person trying the console sees that user text
// never pings.

// discordPings is the pings line of a message Liaison sends Discord as o;
// replyTo is the message it replies to, nil when none. c.mu is held.
func (c *Console) discordPings(o discordbot.Outgoing, replyTo *message) string {
	p := o.Pings()
	var who []string
	if p.Everyone {
		who = append(who, "@everyone")
	}
	if p.Here {
		who = append(who, "@here")
	}
	for _, id := range p.Roles {
		who = append(who, "@"+c.dir.roleName(id))
	}
	for _, id := range p.Users {
		who = append(who, "@"+c.dir.userName(bot.PlatformDiscord, id))
	}
	if p.RepliedUser && replyTo != nil {
		if n := "@" + replyTo.author.Name; !slices.Contains(who, n) {
			who = append(who, n)
		}
	}
	return pingsText(who)
}

// slackPings is the pings line of a Slack message whose rendering mentions
// these (slackbot.PostPings: "@U…", "!channel", "!subteam^S…"). c.mu is
// held.
func (c *Console) slackPings(mentions []string) string {
	who := make([]string, len(mentions))
	for i, m := range mentions {
		switch {
		case strings.HasPrefix(m, "@"):
			who[i] = "@" + c.dir.userName(bot.PlatformSlack, m[1:])
		case strings.HasPrefix(m, "!subteam^"):
			who[i] = "@" + strings.TrimPrefix(m, "!subteam^") // the console's Slack has no groups to name
		default:
			who[i] = "@" + strings.TrimPrefix(m, "!")
		}
	}
	return pingsText(who)
}

// postPings is the pings line of a post or an edit on platform; an error
// when the platform's sender would refuse the post. c.mu is held.
func (c *Console) postPings(platform string, p *bot.Post, replyTo *message) (string, error) {
	if platform == bot.PlatformDiscord {
		return c.discordPings(discordbot.PostOutgoing(p), replyTo), nil
	}
	mentions, err := slackbot.PostPings(p)
	if err != nil {
		return "", &bot.PermanentError{Err: err}
	}
	return c.slackPings(mentions), nil
}

// replyPings is the pings line of an answer shown in the channel. c.mu is
// held.
func (c *Console) replyPings(platform string, r *bot.Reply) string {
	if platform == bot.PlatformDiscord {
		return c.discordPings(discordbot.TextOutgoing(r.Text), nil)
	}
	return c.slackPings(slackbot.ReplyPings(r))
}

// uploadPings is the pings line of a file. c.mu is held.
func (c *Console) uploadPings(platform string, u *bot.Upload) string {
	if platform == bot.PlatformDiscord {
		return c.discordPings(discordbot.TextOutgoing(u.Comment), nil)
	}
	return c.slackPings(slackbot.UploadPings(u))
}

func pingsText(who []string) string {
	if len(who) == 0 {
		return "(pings: nobody)"
	}
	return "(pings: " + strings.Join(who, ", ") + ")"
}
