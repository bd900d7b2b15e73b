package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// triggerLifetime is how long Slack honours a trigger_id.
const triggerLifetime = 3 * time.Second

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

type view struct {
	id, typ, user string
	externalID    string
	triggerID     string
	hash          string
	body          map[string]any
}

// View is a modal or Home tab as the fake last received it.
type View struct {
	ID         string
	Type       string // "modal" or "home"
	User       string // who it was opened for (the trigger's user) or published to
	CallbackID string
	ExternalID string
	TriggerID  string
	Hash       string
	JSON       json.RawMessage // the view object as views.* answered it
}

// TriggerID issues a trigger_id for userID, as Slack puts one in a slash
// command or an interaction: views.open accepts it once, within 3 seconds on
// the fake's clock. The request builders issue theirs the same way.
func (s *Server) TriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTrigger(userID)
}

func (s *Server) issueTrigger(userID string) string {
	s.seq++
	id := fmt.Sprintf("%d.%d.%s", s.seq, s.now().Unix(), randomHex(16))
	s.triggers[id] = &trigger{user: userID, issued: s.now()}
	return id
}

// Views returns every view opened or published, in creation order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.views))
	for _, v := range s.views {
		out = append(out, v.export())
	}
	return out
}

func (v *view) export() View {
	b, _ := json.Marshal(v.body)
	cb, _ := v.body["callback_id"].(string)
	return View{ID: v.id, Type: v.typ, User: v.user, CallbackID: cb, ExternalID: v.externalID, TriggerID: v.triggerID, Hash: v.hash, JSON: b}
}

// parseView checks a view the way Slack refuses one: a JSON object of the
// wanted type ("" accepts modal or home), a modal with a title, at most 100
// blocks each with a type.
func parseView(raw, want string) (map[string]any, string) {
	var body map[string]any
	if err := json.Unmarshal([]byte(raw), &body); err != nil || body == nil {
		return nil, "invalid_arguments"
	}
	typ, _ := body["type"].(string)
	switch {
	case want != "" && typ != want:
		return nil, "invalid_arguments"
	case typ != "modal" && typ != "home":
		return nil, "invalid_arguments"
	case typ == "modal" && body["title"] == nil:
		return nil, "invalid_arguments"
	}
	if b, ok := body["blocks"]; ok && b != nil {
		blocks, ok := b.([]any)
		if !ok || len(blocks) > 100 {
			return nil, "invalid_blocks"
		}
		for _, blk := range blocks {
			m, _ := blk.(map[string]any)
			if t, _ := m["type"].(string); t == "" {
				return nil, "invalid_blocks"
			}
		}
	}
	return body, ""
}

func (s *Server) viewByExternalID(ext string) *view {
	for _, v := range s.views {
		if ext != "" && v.externalID == ext {
			return v
		}
	}
	return nil
}

// applyView stores body as v's content with the fields Slack adds.
func (s *Server) applyView(v *view, body map[string]any) {
	v.typ, _ = body["type"].(string)
	v.externalID, _ = body["external_id"].(string)
	v.hash = fmt.Sprintf("%d.%s", s.now().Unix(), randomHex(4))
	body["id"] = v.id
	body["team_id"] = TeamID
	body["hash"] = v.hash
	body["state"] = map[string]any{"values": map[string]any{}}
	body["root_view_id"] = v.id
	body["previous_view_id"] = nil
	body["app_id"] = AppID
	body["app_installed_team_id"] = TeamID
	body["bot_id"] = s.botID
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		if _, ok := body[k]; !ok {
			body[k] = ""
		}
	}
	v.body = body
}

func (s *Server) viewsOpen(r *apiRequest) (obj, string) {
	tid := r.params.Get("trigger_id")
	if tid == "" {
		return nil, "invalid_arguments"
	}
	t := s.triggers[tid]
	switch {
	case t == nil:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case s.now().Sub(t.issued) > triggerLifetime:
		return nil, "expired_trigger_id"
	}
	body, code := parseView(r.params.Get("view"), "modal")
	if code != "" {
		return nil, code
	}
	if ext, _ := body["external_id"].(string); s.viewByExternalID(ext) != nil {
		return nil, "duplicate_external_id"
	}
	t.used = true
	v := &view{id: s.nextID("V"), user: t.user, triggerID: tid}
	s.applyView(v, body)
	s.views = append(s.views, v)
	return obj{"view": v.body}, ""
}

func (s *Server) viewsUpdate(r *apiRequest) (obj, string) {
	var v *view
	if id := r.params.Get("view_id"); id != "" {
		i := slices.IndexFunc(s.views, func(v *view) bool { return v.id == id })
		if i >= 0 {
			v = s.views[i]
		}
	} else if ext := r.params.Get("external_id"); ext != "" {
		v = s.viewByExternalID(ext)
	} else {
		return nil, "invalid_arguments"
	}
	if v == nil {
		return nil, "not_found"
	}
	if h := r.params.Get("hash"); h != "" && h != v.hash {
		return nil, "hash_conflict"
	}
	body, code := parseView(r.params.Get("view"), "")
	if code != "" {
		return nil, code
	}
	s.applyView(v, body)
	return obj{"view": v.body}, ""
}

func (s *Server) viewsPublish(r *apiRequest) (obj, string) {
	userID := r.params.Get("user_id")
	if s.users[userID] == nil {
		return nil, "user_not_found"
	}
	body, code := parseView(r.params.Get("view"), "home")
	if code != "" {
		return nil, code
	}
	i := slices.IndexFunc(s.views, func(v *view) bool { return v.typ == "home" && v.user == userID })
	var v *view
	if i >= 0 {
		v = s.views[i]
		if h := r.params.Get("hash"); h != "" && h != v.hash {
			return nil, "hash_conflict"
		}
	} else {
		v = &view{id: s.nextID("V"), user: userID}
		s.views = append(s.views, v)
	}
	s.applyView(v, body)
	return obj{"view": v.body}, ""
}
