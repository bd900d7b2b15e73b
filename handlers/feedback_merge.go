package handlers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// Duplicates: /liaison feedback merge N into M, the relay's Merge button
// (a form proposing the most similar open items) and its one-click "Looks
// like #M (0.82)" Merge; /liaison feedback unmerge N until M is closed. At
// intake each item is compared with the open items of the last 90 days
// (bot.Similarity, found through MinHash band keys in the store).

// similarWindow is how far back intake looks for items like a new one.
const similarWindow = 90 * 24 * time.Hour

// similarItem is an open item like a text, and how much.
type similarItem struct {
	id    int64
	score float64
	text  string
}

// similarTo returns the open items (of the last 90 days, but exclude) most
// like sh, best first, at most n, with a score above 0: the Merge form's
// proposals. Candidates come from shared words, a broader net than the
// bands intake looks through (similarIndex.like), which rank loosely: the
// 50 sharing most are scored.
func (fb *Feedback) similarTo(ctx context.Context, tx *store.Tx, sh bot.Shingles, exclude int64, n int) ([]similarItem, error) {
	since := fb.clock.Now().Add(-similarWindow)
	if err := fb.index.ensure(ctx, tx, since); err != nil {
		return nil, err
	}
	cands, err := tx.SimilarItems(ctx, fb.index.rank(sh.WordKeys(), exclude, postingCap, 0), 50, since)
	if err != nil {
		return nil, err
	}
	return fb.rankSimilar(sh, cands, n), nil
}

// rankSimilar scores cands against sh and returns the n most like it,
// best first (then newest), with a score above 0.
func (fb *Feedback) rankSimilar(sh bot.Shingles, cands []store.SimilarCandidate, n int) []similarItem {
	var out []similarItem
	for _, c := range cands {
		text := itemText(c.Title, c.Text)
		if s := bot.Similarity(sh, fb.shingles.of(c.ID, text)); s > 0 {
			out = append(out, similarItem{id: c.ID, score: s, text: text})
		}
	}
	slices.SortStableFunc(out, func(a, b similarItem) int {
		if a.score != b.score {
			return cmp.Compare(b.score, a.score)
		}
		return cmp.Compare(b.id, a.id)
	})
	return out[:min(n, len(out))]
}

// createIndexed creates it (p's item), noting the open item it looks like
// when above the threshold (scored in memory, the store telling which are
// open), and enqueues the relays relays makes of it: at intake, one
// statement on Postgres (store.Tx.CreateFeedbackRelayed). Once committed,
// it is indexed. When it is not created (its message has an item
// already), it holds that item and nothing is enqueued.
func (fb *Feedback) createIndexed(ctx context.Context, tx *store.Tx, p *preparedIntake, it *store.FeedbackItem,
	relays func(*store.FeedbackItem) ([]store.RelayOut, error)) (bool, error) {
	since := p.now.Add(-similarWindow)
	like := p.like
	if !p.liked {
		if err := fb.index.ensure(ctx, tx, since); err != nil {
			return false, err
		}
		like = fb.index.like(p.sh, p.bands, fb.cfg.Feedback.SimilarThreshold)
	}
	created, err := tx.CreateFeedbackRelayed(ctx, p.now, it, like, since, relays)
	if err != nil || !created {
		return created, err
	}
	sh, id, keys, created0, updated := p.sh, it.ID, slices.Concat(p.bands, p.sh.WordKeys()), it.CreatedAt, it.UpdatedAt
	tx.OnCommit(func() { fb.index.put(id, sh, keys, created0, updated) })
	return true, nil
}

// reindexSimilarity indexes it again once tx commits, its text or its
// merge having changed: under its current keys, none when it is a
// duplicate (merged), which is never a candidate.
func (fb *Feedback) reindexSimilarity(tx *store.Tx, it *store.FeedbackItem) {
	var sh bot.Shingles
	var keys []uint64
	if it.DuplicateOf == nil {
		sh = bot.ShinglesOf(itemText(it.Title, it.Text))
		keys = textKeys(sh)
	}
	id, created, updated := it.ID, it.CreatedAt, it.UpdatedAt
	tx.OnCommit(func() { fb.index.put(id, sh, keys, created, updated) })
}

// voterKey is how votes name u: their people: name, else their account.
func (fb *Feedback) voterKey(u bot.User) string {
	if p := fb.dir.Person(u); p != "" {
		return "person:" + p
	}
	return u.Platform + ":" + u.ID
}

// authorKey is the voter key of it's author, "" when it has none (logged
// by staff for a customer).
func (fb *Feedback) authorKey(it *store.FeedbackItem) string {
	if it.Customer != "" || it.AuthorID == "" {
		return ""
	}
	return fb.voterKey(bot.User{Platform: it.Source, ID: it.AuthorID})
}

// merge merges item n into item m on u's word, in tx: m gains n's votes
// (once per person) and n's author as a voter; n is closed as "duplicate
// of #m"; both items' relays show it.
func (fb *Feedback) merge(ctx context.Context, tx *store.Tx, nID, mID int64, u bot.User) (string, error) {
	if nID == mID {
		return "", bot.Errorf(bot.EInvalid, "An item cannot be merged into itself: name two items, like /liaison feedback merge 12 into 4. Nothing was changed.")
	}
	n, err := tx.Feedback(ctx, nID)
	if err != nil {
		return "", err
	}
	m, err := tx.Feedback(ctx, mID)
	if err != nil {
		return "", err
	}
	switch {
	case n.DuplicateOf != nil:
		return "", bot.Errorf(bot.EConflict, "Feedback #%d is already a duplicate of #%d; unmerge it first (/liaison feedback unmerge %d). Nothing was changed.", n.ID, *n.DuplicateOf, n.ID)
	case m.DuplicateOf != nil && *m.DuplicateOf == n.ID:
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is a duplicate of #%d: merging #%d into it would go round in a circle. Nothing was changed.", m.ID, n.ID, n.ID)
	case m.DuplicateOf != nil:
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is itself a duplicate of #%d: merge into #%d instead. Nothing was changed.", m.ID, *m.DuplicateOf, *m.DuplicateOf)
	case store.FeedbackDone(m.Status):
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is %s: merge into an item that is still open, or reopen it first. Nothing was changed.", m.ID, statusLine(m))
	case store.FeedbackDone(n.Status):
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d is %s already: reopen it first to merge it. Nothing was changed.", n.ID, statusLine(n))
	}
	if dups, err := tx.Duplicates(ctx, n.ID); err != nil {
		return "", err
	} else if len(dups) > 0 {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d has duplicates merged into it (#%d): merge those into #%d first, or unmerge them. Nothing was changed.", n.ID, dups[0], m.ID)
	}
	now := fb.clock.Now()
	voters, err := tx.Voters(ctx, n.ID)
	if err != nil {
		return "", err
	}
	if k := fb.authorKey(n); k != "" {
		voters = append(voters, k)
	}
	mAuthor := fb.authorKey(m)
	for _, v := range voters {
		if v == mAuthor {
			continue // #m's author agreeing with themselves is no vote
		}
		if _, err := tx.AddVoteVia(ctx, now, m.ID, v, n.ID); err != nil {
			return "", err
		}
	}
	by := fb.dir.Actor(u)
	n.Status, n.HandledBy, n.ClosedAt, n.StatusNote = store.FeedbackClosed, by, &now, ""
	n.CloseReason, n.DuplicateOf = fmt.Sprintf("duplicate of #%d", m.ID), &m.ID
	if err := tx.SaveFeedback(ctx, now, n); err != nil {
		return "", err
	}
	// A duplicate is never a candidate: its keys leave the index, so that
	// many merged look-alikes do not crowd the item they went into out of
	// the posting lists the similarity look-up reads (newest first).
	fb.reindexSimilarity(tx, n)
	if err := fb.cancelNotices(ctx, tx, n.ID); err != nil {
		return "", err
	}
	if err := tx.LogFeedback(ctx, now, n.ID, by, "merged", fmt.Sprintf("into #%d", m.ID)); err != nil {
		return "", err
	}
	if err := tx.LogFeedback(ctx, now, m.ID, by, "merged a duplicate", fmt.Sprintf("#%d, with its votes", n.ID)); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, n); err != nil {
		return "", err
	}
	if m, err = tx.Feedback(ctx, m.ID); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, m); err != nil {
		return "", err
	}
	return fmt.Sprintf("Feedback #%d is merged into #%d, which has %d vote(s) now. /liaison feedback unmerge %d undoes it.", n.ID, m.ID, m.Votes, n.ID), nil
}

// unmerge undoes the merge of item nID, in tx, while the item it went into
// is not closed: the votes it brought are taken back and it is open again.
func (fb *Feedback) unmerge(ctx context.Context, tx *store.Tx, nID int64, u bot.User) (string, error) {
	n, err := tx.Feedback(ctx, nID)
	if err != nil {
		return "", err
	}
	if n.DuplicateOf == nil {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d was never merged into another item: there is nothing to unmerge.", n.ID)
	}
	m, err := tx.Feedback(ctx, *n.DuplicateOf)
	if err != nil {
		return "", err
	}
	if store.FeedbackDone(m.Status) {
		return "", bot.Errorf(bot.EInvalid, "Feedback #%d, which #%d was merged into, is %s: a merge can be undone only until then. Nothing was changed.", m.ID, n.ID, statusLine(m))
	}
	now := fb.clock.Now()
	if _, err := tx.RemoveVotesVia(ctx, now, m.ID, n.ID, ""); err != nil {
		return "", err
	}
	by := fb.dir.Actor(u)
	n.Status, n.HandledBy, n.ClosedAt, n.CloseReason, n.DuplicateOf = store.FeedbackOpen, "", nil, "", nil
	if err := tx.SaveFeedback(ctx, now, n); err != nil {
		return "", err
	}
	fb.reindexSimilarity(tx, n)
	if err := tx.LogFeedback(ctx, now, n.ID, by, "unmerged", fmt.Sprintf("from #%d", m.ID)); err != nil {
		return "", err
	}
	if err := tx.LogFeedback(ctx, now, m.ID, by, "unmerged a duplicate", fmt.Sprintf("#%d, and the votes it brought", n.ID)); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, n); err != nil {
		return "", err
	}
	if m, err = tx.Feedback(ctx, m.ID); err != nil {
		return "", err
	}
	if err := fb.refreshRelays(ctx, tx, m); err != nil {
		return "", err
	}
	return fmt.Sprintf("Feedback #%d is its own item again; #%d has %d vote(s) now.", n.ID, m.ID, m.Votes), nil
}

// mergeCommand is /liaison feedback merge N into M.
func (fb *Feedback) mergeCommand(ctx context.Context, rest string, u bot.User) (*bot.Reply, error) {
	f := strings.Fields(rest)
	if len(f) != 3 || !strings.EqualFold(f[1], "into") {
		return nil, bot.Errorf(bot.EInvalid, "Say which item goes into which: /liaison feedback merge 12 into 4 (12 is closed as a duplicate of 4, which gets its votes).")
	}
	n, err := parseItemID(f[0], "merge")
	if err != nil {
		return nil, err
	}
	m, err := parseItemID(f[2], "merge")
	if err != nil {
		return nil, err
	}
	return fb.mergeNow(ctx, n, m, u)
}

func (fb *Feedback) mergeNow(ctx context.Context, n, m int64, u bot.User) (*bot.Reply, error) {
	var msg string
	err := fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		msg, err = fb.merge(ctx, tx, n, m, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// unmergeCommand is /liaison feedback unmerge N.
func (fb *Feedback) unmergeCommand(ctx context.Context, rest string, u bot.User) (*bot.Reply, error) {
	id, err := parseItemID(rest, "unmerge")
	if err != nil {
		return nil, err
	}
	var msg string
	err = fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		msg, err = fb.unmerge(ctx, tx, id, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: msg}, nil
}

// mergeForm answers the relay's Merge button: a form asking which item
// this one duplicates, proposing the most similar open ones.
func (fb *Feedback) mergeForm(ctx context.Context, id int64) (*bot.Reply, error) {
	it, err := fb.db.Feedback(ctx, id)
	if err != nil {
		return nil, err
	}
	var best []similarItem
	err = fb.db.InTx(ctx, func(tx *store.Tx) (err error) {
		best, err = fb.similarTo(ctx, tx, bot.ShinglesOf(itemText(it.Title, it.Text)), it.ID, 3)
		return err
	})
	if err != nil {
		return nil, err
	}
	label := fmt.Sprintf("Merge #%d into which item? Its number:", it.ID)
	value := ""
	if len(best) > 0 {
		var like []string
		for _, s := range best {
			like = append(like, fmt.Sprintf("#%d (%s) “%s”", s.id, bot.FormatScore(s.score), bot.OneLine(s.text, 60)))
		}
		label = fmt.Sprintf("Merge #%d into which item? Most like it: %s", it.ID, strings.Join(like, ", "))
		value = strconv.FormatInt(best[0].id, 10)
	}
	return &bot.Reply{Modal: &bot.Modal{CallbackID: "feedback.merge", Title: fmt.Sprintf("Merge feedback #%d", it.ID), Submit: "Merge",
		Meta: strconv.FormatInt(it.ID, 10), Fields: []bot.ModalField{{ID: "into", Label: bot.Truncate(label, 1900), Value: value}}}}, nil
}

// mergeSubmitted handles the Merge form.
func (fb *Feedback) mergeSubmitted(ctx context.Context, s *bot.Submission) (*bot.Reply, error) {
	n, err := strconv.ParseInt(s.Meta, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This form does not name a feedback item; nothing was changed.")
	}
	m, err := parseItemID(s.Values["into"], "merge")
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "Give the number of the item #%d duplicates, like 4. Nothing was changed.", n)
	}
	return fb.mergeNow(ctx, n, m, s.User)
}

// mergeClicked answers the relay's one-click "Merge into #M" (value
// "N:M") and its Merge button (value "N").
func (fb *Feedback) mergeClicked(ctx context.Context, a *bot.Action) (*bot.Reply, error) {
	nText, mText, into := strings.Cut(a.Value, ":")
	n, err := strconv.ParseInt(nText, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	if !into {
		return fb.mergeForm(ctx, n)
	}
	m, err := strconv.ParseInt(mText, 10, 64)
	if err != nil {
		return nil, bot.Errorf(bot.EInvalid, "This button does not name a feedback item; nothing was changed.")
	}
	return fb.mergeNow(ctx, n, m, a.User)
}

// voteOnDuplicate carries a vote on a merged item's source to the item it
// was merged into: it counts there (once per person), and goes back with
// it if it is unmerged.
func (fb *Feedback) voteOnDuplicate(ctx context.Context, tx *store.Tx, n *store.FeedbackItem, voter string, removed bool) error {
	m, err := tx.Feedback(ctx, *n.DuplicateOf)
	if err != nil {
		return err
	}
	if voter == fb.authorKey(m) {
		return nil
	}
	if removed {
		_, err = tx.RemoveVotesVia(ctx, fb.clock.Now(), m.ID, n.ID, voter)
	} else {
		_, err = tx.AddVoteVia(ctx, fb.clock.Now(), m.ID, voter, n.ID)
	}
	if err != nil {
		return err
	}
	if m, err = tx.Feedback(ctx, m.ID); err != nil {
		return err
	}
	return fb.refreshRelays(ctx, tx, m)
}
