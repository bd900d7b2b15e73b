package slackbot

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// busyText is the answer when every handler slot is taken for longer than
// the ack budget.
const busyText = "Liaison is very busy right now and could not take this in time. Please try again in a minute."

// busyCommand is a slash command's answer when every handler slot is
// taken: rendered once, not for each command.
var busyCommand = answer{body: notice(busyText)}

// onCommand handles a slash command. The reply is the answer itself when the
// handler returns within the ack budget; otherwise the command is
// acknowledged empty and the reply goes to its response_url.
func (a *Adapter) onCommand(sc *slack.SlashCommand) answer {
	a.count("slash_command")
	c := &bot.Command{
		Delivery: bot.Delivery{At: a.clock.Now()},
		Place:    bot.Place{Platform: bot.PlatformSlack, ScopeID: sc.TeamID, ChannelID: sc.ChannelID, ChannelName: sc.ChannelName},
		Name:     strings.TrimPrefix(sc.Command, "/"),
		Text:     sc.Text,
		User:     bot.User{Platform: bot.PlatformSlack, ID: sc.UserID, Name: sc.UserName},
	}
	if sc.TriggerID != "" {
		c.Keys = []bot.InboundKey{{Kind: KeyCommand, Key: sc.TriggerID}}
	}
	return a.within(func(ctx context.Context) answer {
		r, err := call(func() (*bot.Reply, error) { return a.handler.HandleCommand(ctx, c) })
		if err == nil && r != nil && r.Stock && r.Modal == nil && len(r.Buttons) == 0 {
			msg, encoded := a.stock.rendered(r)
			return answer{body: msg, encoded: encoded}
		}
		if msg := a.replyFor(ctx, "/"+c.Name, r, err, sc.TriggerID); msg != nil {
			return answer{body: msg}
		}
		return answer{}
	}, answer{}, func(ctx context.Context, w answer) {
		a.respond(ctx, sc.ResponseURL, sc.ChannelID, sc.UserID, w.body)
	}, busyCommand)
}

// replyFor renders a handler's answer: the error's message, the reply's
// text and buttons, or nothing (no reply, or a modal, opened here with the
// trigger).
func (a *Adapter) replyFor(ctx context.Context, what string, r *bot.Reply, err error, triggerID string) *slack.WebhookMessage {
	if err != nil {
		return notice(a.userError(what, err))
	}
	if r == nil {
		return nil
	}
	if r.Modal != nil {
		if err := a.sender.OpenView(ctx, triggerID, r.Modal); err != nil {
			return notice(a.userError(what+": open form", err))
		}
		return nil
	}
	return replyMessage(r)
}

// respond delivers a late or interaction reply: to the response_url when
// there is one, else as an ephemeral message in the channel.
func (a *Adapter) respond(ctx context.Context, responseURL, channelID, userID string, body any) {
	msg, _ := body.(*slack.WebhookMessage)
	if msg == nil {
		return
	}
	var err error
	switch {
	case responseURL != "":
		err = slack.PostWebhookCustomHTTPContext(ctx, responseURL, a.http, msg)
	case channelID != "" && userID != "":
		opts := []slack.MsgOption{slack.MsgOptionText(msg.Text, false)}
		if msg.Blocks != nil {
			opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
		}
		_, err = a.api.PostEphemeralContext(ctx, channelID, userID, opts...)
	default:
		a.log.Warn("slack: a reply has nowhere to go (no response_url, no channel)", "user", userID, "text", msg.Text)
		return
	}
	if err != nil {
		a.log.Error("slack: could not deliver a reply", "user", userID, "channel", channelID, "err", err)
	}
}

// onInteraction handles an interactivity payload: button clicks, form
// submissions and message shortcuts. Others are acknowledged and ignored.
func (a *Adapter) onInteraction(ic *slack.InteractionCallback) answer {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		a.count("block_actions")
		return a.onBlockActions(ic)
	case slack.InteractionTypeViewSubmission:
		a.count("view_submission")
		return a.onViewSubmission(ic)
	case slack.InteractionTypeMessageAction:
		a.count("message_action")
		return a.onMessageAction(ic)
	}
	a.count(cmpOr(string(ic.Type), "other"))
	return answer{}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (a *Adapter) place(ic *slack.InteractionCallback, channelID string) bot.Place {
	return bot.Place{Platform: bot.PlatformSlack, ScopeID: cmpOr(ic.Team.ID, ic.User.TeamID), ChannelID: channelID, ChannelName: ic.Channel.Name}
}

func user(ic *slack.InteractionCallback) bot.User {
	return bot.User{Platform: bot.PlatformSlack, ID: ic.User.ID, Name: ic.User.Name}
}

// onBlockActions delivers one bot.Action per action in the payload; each
// reply goes to the response_url (or opens a modal with the trigger). The
// request itself is acknowledged empty.
func (a *Adapter) onBlockActions(ic *slack.InteractionCallback) answer {
	channelID := cmpOr(ic.Container.ChannelID, ic.Channel.ID)
	var acts []*bot.Action
	for i, ba := range ic.ActionCallback.BlockActions {
		act := &bot.Action{
			Delivery:  bot.Delivery{At: a.clock.Now()},
			Place:     a.place(ic, channelID),
			MessageID: cmpOr(ic.Container.MessageTs, ic.Message.Timestamp),
			ActionID:  actionID(ba.ActionID),
			Value:     actionValue(ba),
			User:      user(ic),
		}
		if ic.TriggerID != "" {
			key := ic.TriggerID
			if i > 0 {
				key += "/" + strconv.Itoa(i)
			}
			act.Keys = []bot.InboundKey{{Kind: KeyInteraction, Key: key}}
		}
		acts = append(acts, act)
	}
	if len(acts) == 0 {
		return answer{}
	}
	return a.within(func(ctx context.Context) answer {
		for _, act := range acts {
			r, err := call(func() (*bot.Reply, error) { return a.handler.HandleAction(ctx, act) })
			a.respond(ctx, ic.ResponseURL, channelID, ic.User.ID, a.replyFor(ctx, "button "+act.ActionID, r, err, ic.TriggerID))
		}
		return answer{}
	}, answer{}, nil, answer{status: http.StatusServiceUnavailable, body: "busy"})
}

// actionValue is what an interactive element carries: a button's value, a
// select's choice, a picked user, channel or date.
func actionValue(ba *slack.BlockAction) string {
	switch {
	case ba.Value != "":
		return ba.Value
	case ba.SelectedOption.Value != "":
		return ba.SelectedOption.Value
	case ba.SelectedUser != "":
		return ba.SelectedUser
	case ba.SelectedChannel != "":
		return ba.SelectedChannel
	case ba.SelectedConversation != "":
		return ba.SelectedConversation
	case ba.SelectedDate != "":
		return ba.SelectedDate
	case ba.SelectedTime != "":
		return ba.SelectedTime
	}
	return ""
}

// onMessageAction delivers a message shortcut as a bot.Command named by its
// callback_id, with the message as Target; the reply goes to the
// response_url, or a modal opens with the trigger.
func (a *Adapter) onMessageAction(ic *slack.InteractionCallback) answer {
	channelID := ic.Channel.ID
	m := ic.Message
	target := &bot.Message{
		Delivery: bot.Delivery{At: a.clock.Now()},
		Place:    a.place(ic, channelID),
		ID:       m.Timestamp,
		Author:   bot.User{Platform: bot.PlatformSlack, ID: m.User, Name: m.Username, Bot: m.BotID != ""},
		Text:     m.Text,
	}
	if m.ThreadTimestamp != "" && m.ThreadTimestamp != m.Timestamp {
		target.ThreadID = m.ThreadTimestamp
	}
	c := &bot.Command{
		Delivery: bot.Delivery{At: a.clock.Now()},
		Place:    a.place(ic, channelID),
		Name:     ic.CallbackID,
		Target:   target,
		User:     user(ic),
	}
	if ic.TriggerID != "" {
		c.Keys = []bot.InboundKey{{Kind: KeyCommand, Key: ic.TriggerID}}
	}
	return a.within(func(ctx context.Context) answer {
		r, err := call(func() (*bot.Reply, error) { return a.handler.HandleCommand(ctx, c) })
		a.respond(ctx, ic.ResponseURL, channelID, ic.User.ID, a.replyFor(ctx, "shortcut "+c.Name, r, err, ic.TriggerID))
		return answer{}
	}, answer{}, nil, answer{status: http.StatusServiceUnavailable, body: "busy"})
}

// onViewSubmission delivers a submitted form. The answer closes it (no
// reply), shows field errors (a bot.Error of code invalid), replaces it with
// the next form (a reply with a Modal) or with a notice (a reply's text, any
// other error). When the handler is slower than the budget the form closes
// and its reply is sent to the user as a direct message.
func (a *Adapter) onViewSubmission(ic *slack.InteractionCallback) answer {
	s := &bot.Submission{
		Delivery:   bot.Delivery{At: a.clock.Now()},
		Place:      a.place(ic, ""),
		CallbackID: ic.View.CallbackID,
		Meta:       ic.View.PrivateMetadata,
		Values:     map[string]string{},
		User:       user(ic),
	}
	if ic.TriggerID != "" {
		s.Keys = []bot.InboundKey{{Kind: KeyInteraction, Key: ic.TriggerID}}
	}
	if ic.View.State != nil {
		for blockID, actions := range ic.View.State.Values {
			for _, ba := range actions {
				s.Values[blockID] = actionValue(&ba)
			}
		}
	}
	title := ""
	if ic.View.Title != nil {
		title = ic.View.Title.Text
	}
	return a.within(func(ctx context.Context) answer {
		r, err := call(func() (*bot.Reply, error) { return a.handler.HandleSubmission(ctx, s) })
		return a.submissionAnswer(ic, title, r, err)
	}, answer{}, func(ctx context.Context, w answer) {
		if w.late != "" {
			a.directMessage(ctx, ic.User.ID, w.late)
		}
	}, answer{body: slack.NewUpdateViewSubmissionResponse(noticeView(title, busyText))})
}

func (a *Adapter) submissionAnswer(ic *slack.InteractionCallback, title string, r *bot.Reply, err error) answer {
	if err != nil {
		msg := a.userError("form "+ic.View.CallbackID, err)
		if bot.ErrorCode(err) == bot.EInvalid {
			if field, text := errorField(inputBlocks(ic), msg); field != "" {
				return answer{body: slack.NewErrorsViewSubmissionResponse(map[string]string{field: text}), late: msg}
			}
		}
		return answer{body: slack.NewUpdateViewSubmissionResponse(noticeView(title, msg)), late: msg}
	}
	switch {
	case r == nil:
		return answer{}
	case r.Modal != nil:
		v, err := renderModal(r.Modal)
		if err != nil {
			msg := a.userError("form "+ic.View.CallbackID, err)
			return answer{body: slack.NewUpdateViewSubmissionResponse(noticeView(title, msg)), late: msg}
		}
		return answer{body: slack.NewUpdateViewSubmissionResponse(v)}
	case r.Text != "":
		return answer{body: slack.NewUpdateViewSubmissionResponse(noticeView(title, r.Text)), late: r.Text}
	}
	return answer{}
}

// inputBlocks lists a view's input block ids, in order.
func inputBlocks(ic *slack.InteractionCallback) []string {
	var ids []string
	for _, b := range ic.View.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID != "" {
			ids = append(ids, in.BlockID)
		}
	}
	if len(ids) == 0 && ic.View.State != nil { // a view Slack sent without blocks
		for id := range ic.View.State.Values {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	return ids
}

// errorField picks the field an invalid-input message belongs to: the one
// whose id starts the message ("reason: …"), else the first field.
func errorField(fields []string, msg string) (field, text string) {
	if id, rest, ok := strings.Cut(msg, ": "); ok && slices.Contains(fields, id) {
		return id, rest
	}
	if len(fields) > 0 {
		return fields[0], msg
	}
	return "", msg
}

// directMessage sends text to a user in their conversation with Liaison.
func (a *Adapter) directMessage(ctx context.Context, userID, text string) {
	if _, _, err := a.api.PostMessageContext(ctx, userID, slack.MsgOptionText(clip(esc(text), maxFallback), false)); err != nil {
		a.log.Error("slack: could not send a late form answer by direct message", "user", userID, "err", err)
	}
}
