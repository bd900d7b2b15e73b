package handlers

import (
	"cmp"
	"context"
	"strings"
	"time"
)

// The audit trail of public speech: for every reply Liaison posted in the
// brand's name, what it answered, every version of its text with who wrote
// it, every approval and rejection with who and when, the policy that was
// met, and the Discord message it became. It reads the record alone, so it
// stands on its own (liaison audit drafts).

// ReplyAudit is the record of one reply posted in Discord.
type ReplyAudit struct {
	Draft            int64          `json:"draft"`
	Target           string         `json:"target"` // link to the message it answers
	TargetAuthor     string         `json:"target_author"`
	TargetChannel    string         `json:"target_channel"`
	FollowUpOf       *int64         `json:"follow_up_of,omitempty"` // the reply before it to the same message
	DraftedBy        string         `json:"drafted_by"`
	Policy           string         `json:"policy"` // as it was met when the reply was queued
	PostedAt         time.Time      `json:"posted_at"`
	DiscordMessageID string         `json:"discord_message_id"`
	Versions         []VersionAudit `json:"versions"`
}

// VersionAudit is one version of a reply's text and what was decided on it.
type VersionAudit struct {
	Version   int             `json:"version"`
	Author    string          `json:"author"`
	TextHash  string          `json:"text_hash"`
	CreatedAt time.Time       `json:"created_at"`
	Text      string          `json:"text"`
	Published bool            `json:"published"` // the version Discord shows
	Decisions []DecisionAudit `json:"decisions,omitempty"`
}

// DecisionAudit is an approval or a rejection of one version.
type DecisionAudit struct {
	Decision string    `json:"decision"` // approved | rejected
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Reason   string    `json:"reason,omitempty"`
}

// Audit returns the record of every reply posted in Discord at or after
// since, oldest first.
func (ap *Approvals) Audit(ctx context.Context, since time.Time) ([]ReplyAudit, error) {
	posted, err := ap.db.PostedDrafts(ctx, since)
	if err != nil {
		return nil, err
	}
	out := make([]ReplyAudit, 0, len(posted))
	for _, d := range posted {
		r := ReplyAudit{Draft: d.ID, Target: d.Target().Link(), TargetAuthor: d.TargetAuthorName, TargetChannel: d.TargetChannelName,
			FollowUpOf: d.FollowsID, DraftedBy: d.AuthorName, DiscordMessageID: d.DiscordMessageID}
		if isWeb(&d) {
			r.Target = d.TargetAuthorID // the web page, where it was posted by hand
		}
		if isModmail(&d) {
			r.Target = "modmail ticket #" + d.TargetMessageID // a DM: no link
		}
		if d.PostedAt != nil {
			r.PostedAt = *d.PostedAt
		}
		hist, err := ap.db.DraftHistory(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, h := range hist {
			if h.Action == publishAction {
				r.Policy = strings.TrimPrefix(h.Detail, quorumReached)
			}
		}
		versions, err := ap.db.DraftVersions(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		approvals, err := ap.db.Approvals(ctx, d.ID, 0)
		if err != nil {
			return nil, err
		}
		for _, v := range versions {
			va := VersionAudit{Version: v.Version, Author: cmp.Or(v.AuthorName, v.Author), TextHash: v.TextHash, CreatedAt: v.CreatedAt,
				Text: v.Text, Published: v.Version == d.Version}
			for _, a := range approvals {
				if a.Version == v.Version {
					va.Decisions = append(va.Decisions, DecisionAudit{Decision: "approved", By: cmp.Or(a.ApproverName, a.Approver), At: a.CreatedAt})
				}
			}
			if v.RejectedBy != "" && v.RejectedAt != nil {
				va.Decisions = append(va.Decisions, DecisionAudit{Decision: "rejected", By: cmp.Or(v.RejectedByName, ap.dir.slackName(v.RejectedBy)),
					At: *v.RejectedAt, Reason: v.Reason})
			}
			r.Versions = append(r.Versions, va)
		}
		out = append(out, r)
	}
	return out, nil
}

// The history line of a reply queued for Discord, and how its detail
// starts: the policy met follows.
const (
	publishAction = "queued the reply for Discord"
	quorumReached = "the quorum is reached: "
)
