package slackbot_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/slackbot"
	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

func TestSocketModeDeliversEventsAndCommandsAndAcksThem(t *testing.T) {
	t.Parallel()
	tb := setup(t, func(o *slackbot.Options) { o.AppToken = appToken; o.SigningSecret = "" })
	tb.handler.onCommand = func(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
		// A help list, kept rendered: its ack carries the JSON kept.
		return &bot.Reply{Text: "Liaison can relay, approve and report.", Stock: true}, nil
	}
	var failed atomic.Bool
	tb.handler.onEvent = func(ctx context.Context, ev bot.Event) error {
		if m, ok := ev.(*bot.Message); ok && m.Text == "flaky" && failed.CompareAndSwap(false, true) {
			return errors.New("database hiccup")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- tb.adapter.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-ran; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	}()
	if err := tb.fake.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("Run did not connect: %v", err)
	}

	ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "the export crashes", TimeStamp: "1700000000.000100"}
	id := tb.fake.SendEnvelope(slackfake.EnvelopeEventsAPI, tb.fake.EventCallback("", "EvS1", time.Now(), ev))
	payload, err := tb.fake.WaitAck(ctx, id)
	if err != nil {
		t.Fatalf("event not acked: %v", err)
	}
	if payload != nil {
		t.Errorf("event ack carried %s, want nothing", payload)
	}
	tb.handler.mu.Lock()
	got := tb.handler.events
	tb.handler.mu.Unlock()
	if len(got) != 1 || got[0].(*bot.Message).Text != "the export crashes" || got[0].Delivered().Keys[0].Key != slackfake.TeamID+":EvS1" {
		t.Errorf("handler got %+v, want the message with its event id", got)
	}

	cmdID := tb.fake.SendEnvelope(slackfake.EnvelopeSlashCommands, slack.SlashCommand{ChannelID: product, UserID: carol, Command: "/liaison", Text: "help"})
	payload, err = tb.fake.WaitAck(ctx, cmdID)
	if err != nil {
		t.Fatalf("command not acked: %v", err)
	}
	var msg struct{ Text, ResponseType string }
	if err := json.Unmarshal(payload, &msg); err != nil || msg.Text != "Liaison can relay, approve and report." {
		t.Errorf("command ack payload = %s, want the reply", payload)
	}
	tb.handler.mu.Lock()
	cmds := tb.handler.commands
	tb.handler.mu.Unlock()
	if len(cmds) != 1 || cmds[0].Name != "liaison" || cmds[0].Text != "help" || len(cmds[0].Keys) != 1 {
		t.Errorf("handler got commands %+v", cmds)
	}

	// A failed event is not acked; Slack redelivers it (here on reconnect)
	// and the retry is handled.
	flaky := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "flaky", TimeStamp: "1700000000.000200"}
	id = tb.fake.SendEnvelope(slackfake.EnvelopeEventsAPI, tb.fake.EventCallback("", "EvS2", time.Now(), flaky))
	wait(t, "the failed attempt", func() bool { return tb.handler.calls() == 3 })
	tb.fake.Disconnect()
	if _, err := tb.fake.WaitAck(ctx, id); err != nil {
		t.Fatalf("redelivered event not acked: %v", err)
	}
	tb.handler.mu.Lock()
	last := tb.handler.events[len(tb.handler.events)-1]
	tb.handler.mu.Unlock()
	if last.Delivered().Retry != 1 {
		t.Errorf("redelivery carried retry %d, want 1", last.Delivered().Retry)
	}
}
