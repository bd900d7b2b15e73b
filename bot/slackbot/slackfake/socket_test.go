package slackfake_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/liaison-bot/liaison/bot/slackbot/slackfake"
)

// received is what the test's Socket Mode consumer saw.
type received struct {
	typ     socketmode.EventType
	data    any
	request *socketmode.Request
}

// runSocketMode runs slack-go's socketmode client against the fake. The
// consumer acks every request, with ackPayload for slash commands, and
// forwards it on the returned channel. Everything stops at cleanup.
func runSocketMode(t *testing.T, api *slack.Client, ackPayload any) <-chan received {
	t.Helper()
	client := socketmode.New(api)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan received, 16)
	runErr := make(chan error, 1)
	consumed := make(chan struct{})
	go func() { runErr <- client.RunContext(ctx) }()
	go func() {
		defer close(consumed)
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				if evt.Request == nil || evt.Request.EnvelopeID == "" {
					continue // connecting, connected, hello…
				}
				var payload []any
				if evt.Type == socketmode.EventTypeSlashCommand {
					payload = append(payload, ackPayload)
				}
				if err := client.Ack(*evt.Request, payload...); err != nil {
					t.Errorf("Ack: %v", err)
				}
				select {
				case got <- received{evt.Type, evt.Data, evt.Request}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-runErr; !errors.Is(err, context.Canceled) {
			t.Errorf("RunContext returned %v, want context.Canceled", err)
		}
		<-consumed
	})
	return got
}

func next(t *testing.T, ctx context.Context, got <-chan received) received {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-ctx.Done():
		t.Fatal("no Socket Mode request reached the client")
		return received{}
	}
}

func TestSocketModeDeliversEventsAndSlashCommandsAndRecordsAcks(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// Sent before anyone is connected: it waits for the first connection.
	ev := slackevents.MessageEvent{Type: "message", Channel: product, User: carol, Text: "the export crashes", TimeStamp: "1700000000.000100"}
	eventID := fake.SendEnvelope(slackfake.EnvelopeEventsAPI, fake.EventCallback("", "Ev01", time.Now(), ev))

	got := runSocketMode(t, api, map[string]string{"text": "Working on it"})
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("WaitConnections: %v", err)
	}

	r := next(t, ctx, got)
	if r.typ != socketmode.EventTypeEventsAPI || r.request.EnvelopeID != eventID || r.request.AcceptsResponsePayload {
		t.Fatalf("first request = %s %q (accepts %v), want events_api %q", r.typ, r.request.EnvelopeID, r.request.AcceptsResponsePayload, eventID)
	}
	outer, ok := r.data.(slackevents.EventsAPIEvent)
	if !ok {
		t.Fatalf("events_api data = %T, want slackevents.EventsAPIEvent", r.data)
	}
	if msg, ok := outer.InnerEvent.Data.(*slackevents.MessageEvent); !ok || msg.Text != "the export crashes" {
		t.Errorf("inner event = %+v, want the message", outer.InnerEvent.Data)
	}
	payload, err := fake.WaitAck(ctx, eventID)
	if err != nil {
		t.Fatalf("WaitAck(event): %v", err)
	}
	if payload != nil {
		t.Errorf("event ack payload = %s, want none", payload)
	}

	cmdID := fake.SendEnvelope(slackfake.EnvelopeSlashCommands, slack.SlashCommand{
		ChannelID: product, UserID: carol, Command: "/liaison", Text: "help",
	})
	r = next(t, ctx, got)
	cmd, ok := r.data.(slack.SlashCommand)
	if r.typ != socketmode.EventTypeSlashCommand || !ok || r.request.EnvelopeID != cmdID || !r.request.AcceptsResponsePayload {
		t.Fatalf("second request = %s %T (accepts %v), want a slash command that accepts a response", r.typ, r.data, r.request.AcceptsResponsePayload)
	}
	if cmd.Command != "/liaison" || cmd.Text != "help" || cmd.UserName != "carol" || cmd.ResponseURL == "" || cmd.TriggerID == "" {
		t.Errorf("slash command = %+v, want /liaison help with names, response_url and trigger", cmd)
	}
	payload, err = fake.WaitAck(ctx, cmdID)
	if err != nil {
		t.Fatalf("WaitAck(command): %v", err)
	}
	var ack struct{ Text string }
	if err := json.Unmarshal(payload, &ack); err != nil || ack.Text != "Working on it" {
		t.Errorf("command ack payload = %s, want the text", payload)
	}

	interID := fake.SendEnvelope(slackfake.EnvelopeInteractive, slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission, User: slack.User{ID: carol},
		View: slack.View{ID: "V0000000001", CallbackID: "reject_reason"},
	})
	r = next(t, ctx, got)
	ic, ok := r.data.(slack.InteractionCallback)
	if r.typ != socketmode.EventTypeInteractive || !ok || ic.View.CallbackID != "reject_reason" || !r.request.AcceptsResponsePayload {
		t.Errorf("third request = %s %+v, want the view submission, accepting a response", r.typ, r.data)
	}
	if _, err := fake.WaitAck(ctx, interID); err != nil {
		t.Fatalf("WaitAck(interaction): %v", err)
	}
}

func TestSocketModeReconnectsAfterDisconnect(t *testing.T) {
	t.Parallel()
	fake, api := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	got := runSocketMode(t, api, nil)
	if err := fake.WaitConnections(ctx, 1); err != nil {
		t.Fatalf("WaitConnections(1): %v", err)
	}

	fake.Disconnect()
	if err := fake.WaitConnections(ctx, 2); err != nil {
		t.Fatalf("client did not reconnect: %v", err)
	}
	if n := len(fake.CallsTo("apps.connections.open")); n != 2 {
		t.Errorf("%d calls to apps.connections.open, want 2", n)
	}

	// The new connection gets envelopes and its acks are recorded.
	ev := slackevents.AppMentionEvent{Type: "app_mention", Channel: product, User: carol, Text: "<@U0BOT> help"}
	id := fake.SendEnvelope(slackfake.EnvelopeEventsAPI, fake.EventCallback("", "Ev02", time.Now(), ev))
	r := next(t, ctx, got)
	if r.request.EnvelopeID != id {
		t.Fatalf("request %q after reconnect, want %q", r.request.EnvelopeID, id)
	}
	if _, err := fake.WaitAck(ctx, id); err != nil {
		t.Fatalf("WaitAck after reconnect: %v", err)
	}
}

func TestWaitAckGivesUpWithTheContext(t *testing.T) {
	t.Parallel()
	fake, _ := setup(t)
	id := fake.SendEnvelope(slackfake.EnvelopeEventsAPI, json.RawMessage(`{"type":"event_callback"}`))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := fake.WaitAck(ctx, id); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitAck with no client = %v, want context.DeadlineExceeded", err)
	}
}
