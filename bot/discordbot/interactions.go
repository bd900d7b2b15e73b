package discordbot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Interaction response types.
const (
	respPong          = 1
	respMessage       = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	respDeferred      = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "Liaison is thinking…"
	respDeferredQuiet = 6 // DEFERRED_UPDATE_MESSAGE: a click acknowledged, nothing shown
	respChoices       = 8 // APPLICATION_COMMAND_AUTOCOMPLETE_RESULT
	respModal         = 9
)

const flagEphemeral = 1 << 6

// Texts shown when the handler had nothing to say, or could not answer.
const (
	textDone       = "Done."
	textLateForm   = "Liaison took too long to open the form. Please try again."
	textClosing    = "Liaison is restarting. Please try again in a minute."
	textOtherGuild = "Liaison is not set up for this server."
)

// response is an interaction response as Discord takes it: the body of a
// callback, or of the HTTP endpoint's answer.
type response struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

// messageData is the message of a response, a webhook edit or a followup.
type messageData struct {
	Content         string           `json:"content,omitempty"` // never "": Discord refuses it
	Flags           int              `json:"flags,omitempty"`
	Components      []component      `json:"components"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
}

// request is an interaction converted for the handler.
type request struct {
	typ        string // inbound counter type
	command    *bot.Command
	action     *bot.Action
	submission *bot.Submission
}

// outcome is what the handler returned.
type outcome struct {
	reply *bot.Reply
	err   error
}

// onInteraction answers an INTERACTION_CREATE from the gateway through the
// callback endpoint, in a goroutine of its own; at most maxInteractions run
// at once, after which the gateway reader waits.
func (a *Adapter) onInteraction(i *discordgo.Interaction) {
	select {
	case a.sem <- struct{}{}:
	case <-a.lifeCtx().Done():
		return
	}
	started := a.goTask(func(ctx context.Context) {
		defer func() { <-a.sem }()
		first, rest := a.answer(i)
		err := a.callback(ctx, i, first)
		if err != nil {
			a.log.Error("discord: answering an interaction failed", "interaction", i.ID, "err", err)
			return
		}
		if rest != nil {
			rest(ctx)
		}
	})
	if !started {
		<-a.sem
	}
}

// callback sends the first response to an interaction received on the
// gateway.
func (a *Adapter) callback(ctx context.Context, i *discordgo.Interaction, r *response) error {
	ep := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	_, err := a.session.RequestWithBucketID("POST", ep, r, ep, discordgo.WithContext(ctx))
	return err
}

// answer runs the handler for an interaction and returns the first response
// to give Discord. A handler that answers within AckBudget gets its reply in
// that response. A later one gets a deferred, ephemeral "thinking" response
// now, and rest, to be run once the first response is delivered, edits it
// into the reply when the handler returns.
func (a *Adapter) answer(i *discordgo.Interaction) (first *response, rest func(context.Context)) {
	if i.Type == discordgo.InteractionPing {
		return &response{Type: respPong}, nil
	}
	if i.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return &response{Type: respChoices, Data: map[string]any{"choices": []any{}}}, nil
	}
	if i.GuildID == "" || !a.inGuild(i.GuildID) {
		return notice(textOtherGuild), nil
	}
	req, err := a.request(i)
	if err != nil {
		return a.failure(i, err), nil
	}
	done := make(chan outcome, 1)
	hctx, cancel := context.WithTimeout(a.lifeCtx(), lateLimit)
	if !a.goTask(func(context.Context) {
		defer cancel()
		done <- a.call(hctx, req)
	}) {
		cancel()
		return notice(textClosing), nil
	}
	// A real timer: the three seconds are Discord's, whatever Clock says.
	t := time.NewTimer(a.opts.AckBudget)
	defer t.Stop()
	select {
	case o := <-done:
		return a.respond(i, req, o), nil
	case <-t.C:
	}
	return &response{Type: respDeferred, Data: map[string]int{"flags": flagEphemeral}},
		func(ctx context.Context) {
			select {
			case o := <-done:
				a.finishLate(ctx, i, o)
			case <-ctx.Done():
			}
		}
}

// call runs the handler, turning a panic into an error.
func (a *Adapter) call(ctx context.Context, r *request) (o outcome) {
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("discord: panic recovered", "in", "interaction handler", "panic", p)
			o = outcome{err: errPanic}
		}
	}()
	a.count(r.typ)
	switch {
	case r.command != nil:
		o.reply, o.err = a.handler.HandleCommand(ctx, r.command)
	case r.action != nil:
		o.reply, o.err = a.handler.HandleAction(ctx, r.action)
	default:
		o.reply, o.err = a.handler.HandleSubmission(ctx, r.submission)
	}
	return o
}

// respond renders the handler's outcome as the first response.
func (a *Adapter) respond(i *discordgo.Interaction, req *request, o outcome) *response {
	if o.err != nil {
		return a.failure(i, o.err)
	}
	r := o.reply
	if r == nil {
		if req.action != nil {
			return &response{Type: respDeferredQuiet}
		}
		return notice(textDone)
	}
	if r.Modal != nil {
		if i.Type == discordgo.InteractionModalSubmit {
			return a.failure(i, errors.New("a form cannot open another form on Discord"))
		}
		m, err := renderModal(r.Modal)
		if err != nil {
			return a.failure(i, err)
		}
		return &response{Type: respModal, Data: m}
	}
	d, err := replyData(r)
	if err != nil {
		return a.failure(i, err)
	}
	d.Content = fit(a.log, "interaction reply", d.Content)
	return &response{Type: respMessage, Data: d}
}

// finishLate edits the deferred response into the handler's reply. The
// deferral was ephemeral, so the reply is too, even when Public.
func (a *Adapter) finishLate(ctx context.Context, i *discordgo.Interaction, o outcome) {
	var d *messageData
	switch {
	case o.err != nil:
		d = a.failure(i, o.err).Data.(*messageData)
	case o.reply == nil:
		d = &messageData{Content: textDone}
	case o.reply.Modal != nil:
		d = &messageData{Content: textLateForm}
	default:
		var err error
		if d, err = replyData(o.reply); err != nil {
			d = a.failure(i, err).Data.(*messageData)
		}
	}
	d.Content = fit(a.log, "late interaction reply", d.Content)
	d.Flags = 0 // an edit keeps the deferral's flags
	if d.Components == nil {
		d.Components = []component{}
	}
	d.AllowedMentions = mentionsOnly(nil)
	ep := discordgo.EndpointInteractionResponseActions(i.AppID, i.Token)
	if _, err := a.session.RequestWithBucketID("PATCH", ep, d, ep, discordgo.WithContext(ctx)); err != nil {
		a.log.Error("discord: editing a late interaction answer failed", "interaction", i.ID, "err", err)
	}
}

// replyData renders a text reply: ephemeral unless Public, with its
// buttons, pinging nobody.
func replyData(r *bot.Reply) (*messageData, error) {
	rows, err := buttonRows(r.Buttons)
	if err != nil {
		return nil, err
	}
	out := TextOutgoing(r.Text)
	d := &messageData{Content: out.Content, Components: rows, AllowedMentions: out.AllowedMentions}
	if strings.TrimSpace(d.Content) == "" && len(rows) == 0 {
		d.Content = textDone // Discord refuses a message of blanks alone
	}
	if !r.Public {
		d.Flags = flagEphemeral
	}
	return d, nil
}

// notice is an ephemeral text response.
func notice(text string) *response {
	return &response{Type: respMessage, Data: &messageData{Content: text, Flags: flagEphemeral, Components: []component{}, AllowedMentions: mentionsOnly(nil)}}
}

// failure shows an error to the requester only: a bot.Error's message as
// written, anything else as the generic message with a reference that the
// log line carrying the cause also has.
func (a *Adapter) failure(i *discordgo.Interaction, err error) *response {
	text := bot.ErrorMessage(err)
	var be *bot.Error
	if !errors.As(err, &be) {
		ref := shortRef()
		a.log.Error("discord: interaction failed", "ref", ref, "interaction", i.ID, "type", i.Type.String(), "err", err)
		text += " (ref " + ref + ")"
	}
	return notice(fit(a.log, "interaction error", text))
}

func shortRef() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// request converts an interaction for the handler.
func (a *Adapter) request(i *discordgo.Interaction) (*request, error) {
	d := bot.Delivery{Keys: []bot.InboundKey{{Kind: KeyInteract, Key: i.ID}}, At: snowflakeTime(i.ID)}
	u := user(i.User, i.Member)
	place := a.place(i.GuildID, i.ChannelID)
	switch data := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		c := &bot.Command{Delivery: d, Place: place, Name: data.Name, User: u}
		if data.CommandType == discordgo.MessageApplicationCommand {
			var target *discordgo.Message
			if data.Resolved != nil {
				target = data.Resolved.Messages[data.TargetID]
			}
			if target == nil {
				return nil, fmt.Errorf("message command %q without its resolved target %s", data.Name, data.TargetID)
			}
			if target.ChannelID == "" {
				target.ChannelID = i.ChannelID
			}
			c.Target = a.message(target, i.GuildID)
			c.Target.Keys = nil // it is the command's object, not an event
		} else {
			c.Subcommand, c.Options = a.options(data.Name, data.Options)
		}
		return &request{typ: "command", command: c}, nil
	case discordgo.MessageComponentInteractionData:
		id, value := decodeCustomID(data.CustomID)
		act := &bot.Action{Delivery: d, Place: place, ActionID: id, Value: value, User: u}
		if i.Message != nil {
			act.MessageID = i.Message.ID
		}
		return &request{typ: "action", action: act}, nil
	case discordgo.ModalSubmitInteractionData:
		id, meta := decodeCustomID(data.CustomID)
		s := &bot.Submission{Delivery: d, Place: place, CallbackID: id, Meta: meta, Values: map[string]string{}, User: u}
		collectInputs(data.Components, s.Values)
		return &request{typ: "submission", submission: s}, nil
	}
	return nil, fmt.Errorf("unsupported interaction type %s", i.Type.String())
}

// options returns a command's options as strings, in the order the command
// declares them (Discord sends them in the order the user typed them).
// A subcommand's options are its own, in its declared order, and its name
// is returned too.
func (a *Adapter) options(command string, in []*discordgo.ApplicationCommandInteractionDataOption) (string, []bot.Option) {
	spec, ok := a.specs[command]
	sub := ""
	if len(in) == 1 && in[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		sub = in[0].Name
		in = in[0].Options
		spec, ok = spec.Sub(sub)
	}
	out := make([]bot.Option, 0, len(in))
	for _, o := range in {
		out = append(out, bot.Option{Name: o.Name, Value: optionValue(o.Value)})
	}
	if !ok {
		return sub, out
	}
	rank := func(name string) int {
		for i, s := range spec.Options {
			if s.Name == name {
				return i
			}
		}
		return len(spec.Options)
	}
	slices.SortStableFunc(out, func(x, y bot.Option) int { return rank(x.Name) - rank(y.Name) })
	return sub, out
}

// optionValue renders an option's value: strings and ids (users,
// channels) as sent, integers without a decimal point, booleans as
// true/false.
func optionValue(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// collectInputs gathers a submitted modal's text inputs by custom_id.
func collectInputs(cs []discordgo.MessageComponent, into map[string]string) {
	for _, c := range cs {
		switch c := c.(type) {
		case *discordgo.ActionsRow:
			collectInputs(c.Components, into)
		case *discordgo.TextInput:
			into[c.CustomID] = c.Value
		}
	}
}
