package moderation

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

func (m *Moderation) welcome(ctx context.Context, tx *store.Tx, e *bot.MemberChange) error {
	w := m.cfg.Moderation.Welcome
	if e.Left || e.User.Bot || w.Channel.ID == "" || w.Channel.GuildID != e.ScopeID {
		return nil
	}
	server := e.ScopeID
	for _, g := range m.cfg.Discord.Guilds {
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
		at = m.clock.Now()
	}
	post := bot.Post{ChannelID: w.Channel.ID, Notify: []string{e.User.ID}, Text: text}
	_, err := tx.Enqueue(ctx, m.clock.Now(), &bot.OutboxMessage{
		Key:      fmt.Sprintf("welcome:%s:%s:%d", e.ScopeID, e.User.ID, at.Unix()),
		Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: bot.Payload(post),
	})
	return err
}
