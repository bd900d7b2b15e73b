package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/bot/store/storetest"
)

func (b *fbBundle) vote(t *testing.T, channel, messageID, userID string, removed bool) {
	t.Helper()
	r := reaction(bot.PlatformDiscord, channel, messageID, userID, "👍")
	r.Removed = removed
	if removed {
		r.Keys[0].Key += ":removed"
	}
	b.event(t, r)
}

func (b *fbBundle) item(t *testing.T, id int64) *store.FeedbackItem {
	t.Helper()
	it, err := b.db.Feedback(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// itemOf returns the item of the Discord message id in the feedback channel.
func (b *fbBundle) itemOf(t *testing.T, id string) *store.FeedbackItem {
	t.Helper()
	var it *store.FeedbackItem
	err := b.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		it, err = tx.FeedbackBySource(context.Background(), sourceKey(bot.PlatformDiscord, feedbackCh, id))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// A near-identical post is offered as a duplicate on its relay; merged
// with one click, its votes (once per person, never the target's author's
// own) and its author count for the first item; later votes on it count
// there too; unmerging takes back exactly what it brought.
func TestMergingADuplicateMovesItsVotesAndUnmergingTakesThemBack(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		const mallory, zed = "1400000000000000005", "1400000000000000006"
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "The export button crashes on big files"))
		b.vote(t, feedbackCh, "1", eveID, false)
		b.vote(t, feedbackCh, "1", daveDiscord, false)
		b.event(t, discordMsg(feedbackCh, "2", eveID, "eve", "export crashes with big files"))
		for _, u := range []string{mallory, daveDiscord, aliceID} {
			b.vote(t, feedbackCh, "2", u, false)
		}
		b.send(t)
		if a, n := b.item(t, 1), b.item(t, 2); a.Votes != 2 || n.Votes != 3 || n.SimilarTo == nil || *n.SimilarTo != 1 {
			t.Fatalf("before: #1 %d votes, #2 %d votes, like %v", a.Votes, n.Votes, n.SimilarTo)
		}
		relay := b.lastRelay(t, "2")
		if !slices.ContainsFunc(relay.Sections, func(s bot.Section) bool { return s.Title == "Looks like #1 (0.78)" }) {
			t.Errorf("#2's relay does not say it looks like #1: %+v", relay)
		}
		var oneClick bot.Button
		for _, btn := range relay.Buttons {
			if btn.Label == "Merge into #1" {
				oneClick = btn
			}
		}
		a := action("feedback.merge", "U01CAROL", 2)
		a.Value = oneClick.Value
		reply, err := b.r.HandleAction(ctx, a)
		if err != nil || reply.Text != "Feedback #2 is merged into #1, which has 3 vote(s) now. /liaison feedback unmerge 2 undoes it." {
			t.Fatalf("Merge into #1 = %+v, %v", reply, err)
		}
		// eve (a voter already, and #2's author), dave (once), mallory; not
		// alice, whose item #1 is.
		m, n := b.item(t, 1), b.item(t, 2)
		if m.Votes != 3 || n.Status != store.FeedbackClosed || n.CloseReason != "duplicate of #1" || n.DuplicateOf == nil || *n.DuplicateOf != 1 {
			t.Errorf("after: #1 %d votes; #2 %s %q", m.Votes, n.Status, n.CloseReason)
		}
		if r := b.lastRelay(t, "2"); len(r.Buttons) != 0 || len(r.Sections) != 1 || r.Sections[0].Title != "Duplicate of #1" ||
			!strings.Contains(fieldsText(r), "Status: closed by carol: duplicate of #1") {
			t.Errorf("#2's relay = %s %+v %s", fieldsText(r), r.Sections, apLabels(r.Buttons))
		}
		if r := b.lastRelay(t, "1"); !strings.Contains(fieldsText(r), "Votes: 3") || !strings.Contains(fieldsText(r), "Duplicates: #2") {
			t.Errorf("#1's relay = %s", fieldsText(r))
		}

		// Later votes on #2's message count for #1; taking one back too.
		b.vote(t, feedbackCh, "2", zed, false)
		if m := b.item(t, 1); m.Votes != 4 {
			t.Errorf("after zed's vote on #2: #1 has %d votes, want 4", m.Votes)
		}
		b.vote(t, feedbackCh, "2", zed, true)
		b.vote(t, feedbackCh, "2", daveDiscord, true) // dave's own vote on #1 stays
		if m := b.item(t, 1); m.Votes != 3 {
			t.Errorf("after zed and dave took their votes on #2 back: #1 has %d votes, want 3", m.Votes)
		}

		for _, bad := range []struct{ text, want string }{
			{"feedback merge 1 into 1", "cannot be merged into itself"},
			{"feedback merge 2 into 1", "already a duplicate of #1"},
			{"feedback merge 1 into 2", "is a duplicate of #1: merging #1 into it would go round in a circle"},
			{"feedback merge 1 into 9", "There is no feedback item 9"},
			{"feedback merge 1 to 2", "Say which item goes into which"},
			{"feedback unmerge 1", "was never merged"},
			{"feedback status 2 planned", "is a duplicate of #1: set #1's status"},
			{"feedback reopen 2", "closed as a duplicate of #1: /liaison feedback unmerge 2"},
		} {
			if _, err := b.liaison(t, "U01CAROL", bad.text); err == nil || !strings.Contains(bot.ErrorMessage(err), bad.want) {
				t.Errorf("%s = %v, want %q", bad.text, err, bad.want)
			}
		}
		if m := b.item(t, 1); m.Votes != 3 || m.DuplicateOf != nil {
			t.Errorf("refusals changed #1: %+v", m)
		}

		reply, err = b.liaison(t, "U01CAROL", "feedback unmerge 2")
		if err != nil || reply.Text != "Feedback #2 is its own item again; #1 has 2 vote(s) now." {
			t.Fatalf("unmerge = %+v, %v", reply, err)
		}
		if n := b.item(t, 2); n.Status != store.FeedbackOpen || n.DuplicateOf != nil || n.Votes != 2 {
			t.Errorf("unmerged #2 = %s, dup %v, %d votes (mallory, alice)", n.Status, n.DuplicateOf, n.Votes)
		}

		// Merged again, then #1 closes: the merge stands, and closed items
		// take no duplicates.
		if _, err := b.liaison(t, "U01CAROL", "feedback merge 2 into 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.liaison(t, "U01CAROL", "feedback close 1 done"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.liaison(t, "U01CAROL", "feedback unmerge 2"); err == nil || !strings.Contains(bot.ErrorMessage(err), "a merge can be undone only until then") {
			t.Errorf("unmerge after #1 closed = %v", err)
		}
		b.event(t, discordMsg(feedbackCh, "3", zed, "zed", "dark mode please"))
		if _, err := b.liaison(t, "U01CAROL", "feedback merge 3 into 1"); err == nil || !strings.Contains(bot.ErrorMessage(err), "merge into an item that is still open") {
			t.Errorf("merge into a closed item = %v", err)
		}
		if _, err := b.liaison(t, "U0STRANGER", "feedback merge 3 into 2"); bot.ErrorCode(err) != bot.EForbidden {
			t.Errorf("a stranger's merge = %v", err)
		}
	})
}

// The Merge button opens a form proposing the most similar open items.
func TestTheMergeButtonProposesTheMostSimilarOpenItems(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "please add a dark theme to the dashboard"))
		b.event(t, discordMsg(feedbackCh, "2", aliceID, "alice", "the export button crashes on big files"))
		b.event(t, discordMsg(feedbackCh, "3", eveID, "eve", "Dark mode for the dashboard please!"))
		r, err := b.r.HandleAction(context.Background(), action("feedback.merge", "U01CAROL", 3))
		if err != nil || r.Modal == nil {
			t.Fatalf("Merge = %+v, %v", r, err)
		}
		f := r.Modal.Fields[0]
		if f.Value != "1" || !strings.HasPrefix(f.Label, "Merge #3 into which item? Most like it: #1 (0.45) “please add a dark theme to the dashboard”") {
			t.Errorf("form field = %+v", f)
		}
	})
}

// An item is found by what it says now: an edit moves its similarity
// keys to the new text, a merge takes them away, an unmerge brings them
// back.
func TestAnItemIsFoundByItsCurrentTextNotItsFormerOne(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		sharing := b.indexed
		const before, after = "The export button crashes on big files", "please add a dark theme to the dashboard"
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", before))
		edit := discordMsg(feedbackCh, "1", aliceID, "alice", after)
		edit.Edited = true
		edit.Delivery.Keys[0].Key = "1:edit"
		b.event(t, edit)
		if got, got2 := sharing(before), sharing(after); len(got) != 0 || !slices.Equal(got2, []int64{1}) {
			t.Errorf("after #1's edit, under its former text's keys: %v, under its new text's: %v; want none, then #1", got, got2)
		}
		b.event(t, discordMsg(feedbackCh, "2", eveID, "eve", "export crashes with big files"))
		b.event(t, discordMsg(feedbackCh, "3", eveID, "eve", "Dark theme for the dashboard"))
		if got := likeOf(b.item(t, 2)) + " " + likeOf(b.item(t, 3)); got != "- #1 (0.80)" {
			t.Errorf("looked like after #1's edit: %s, want - (its former text) and #1 (its new one)", got)
		}
		if _, err := b.liaison(t, "U01CAROL", "feedback merge 1 into 3"); err != nil {
			t.Fatal(err)
		}
		if got := sharing(after); !slices.Equal(got, []int64{3}) {
			t.Errorf("after #1's merge into #3, under its keys: %v, want #3 alone", got)
		}
		if _, err := b.liaison(t, "U01CAROL", "feedback unmerge 1"); err != nil {
			t.Fatal(err)
		}
		if got := sharing(after); !slices.Equal(got, []int64{1, 3}) {
			t.Errorf("after #1's unmerge, under its keys: %v, want #1 and #3", got)
		}
		b.event(t, discordMsg(feedbackCh, "4", eveID, "eve", after))
		if got := likeOf(b.item(t, 4)); got != "#1 (1.00)" {
			t.Errorf("#4 looked like %s, want #1, open again", got)
		}
	})
}

// Similarity suggestions on a fixed corpus: which open item each new post
// is offered as a duplicate of, at the default threshold (0.75). The
// golden file is rewritten with go test ./handlers -update.
func TestSimilaritySuggestionsOnAFixedCorpus(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		corpus := []string{
			"The export button crashes on big files",
			"please add a dark theme to the dashboard",
			"login with SSO is broken for our team",
			"L'export plante avec les gros fichiers",
			"search is slow since the last update",
			"export crashes with big files",
			"Dark theme for the dashboard",
			"SSO login broken for our team",
			"l'export plante sur les gros fichiers",
			"the search is really slow",
			"can we get a dark mode on mobile?",
			"Export button crash when the file is big",
			"billing page shows the wrong currency",
		}
		var out strings.Builder
		for i, text := range corpus {
			id := fmt.Sprint(i + 1)
			b.event(t, discordMsg(feedbackCh, id, aliceID, "alice", text))
			it := b.item(t, int64(i+1))
			like := "-"
			if it.SimilarTo != nil {
				like = fmt.Sprintf("#%d (%s)", *it.SimilarTo, bot.FormatScore(it.SimilarScore))
			}
			fmt.Fprintf(&out, "#%d %-45s → %s\n", it.ID, text, like)
		}
		path := filepath.Join("testdata", "similar_corpus.golden")
		if updating() && db.Dialect() == store.SQLite {
			if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if out.String() != string(want) {
			t.Errorf("suggestions:\n%s\nwant (%s):\n%s", out.String(), path, want)
		}
	})
}

// likeOf is the open item it looked like at intake: "#4 (0.82)", or "-".
func likeOf(it *store.FeedbackItem) string {
	if it.SimilarTo == nil {
		return "-"
	}
	return fmt.Sprintf("#%d (%s)", *it.SimilarTo, bot.FormatScore(it.SimilarScore))
}

// lookAlikes stores n items by eve, of text(i), with their similarity keys
// (as intake would, without its suggestion), each followed by then when
// it is not nil, in one transaction.
func (b *fbBundle) lookAlikes(t *testing.T, n int, text func(i int) string, then func(tx *store.Tx, it *store.FeedbackItem) error) {
	t.Helper()
	ctx := context.Background()
	err := b.db.InTx(ctx, func(tx *store.Tx) error {
		for i := range n {
			it := &store.FeedbackItem{SourceKey: fmt.Sprintf("test:%d", i), Source: bot.PlatformDiscord, Intake: "channel", AuthorName: "eve", Text: text(i)}
			if _, err := tx.CreateFeedback(ctx, b.clock.Now(), it); err != nil {
				return err
			}
			b.caps.Feedback.reindexSimilarity(tx, it)
			if then != nil {
				if err := then(tx, it); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Merged look-alikes leave the similarity index (the look-up reads each
// key's newest items only): a new post like the item they went into is
// still offered as its duplicate, however many were merged; unmerged, a
// look-alike is found again (the newest of two equals).
func TestManyMergedLookAlikesDoNotHideTheItemTheyWentInto(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		ctx := context.Background()
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "The export button crashes on big files"))
		const lookAlike = "export button crashes with big files"
		const merged = 130 // more than a posting list's read
		b.lookAlikes(t, merged, func(int) string { return lookAlike }, func(tx *store.Tx, it *store.FeedbackItem) error {
			_, err := b.caps.Feedback.merge(ctx, tx, it.ID, 1, bot.User{Platform: bot.PlatformSlack, ID: "U01CAROL"})
			return err
		})
		b.event(t, discordMsg(feedbackCh, "500", eveID, "eve", "the export button crashes on big files!"))
		it := b.item(t, merged+2)
		if it.SimilarTo == nil || *it.SimilarTo != 1 || bot.FormatScore(it.SimilarScore) != "1.00" {
			t.Fatalf("#%d %q looks like %s, want #1 (1.00)", it.ID, it.Text, likeOf(it))
		}
		if reply, err := b.liaison(t, "U01CAROL", fmt.Sprintf("feedback merge %d into 1", it.ID)); err != nil || !strings.Contains(reply.Text, "is merged into #1") {
			t.Fatalf("merge = %+v, %v", reply, err)
		}
		if reply, err := b.liaison(t, "U01CAROL", "feedback unmerge 2"); err != nil || !strings.Contains(reply.Text, "#2 is its own item again") {
			t.Fatalf("unmerge = %+v, %v", reply, err)
		}
		b.event(t, discordMsg(feedbackCh, "501", eveID, "eve", lookAlike+"!"))
		it = b.item(t, merged+3)
		if it.SimilarTo == nil || *it.SimilarTo != 2 || bot.FormatScore(it.SimilarScore) != "1.00" {
			t.Fatalf("#%d looks like %s, want #2 (1.00): the unmerged item is found again", it.ID, likeOf(it))
		}
	})
}

// Intake scores only the candidates sharing the most MinHash bands: among
// forty look-alikes, the one item saying the same thing is still found,
// however old.
func TestTheBestOfManyLookAlikesIsSuggested(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := setupFeedback(t, db)
		b.event(t, discordMsg(feedbackCh, "1", aliceID, "alice", "The export button crashes on big files"))
		extra := strings.Fields("csv pdf mobile tablet dashboard report chart invoice team admin")
		b.lookAlikes(t, 40, func(i int) string {
			return fmt.Sprintf("export button crashes on big %s files with %s", extra[i%10], extra[(i/10+3)%10])
		}, nil)
		b.event(t, discordMsg(feedbackCh, "500", eveID, "eve", "the export button crashes on big files!"))
		if it := b.item(t, 42); likeOf(it) != "#1 (1.00)" {
			t.Errorf("#%d %q looks like %s, want #1 (1.00)", it.ID, it.Text, likeOf(it))
		}
	})
}
