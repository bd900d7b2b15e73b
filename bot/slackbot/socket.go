package slackbot

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackTimeout bounds the write of one Socket Mode ack.
const ackTimeout = 5 * time.Second

// Run connects by Socket Mode when Options.AppToken is set and handles what
// arrives, with the same parsing and handler calls as the HTTP endpoints,
// until ctx ends; without an app token it just waits for ctx. Each envelope
// is acknowledged as its HTTP request would be answered: an event once
// handled (not at all when the handler failed, so Slack redelivers it), a
// slash command or form submission with its answer as the ack's payload.
// A lost connection is reopened. Run returns nil once ctx has ended and the
// connection is closed; handler calls still in flight are Close's to wait for.
func (a *Adapter) Run(ctx context.Context) error {
	if a.opts.AppToken == "" {
		<-ctx.Done()
		return nil
	}
	if a.handler == nil {
		return errors.New("slackbot: Run needs Options.Handler")
	}
	ctx, cancel := context.WithCancel(ctx)
	client := socketmode.New(a.api)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	wg.Go(func() { a.connect(ctx, client) })

	// Envelopes waiting for their answer; a full set stops reading, which
	// backs pressure up to Slack.
	slots := make(chan struct{}, 2*a.opts.MaxInFlight)
	for {
		select {
		case <-ctx.Done():
			return nil
		case evt := <-client.Events:
			req := envelopeOf(evt)
			if req == nil {
				a.logConnection(evt)
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			wg.Go(func() {
				defer func() { <-slots }()
				a.serveEnvelope(ctx, client, req)
			})
		}
	}
}

// connect keeps the Socket Mode connection up until ctx ends; slack-go gives
// up on some errors (a refused token), which are retried after a pause.
func (a *Adapter) connect(ctx context.Context, client *socketmode.Client) {
	pause := time.Second
	for {
		err := client.RunContext(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.Error("slack: Socket Mode connection failed; retrying", "in", pause, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		pause = min(2*pause, time.Minute)
	}
}

// envelopeOf returns the Socket Mode request an event carries, or nil for
// connection news. An events_api envelope slack-go could not parse (an inner
// event it does not know) is recovered from the raw message: Liaison parses
// the payload itself.
func envelopeOf(evt socketmode.Event) *socketmode.Request {
	switch evt.Type {
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			return evt.Request
		}
	case socketmode.EventTypeErrorBadMessage:
		if bad, ok := evt.Data.(*socketmode.ErrorBadMessage); ok {
			var req socketmode.Request
			if json.Unmarshal(bad.Message, &req) == nil && req.EnvelopeID != "" {
				return &req
			}
		}
	}
	return nil
}

func (a *Adapter) logConnection(evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		a.setSocketUp(true)
		a.log.Info("slack: connected by Socket Mode")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeInvalidAuth:
		a.setSocketUp(false)
		a.log.Warn("slack: Socket Mode trouble", "type", evt.Type, "detail", evt.Data)
	case socketmode.EventTypeDisconnect:
		a.setSocketUp(false)
	}
}

func (a *Adapter) setSocketUp(up bool) {
	a.connMu.Lock()
	a.socketUp = up
	a.connMu.Unlock()
}

// serveEnvelope answers one envelope through the same code as HTTP.
func (a *Adapter) serveEnvelope(ctx context.Context, client *socketmode.Client, req *socketmode.Request) {
	var ans answer
	switch req.Type {
	case socketmode.RequestTypeEventsAPI:
		ans = a.onEvents(req.Payload, req.RetryAttempt)
		if ans.status >= 500 {
			return // no ack: Slack delivers it again
		}
	case socketmode.RequestTypeSlashCommands:
		var sc slack.SlashCommand
		if err := json.Unmarshal(req.Payload, &sc); err != nil || sc.Command == "" {
			a.count("invalid")
			break
		}
		ans = a.onCommand(&sc)
	case socketmode.RequestTypeInteractive:
		var ic slack.InteractionCallback
		if err := json.Unmarshal(req.Payload, &ic); err != nil || ic.Type == "" {
			a.count("invalid")
			break
		}
		ans = a.onInteraction(&ic)
	default:
		a.count("other")
	}
	var payload any
	if ans.ok() && ans.encoded != nil {
		payload = json.RawMessage(ans.encoded)
	} else if ans.ok() && ans.body != nil {
		payload = ans.body
	}
	actx, cancel := context.WithTimeout(ctx, ackTimeout)
	defer cancel()
	if err := client.AckCtx(actx, req.EnvelopeID, payload); err != nil {
		a.log.Warn("slack: Socket Mode ack not sent", "envelope", req.EnvelopeID, "type", req.Type, "err", err)
	}
}
