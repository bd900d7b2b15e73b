package bot

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Drafted replies and their approval. Staff draft a public reply in Slack;
// it reaches Discord only once the policy's approvers have approved that
// exact text for that exact target. These are the rules; the handlers apply
// them inside one transaction with the draft row locked.

// Draft statuses.
const (
	DraftPending  = "pending"  // waiting for approvals
	DraftApproved = "approved" // the quorum is reached and the reply is in the outbox
	DraftPosted   = "posted"   // Discord has the reply
	DraftFailed   = "failed"   // Discord refused the reply; Retry sends it again
	DraftRejected = "rejected" // an approver said no; the author may edit and resubmit
	DraftExpired  = "expired"  // nobody approved it in time
	DraftStale    = "stale"    // the Discord message it answers is gone
)

// What can happen to a draft. DraftTransition says which status each leads
// to from which status.
const (
	DraftApprove = "approve" // an approval that does not reach the quorum yet
	DraftPublish = "publish" // the approval that reaches the quorum
	DraftReject  = "reject"
	DraftEdit    = "edit"  // a new text (or the same, resubmitted after a rejection)
	DraftSent    = "sent"  // Discord accepted the reply
	DraftFail    = "fail"  // Discord refused the reply for good
	DraftRetry   = "retry" // someone asked to send a refused reply again
	DraftExpire  = "expire"
	DraftGoStale = "stale"
)

// draftMachine maps an action to the statuses it may start from and the
// status it leads to.
var draftMachine = map[string]struct {
	from []string
	to   string // "" keeps the status
}{
	DraftApprove: {from: []string{DraftPending}},
	DraftPublish: {from: []string{DraftPending}, to: DraftApproved},
	DraftReject:  {from: []string{DraftPending}, to: DraftRejected},
	DraftEdit:    {from: []string{DraftPending, DraftRejected}, to: DraftPending},
	DraftSent:    {from: []string{DraftApproved, DraftFailed}, to: DraftPosted},
	DraftFail:    {from: []string{DraftApproved}, to: DraftFailed},
	DraftRetry:   {from: []string{DraftFailed}, to: DraftApproved},
	// Only a version still waiting expires or goes stale: a rejection stays
	// a rejection, with its reason, for good.
	DraftExpire:  {from: []string{DraftPending}, to: DraftExpired},
	DraftGoStale: {from: []string{DraftPending}, to: DraftStale},
}

// DraftTransition returns the status draft id moves to when action happens
// in status from, or a *Error (conflict) that tells a person why it cannot.
func DraftTransition(id int64, from, action string) (string, error) {
	m, ok := draftMachine[action]
	if !ok {
		return "", fmt.Errorf("draft %d: unknown action %q", id, action)
	}
	if !slices.Contains(m.from, from) {
		return "", Errorf(EConflict, "Draft #%d %s, so it cannot be %s.", id, DraftStatusText(from), draftVerbs[action])
	}
	if m.to == "" {
		return from, nil
	}
	return m.to, nil
}

var draftVerbs = map[string]string{
	DraftApprove: "approved", DraftPublish: "approved", DraftReject: "rejected", DraftEdit: "edited",
	DraftSent: "marked posted", DraftFail: "marked refused", DraftRetry: "retried", DraftExpire: "expired", DraftGoStale: "marked stale",
}

// DraftStatusText says where a draft stands, for sentences like "Draft #3
// was already posted in Discord".
func DraftStatusText(status string) string {
	switch status {
	case DraftPending:
		return "is waiting for approval"
	case DraftApproved:
		return "is approved and being posted in Discord"
	case DraftPosted:
		return "was already posted in Discord"
	case DraftFailed:
		return "was approved but Discord refused it"
	case DraftRejected:
		return "was rejected"
	case DraftExpired:
		return "expired before anyone approved it"
	case DraftStale:
		return "answers a Discord message that no longer exists"
	}
	return "is " + status
}

// DraftTarget is the Discord message a draft answers.
type DraftTarget struct {
	GuildID   string
	ChannelID string
	MessageID string
}

// Link is the message's address in Discord's web and desktop clients.
func (t DraftTarget) Link() string {
	return "https://discord.com/channels/" + t.GuildID + "/" + t.ChannelID + "/" + t.MessageID
}

// DraftHash binds a text to its target: the hex SHA-256 of the target's ids
// and the text, each length-prefixed so that no two different pairs encode
// alike. An approval records the hash it approved; it counts only while the
// draft still has that hash, so an edit, or a change of target, voids it.
func DraftHash(text string, t DraftTarget) string {
	h := sha256.New()
	for _, s := range []string{t.GuildID, t.ChannelID, t.MessageID, text} {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ShortHash is the first 8 characters of a hash, as histories show it.
func ShortHash(h string) string {
	if len(h) > 8 {
		return h[:8]
	}
	return h
}

// Quorum is how many approvals publish a draft: N of the approvers, or All
// of them (the author aside). The zero value means one ("any").
type Quorum struct {
	All bool
	N   int
}

// String writes the quorum as liaison.yaml does: any, all or a number.
func (q Quorum) String() string {
	switch {
	case q.All:
		return "all"
	case q.N <= 1:
		return "any"
	}
	return strconv.Itoa(q.N)
}

// ApprovalPolicy is who may approve a draft, resolved to Slack user ids, and
// how many of them must.
//
// Four eyes apply to every version of a draft's text: the author a method
// takes is the author of the version being decided (the drafter, or whoever's
// edit produced it), who may never approve it, and whom `all` leaves out.
type ApprovalPolicy struct {
	// Approvers are the Slack user ids that may approve.
	Approvers []string
	Quorum    Quorum
	// Names are how messages name the approvers: people's names and user
	// groups' handles ("carol", "@community-leads").
	Names []string
	// NamesOf maps an approver's Slack id to their name, for those named
	// directly in the policy (people:), so that a message can say who is
	// left when one of them wrote the version.
	NamesOf map[string]string
}

// Eligible returns who may approve a version by author: the approvers but
// the author, each once.
func (p ApprovalPolicy) Eligible(author string) []string {
	var out []string
	for _, a := range p.Approvers {
		if a != author && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// Needed returns how many approvals a version by author needs: N, or with
// `all` every approver who did not write it.
func (p ApprovalPolicy) Needed(author string) int {
	if p.Quorum.All {
		return len(p.Eligible(author))
	}
	return max(p.Quorum.N, 1)
}

// Possible reports whether a version by author can ever be approved: enough
// people other than its author may approve it.
func (p ApprovalPolicy) Possible(author string) bool {
	n := len(p.Eligible(author))
	return n > 0 && n >= p.Needed(author)
}

// Check says whether user may approve (verb "approve") or reject (verb
// "reject") a version by author (named authorName): a *Error (forbidden)
// written for user when not. Only approvers decide, and never on a version
// they wrote.
func (p ApprovalPolicy) Check(user, author, authorName, verb string) error {
	if user == author {
		return Errorf(EForbidden, "You wrote this version of the draft, so you cannot %s it: it %s. Nothing was changed.", verb, p.Describe(author, authorName))
	}
	if !slices.Contains(p.Approvers, user) {
		return Errorf(EForbidden, "You are not an approver for this draft: it %s. Nothing was changed.", p.Describe(author, authorName))
	}
	return nil
}

// Count returns how many of approvers (the Slack ids that approved one
// version) count towards the quorum of that version, written by author.
func (p ApprovalPolicy) Count(author string, approvers []string) int {
	eligible := p.Eligible(author)
	n := 0
	var seen []string
	for _, a := range approvers {
		if slices.Contains(eligible, a) && !slices.Contains(seen, a) {
			seen = append(seen, a)
			n++
		}
	}
	return n
}

// Reached reports whether approvers reach the quorum of a version by author.
func (p ApprovalPolicy) Reached(author string, approvers []string) bool {
	need := p.Needed(author)
	return need > 0 && p.Count(author, approvers) >= need
}

// Describe writes the policy for a version by author (named authorName) as
// the approval message shows it: "needs 1 of carol, dave, erin"; when the
// author is one of the approvers, who is left: "needs 1 of carol, dave —
// dave wrote this version, so only carol can approve it".
func (p ApprovalPolicy) Describe(author, authorName string) string {
	names := strings.Join(p.Names, ", ")
	if names == "" {
		names = "nobody (no approver is configured)"
	}
	var s string
	if p.Quorum.All {
		s = "needs all of " + names
	} else {
		s = fmt.Sprintf("needs %d of %s", max(p.Quorum.N, 1), names)
	}
	if author == "" || !slices.Contains(p.Approvers, author) {
		return s
	}
	name, named := p.NamesOf[author]
	if !named {
		// An approver through a user group: the group still has others.
		return s + fmt.Sprintf(" (not %s, who wrote this version)", cmp.Or(authorName, "its author"))
	}
	var others []string
	for _, n := range p.Names {
		if n != name {
			others = append(others, n)
		}
	}
	if len(others) == 0 {
		return s + fmt.Sprintf(" — %s wrote this version, so nobody else can approve it", name)
	}
	join := " and "
	if p.Needed(author) == 1 {
		join = " or "
	}
	list := others[len(others)-1]
	if len(others) > 1 {
		list = strings.Join(others[:len(others)-1], ", ") + join + list
	}
	return s + fmt.Sprintf(" — %s wrote this version, so only %s can approve it", name, list)
}

// messageLink matches a Discord message link: discord.com (or its ptb.,
// canary. and discordapp.com variants) /channels/GUILD/CHANNEL/MESSAGE.
var messageLink = regexp.MustCompile(`^/channels/([0-9]{15,21})/([0-9]{15,21})/([0-9]{15,21})/?$`)

// ParseMessageLink reads a Discord message link, as "Copy Message Link"
// gives it, possibly wrapped by Slack as <link> or <link|label>.
func ParseMessageLink(s string) (DraftTarget, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	if i := strings.IndexByte(s, '|'); i >= 0 {
		s = s[:i]
	}
	bad := Errorf(EInvalid, "%s is not a Discord message link: in Discord, right-click the message (or long-press it), then Copy Message Link.", Quoted(s))
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return DraftTarget{}, bad
	}
	switch strings.ToLower(u.Host) {
	case "discord.com", "www.discord.com", "ptb.discord.com", "canary.discord.com", "discordapp.com", "www.discordapp.com":
	default:
		return DraftTarget{}, bad
	}
	m := messageLink.FindStringSubmatch(u.Path)
	if m == nil {
		return DraftTarget{}, bad
	}
	return DraftTarget{GuildID: m[1], ChannelID: m[2], MessageID: m[3]}, nil
}
