package discordfake

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Forum channels, as Discord models them: a forum (type 15) holds posts,
// each a public thread whose first message has the thread's id; a forum
// has at most 20 tags (available_tags, changed with PATCH /channels/{id}),
// and a post wears at most 5 of them (applied_tags).

// Discord's limits on forum tags.
const (
	maxForumTags   = 20
	maxAppliedTags = 5
	maxTagName     = 20
)

// forumPatch is what PATCH /channels/{id} takes about forums and threads.
type forumPatch struct {
	AvailableTags *[]ForumTag `json:"available_tags"`
	AppliedTags   *[]string   `json:"applied_tags"`
	Archived      *bool       `json:"archived"`
	Locked        *bool       `json:"locked"`
}

func tagsJSON(tags []ForumTag) []map[string]any {
	out := make([]map[string]any, 0, len(tags))
	for _, t := range tags {
		out = append(out, map[string]any{"id": t.ID, "name": t.Name, "moderated": t.Moderated,
			"emoji_id": nullable(t.EmojiID), "emoji_name": nullable(t.EmojiName)})
	}
	return out
}

// patchForum validates the forum and thread fields of a channel's PATCH
// and returns what applies them; it answers 400 itself and returns false
// when Discord would refuse them. Called with mu held.
func (s *Server) patchForum(w http.ResponseWriter, c *channelState, p *forumPatch) (apply func(), ok bool) {
	var tags []ForumTag
	if p.AvailableTags != nil {
		if c.Type != ChannelTypeGuildForum {
			writeFormErr(w, "available_tags", "CHANNEL_TYPE_INVALID", "Only forum and media channels have tags.")
			return nil, false
		}
		if len(*p.AvailableTags) > maxForumTags {
			writeFormErr(w, "available_tags", "BASE_TYPE_MAX_LENGTH", "Must be 20 or fewer in length.")
			return nil, false
		}
		for i, t := range *p.AvailableTags {
			if n := utf8.RuneCountInString(t.Name); n < 1 || n > maxTagName {
				writeFormErr(w, "available_tags."+strconv.Itoa(i)+".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 20 in length.")
				return nil, false
			}
			if t.ID == "" {
				t.ID = s.newID()
			}
			tags = append(tags, t)
		}
	}
	if p.AppliedTags != nil && !s.validAppliedTags(w, c, *p.AppliedTags) {
		return nil, false
	}
	return func() {
		if p.AvailableTags != nil {
			c.AvailableTags = tags
		}
		if p.AppliedTags != nil {
			c.AppliedTags = slices.Clone(*p.AppliedTags)
		}
		if p.Archived != nil {
			c.Archived = *p.Archived
			if c.Archived {
				c.archivedAt = s.now()
			}
		}
		if p.Locked != nil {
			c.Locked = *p.Locked
		}
	}, true
}

// validAppliedTags checks the tags a post is to wear: a thread of a
// forum, at most 5, each one of the forum's. Called with mu held.
func (s *Server) validAppliedTags(w http.ResponseWriter, thread *channelState, ids []string) bool {
	parent := s.channels[thread.ParentID]
	if !isThread(thread.Type) || parent == nil || parent.Type != ChannelTypeGuildForum {
		writeFormErr(w, "applied_tags", "CHANNEL_TYPE_INVALID", "Only posts of forum and media channels have tags.")
		return false
	}
	return validTagIDs(w, parent, ids)
}

func validTagIDs(w http.ResponseWriter, forum *channelState, ids []string) bool {
	if len(ids) > maxAppliedTags {
		writeFormErr(w, "applied_tags", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
		return false
	}
	for i, id := range ids {
		if !slices.ContainsFunc(forum.AvailableTags, func(t ForumTag) bool { return t.ID == id }) {
			writeFormErr(w, "applied_tags."+strconv.Itoa(i), "THREAD_INVALID_TAG", "Unknown tag.")
			return false
		}
	}
	return true
}

// postThread answers POST /channels/{id}/threads. In a forum it opens a
// post, as "Start Thread in Forum or Media Channel": a public thread named
// name, wearing applied_tags, whose first message (message, required) has
// the thread's id; THREAD_CREATE then MESSAGE_CREATE are dispatched and
// the answer is the thread with the message nested. Elsewhere it is
// "Start Thread without Message" in a text channel, and refused in a
// channel that cannot hold threads.
func (s *Server) postThread(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelOr404(w, r)
	if c == nil {
		return
	}
	var body struct {
		Name                string       `json:"name"`
		AutoArchiveDuration int          `json:"auto_archive_duration"`
		RateLimitPerUser    int          `json:"rate_limit_per_user"`
		Message             *messageBody `json:"message"`
		AppliedTags         []string     `json:"applied_tags"`
		Type                *int         `json:"type"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if n := utf8.RuneCountInString(body.Name); n < 1 || n > 100 {
		writeFormErr(w, "name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		return
	}
	switch c.Type {
	case ChannelTypeGuildForum:
	case ChannelTypeGuildText, ChannelTypeGuildNews:
		typ := 12 // a private thread unless told
		if body.Type != nil {
			typ = *body.Type
		}
		th := s.addThreadLocked(c, s.newID(), body.Name)
		th.Type, th.OwnerID = typ, s.botID
		writeJSON(w, http.StatusCreated, channelJSON(th, true))
		return
	default:
		writeErr(w, http.StatusBadRequest, 50024, "Cannot execute action on this channel type")
		return
	}
	if body.Message == nil {
		writeFormErr(w, "message", "BASE_TYPE_REQUIRED", "This field is required")
		return
	}
	if !body.Message.validate(w, true, isMultipart(r)) || !validTagIDs(w, c, body.AppliedTags) {
		return
	}
	id := s.newID()
	th := s.addThreadLocked(c, id, body.Name)
	th.OwnerID, th.AppliedTags = s.botID, slices.Clone(body.AppliedTags)
	b := body.Message
	m := &Message{
		ID: id, ChannelID: id, GuildID: c.GuildID, AuthorID: s.botID,
		Embeds: nullToNil(b.Embeds), Components: nullToNil(b.Components), AllowedMentions: nullToNil(b.AllowedMentions),
		Timestamp: s.now().UTC(),
	}
	if b.Content != nil {
		m.Content = *b.Content
	}
	th.insert(m)
	s.echoMessage("MESSAGE_CREATE", m)
	out := channelJSON(th, true)
	out["message"] = s.messageJSON(m, messageView{})
	writeJSON(w, http.StatusCreated, out)
}

// ForumTags returns a forum's tags, as the bot or a seed left them.
func (s *Server) ForumTags(forumID string) []ForumTag {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mustChannel(forumID).AvailableTags)
}

// Posts returns the posts (threads) of a forum, oldest first.
func (s *Server) Posts(forumID string) []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Channel
	g := s.mustGuild(s.mustChannel(forumID).GuildID)
	for _, id := range g.channels {
		if c := s.channels[id]; c != nil && c.ParentID == forumID && isThread(c.Type) {
			ch := c.Channel
			ch.AppliedTags = slices.Clone(c.AppliedTags)
			out = append(out, ch)
		}
	}
	return out
}
