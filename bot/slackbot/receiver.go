package slackbot

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// Routes registers Liaison's Slack endpoints on mux:
//
//	POST /slack/events        Events API (url_verification, event_callback)
//	POST /slack/commands      slash commands
//	POST /slack/interactions  block_actions, view_submission, message shortcuts
//
// Each request is refused before it is parsed when its body is over 1 MiB
// (413) or its signature is missing, wrong or older than five minutes (401);
// a verified body that is not what the endpoint takes gets 400. None of
// these reaches the handler. Routes panics without Options.Handler.
func (a *Adapter) Routes(mux *http.ServeMux) {
	if a.handler == nil {
		panic("slackbot: Routes needs Options.Handler")
	}
	if a.opts.SigningSecret == "" {
		a.log.Error("slack: SLACK_SIGNING_SECRET is not set: every request to /slack/* will be refused")
	}
	mux.HandleFunc("POST /slack/events", a.serveEvents)
	mux.HandleFunc("POST /slack/commands", a.serveCommands)
	mux.HandleFunc("POST /slack/interactions", a.serveInteractions)
}

func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	a.write(w, a.onEvents(body, retryNum(r.Header)))
}

func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	sc, err := parseSlashCommand(string(body))
	if err != nil || sc.Command == "" {
		a.count("invalid")
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	a.write(w, a.onCommand(sc))
}

func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request) {
	body, ok := a.verified(w, r)
	if !ok {
		return
	}
	form, err := url.ParseQuery(string(body))
	var ic slack.InteractionCallback
	if err == nil {
		err = json.Unmarshal([]byte(form.Get("payload")), &ic)
	}
	if err != nil || ic.Type == "" {
		a.count("invalid")
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	a.write(w, a.onInteraction(&ic))
}

// verified reads and verifies the request, answering it when refused.
func (a *Adapter) verified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := a.readVerified(r)
	if err == nil {
		return body, true
	}
	a.count("rejected")
	status := http.StatusBadRequest
	var re *requestError
	if errors.As(err, &re) {
		status = re.status
	}
	a.log.Debug("slack: request refused", "path", r.URL.Path, "status", status, "reason", err)
	http.Error(w, http.StatusText(status), status)
	return nil, false
}

// write sends an answer: JSON, an empty 200, or an error status.
func (a *Adapter) write(w http.ResponseWriter, ans answer) {
	if !ans.ok() {
		reason, _ := ans.body.(string)
		http.Error(w, cmpOr(reason, http.StatusText(ans.status)), ans.status)
		return
	}
	if ans.body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := ans.encoded, error(nil)
	if b == nil {
		b, err = encodeAnswer(ans.body)
	}
	if err != nil {
		a.log.Error("slack: cannot encode an answer", "err", err)
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}
