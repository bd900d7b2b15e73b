package handlers

import (
	"context"
	"fmt"
	"strings"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The welcome: a greeting in the configured channel when someone joins,
// pinging the newcomer and nobody else (the post's Notify names them
// alone; the text itself cannot ping).

func (m *moderation) welcome(ctx context.Context, tx *store.Tx, e *bot.MemberChange) error {
	w := m.r.Config.Moderation.Welcome
	if e.Left || e.User.Bot || w.Channel.ID == "" || w.Channel.GuildID != e.ScopeID {
		return nil
	}
	server := e.ScopeID
	for _, g := range m.r.Config.Discord.Guilds {
		if g.ID == e.ScopeID && g.Name != "" {
			server = g.Name
		}
	}
	if server == e.ScopeID {
		server = "the server"
	}
	text := strings.NewReplacer("{user}", e.User.Label(), "{server}", server).Replace(w.Text)
	at := e.At
	if at.IsZero() {
		at = m.r.Clock.Now()
	}
	post := bot.Post{ChannelID: w.Channel.ID, Notify: []string{e.User.ID}, Text: text}
	_, err := tx.Enqueue(ctx, m.r.Clock.Now(), &bot.OutboxMessage{
		Key:      fmt.Sprintf("welcome:%s:%s:%d", e.ScopeID, e.User.ID, at.Unix()),
		Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: mustJSON(post),
	})
	return err
}
