package sentiment_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/liaison-bot/liaison/bot/sentiment"
)

// verdict is the part of a Score the table pins down; Compound is checked
// only for its sign, through Label.
type verdict struct {
	Label   string
	Reasons []string
	Lang    string
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	const (
		pos = sentiment.Positive
		neg = sentiment.Negative
		neu = sentiment.Neutral
	)
	tests := []struct {
		name string
		text string
		want verdict
	}{
		// Bug reports.
		{"a crash report is negative because of the crash",
			"the export button crashes on big files", verdict{neg, []string{"crashes"}, "en"}},
		{"several symptoms are all reasons, strongest first",
			"app keeps freezing, unusable, I want a refund", verdict{neg, []string{"unusable", "refund", "freezing"}, "en"}},
		{"a slow and laggy app is negative",
			"the app is slow and laggy since 2.3", verdict{neg, []string{"laggy", "slow"}, "en"}},
		{"broken and error count as bug words",
			"Sync is broken, I get an error every time", verdict{neg, []string{"broken", "error"}, "en"}},
		{"a failing upload is negative",
			"upload fails with a timeout", verdict{neg, []string{"fails", "timeout"}, "en"}},

		// Praise.
		{"love and thanks are praise",
			"love the new dashboard, thanks!", verdict{pos, []string{"love", "thanks"}, "en"}},
		{"a finally fixed bug is good news",
			"finally fixed, thanks", verdict{pos, []string{"thanks", "fixed", "finally"}, "en"}},
		{"smooth and fast is praise",
			"the new version is smooth and fast", verdict{pos, []string{"smooth", "fast"}, "en"}},
		{"awesome and great are praise",
			"awesome update, great job", verdict{pos, []string{"awesome", "great"}, "en"}},

		// Negation.
		{"not bad at all is not negative",
			"not bad at all", verdict{pos, []string{"not bad"}, "en"}},
		{"doesn't work is a bug report even though work is neutral",
			"doesn't work", verdict{neg, []string{"doesn't work"}, "en"}},
		{"won't load is a bug report",
			"the login page won't load", verdict{neg, []string{"won't load"}, "en"}},
		{"a contraction without apostrophe still negates",
			"it doesnt work", verdict{neg, []string{"doesnt work"}, "en"}},
		{"never crashing is praise",
			"it never crashes anymore", verdict{pos, []string{"never crashes"}, "en"}},
		{"negation reaches past a booster",
			"this is not very good", verdict{neg, []string{"not very good"}, "en"}},
		{"negation stops at the end of a sentence",
			"It's not me. Crashes all the time", verdict{neg, []string{"crashes"}, "en"}},
		{"can't log in is a bug report",
			"I can't log in", verdict{neg, []string{"can't log"}, "en"}},
		{"works alone says nothing",
			"it works on my machine", verdict{neu, nil, "en"}},

		// Intensifiers, caps, punctuation.
		{"caps among lower-case words add emphasis",
			"The new update is GREAT", verdict{pos, []string{"great"}, "en"}},
		{"a booster used on a bad word does not read as praise",
			"pretty slow honestly", verdict{neg, []string{"slow"}, "en"}},
		{"elongated words are found and quoted as written",
			"sooo slowww", verdict{neg, []string{"slowww"}, "en"}},

		// Emoji and emoticons.
		{"an angry face is negative",
			"export again 😡", verdict{neg, []string{"😡"}, "en"}},
		{"a heart with its variation selector is quoted whole",
			"❤️ this app", verdict{pos, []string{"❤️"}, "en"}},
		{"party popper and thumbs up are praise",
			"v2 is out 🎉👍", verdict{pos, []string{"🎉", "👍"}, "en"}},
		{"a crying face is negative",
			"lost all my notes 😢", verdict{neg, []string{"😢", "lost"}, "en"}},
		{"negation does not flip an emoji",
			"the login page won't load :(", verdict{neg, []string{":(", "won't load"}, "en"}},

		// Neutral questions and requests.
		{"a how-to question is neutral",
			"how do I export to CSV?", verdict{neu, nil, "en"}},
		{"a feature request is neutral",
			"I'd like to export my data to PDF", verdict{neu, nil, "en"}},
		{"a polite request for help is neutral",
			"Can you please help me with the settings?", verdict{neu, nil, "en"}},
		{"kind of is not kindness",
			"what kind of file does it accept?", verdict{neu, nil, "en"}},

		// But: the clause after "but" carries the verdict.
		{"praise but a crash is a complaint about the crash",
			"love the app but export crashes", verdict{neg, []string{"crashes"}, "en"}},
		{"a small gripe but praise is praise",
			"a bit slow at start but I love it", verdict{pos, []string{"love"}, "en"}},

		// French.
		{"l'export plante is a French crash report",
			"l'export plante tout le temps", verdict{neg, []string{"plante"}, "fr"}},
		{"merci and génial are French praise",
			"merci, c'est génial", verdict{pos, []string{"génial", "merci"}, "fr"}},
		{"ça marche pas is negated after the verb",
			"ça marche pas", verdict{neg, []string{"marche pas"}, "fr"}},
		{"ne marche pas quotes the whole negation",
			"ça ne marche pas du tout", verdict{neg, []string{"ne marche pas"}, "fr"}},
		{"pas mal is French for not bad",
			"c'est pas mal", verdict{pos, []string{"pas mal"}, "fr"}},
		{"un peu lent is mildly negative",
			"c'est un peu lent", verdict{neg, []string{"lent"}, "fr"}},
		{"peu fiable is negated praise",
			"l'appli est peu fiable", verdict{neg, []string{"peu fiable"}, "fr"}},
		{"French feminine plural finds its base form",
			"les exports sont cassées et très lentes", verdict{neg, []string{"cassées", "lentes"}, "fr"}},
		{"French without accents is still French",
			"c'est genial, merci", verdict{pos, []string{"genial", "merci"}, "fr"}},
		{"a French question is neutral",
			"Est-ce qu'on peut exporter en CSV ?", verdict{neu, nil, "fr"}},
		{"a lone merci is French praise",
			"Merci !", verdict{pos, []string{"merci"}, "fr"}},
		{"je n'arrive pas is a French bug report",
			"je n'arrive pas à me connecter", verdict{neg, []string{"pas à me connecter", "n'arrive pas"}, "fr"}},
		{"ça plante plus is good news",
			"depuis la mise à jour ça plante plus", verdict{pos, []string{"plante plus"}, "fr"}},
		{"French anglicisms count",
			"le jeu bug et crash au lancement", verdict{neg, []string{"crash", "bug"}, "fr"}},

		// Nothing to go on.
		{"empty text is neutral English", "", verdict{neu, nil, "en"}},
		{"a bare link is neutral",
			"https://example.com/issues/42", verdict{neu, nil, "en"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sentiment.Analyze(tt.text)
			got := verdict{s.Label, s.Reasons, s.Lang}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Analyze(%q) = %+v (%s), mismatch (-want +got):\n%s", tt.text, s, s.Explain(), diff)
			}
			checkInvariants(t, tt.text, s)
		})
	}
}

// checkInvariants holds for every Score.
func checkInvariants(t *testing.T, text string, s sentiment.Score) {
	t.Helper()
	switch {
	case s.Compound < -1 || s.Compound > 1:
		t.Errorf("Analyze(%q).Compound = %v, want within -1..1", text, s.Compound)
	case s.Label == sentiment.Positive && s.Compound < 0.05,
		s.Label == sentiment.Negative && s.Compound > -0.05,
		s.Label == sentiment.Neutral && (s.Compound >= 0.05 || s.Compound <= -0.05):
		t.Errorf("Analyze(%q) = %s with compound %v, which is the wrong side of ±0.05", text, s.Label, s.Compound)
	case s.Label == sentiment.Neutral && len(s.Reasons) > 0:
		t.Errorf("Analyze(%q) is neutral but gives reasons %q", text, s.Reasons)
	case len(s.Reasons) > 5:
		t.Errorf("Analyze(%q) gives %d reasons, want at most 5", text, len(s.Reasons))
	case s.Lang != "en" && s.Lang != "fr":
		t.Errorf("Analyze(%q).Lang = %q, want en or fr", text, s.Lang)
	}
	for _, r := range s.Reasons {
		if r != strings.ToLower(r) {
			t.Errorf("Analyze(%q) reason %q is not lower-case", text, r)
		}
	}
}

func TestAnalyzeKnowsFeedbackVocabulary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		label string
		words string
	}{
		{sentiment.Negative, "crash crashes broken bug slow laggy freeze unusable error fails refund"},
		{sentiment.Positive, "love great awesome thanks finally smooth fast"},
		{sentiment.Negative, "bug plante cassé nul lent rame inutilisable remboursement"},
		{sentiment.Positive, "merci génial super top bravo fluide rapide"},
		{sentiment.Negative, "😡 🤬 😢 😭 👎 💔 🐛 :( :/"},
		{sentiment.Positive, "❤️ ❤ 👍 🎉 😍 🙏 🚀 :) <3"},
	}
	for _, tt := range tests {
		for _, w := range strings.Fields(tt.words) {
			if s := sentiment.Analyze(w); s.Label != tt.label || len(s.Reasons) != 1 || s.Reasons[0] != w {
				t.Errorf("Analyze(%q) = %q, want %s: %s", w, s.Explain(), tt.label, w)
			}
		}
	}
}

func TestAnalyzeListsOnlyReasonsOnTheLabelsSide(t *testing.T) {
	t.Parallel()
	s := sentiment.Analyze("great app, love the themes, but the export crashes and the sync is broken")
	if s.Label != sentiment.Negative {
		t.Fatalf("Analyze = %s, want negative", s.Explain())
	}
	for _, r := range s.Reasons {
		if r == "great" || r == "love" {
			t.Errorf("Analyze = %s, which lists praise among the reasons for a negative verdict", s.Explain())
		}
	}
}

func TestAnalyzeKeepsAtMostFiveDistinctReasons(t *testing.T) {
	t.Parallel()
	s := sentiment.Analyze("crash crash broken slow laggy error buggy unusable crash fails 😡")
	if len(s.Reasons) != 5 {
		t.Fatalf("Analyze = %s, want exactly 5 reasons", s.Explain())
	}
	seen := map[string]bool{}
	for _, r := range s.Reasons {
		if seen[r] {
			t.Errorf("Analyze = %s, which repeats %q", s.Explain(), r)
		}
		seen[r] = true
	}
}

func TestAnalyzeWeighsEmphasis(t *testing.T) {
	t.Parallel()
	tests := []struct{ plain, emphatic string }{
		{"the app is slow", "the app is very slow"},
		{"the app is slow", "the app is SLOW"},
		{"the app is slow", "the app is slow!!!"},
		{"this is great", "this is really great"},
		{"this is great", "this is great!!"},
		{"c'est lent", "c'est très lent"},
	}
	for _, tt := range tests {
		p, e := sentiment.Analyze(tt.plain), sentiment.Analyze(tt.emphatic)
		if abs(e.Compound) <= abs(p.Compound) || p.Compound*e.Compound <= 0 {
			t.Errorf("Analyze(%q).Compound = %v, want stronger than Analyze(%q).Compound = %v, same sign",
				tt.emphatic, e.Compound, tt.plain, p.Compound)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestExplain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		score sentiment.Score
		want  string
	}{
		{sentiment.Score{Label: sentiment.Negative, Reasons: []string{"crashes", "broken"}}, "negative: crashes, broken"},
		{sentiment.Score{Label: sentiment.Positive, Reasons: []string{"love", "thanks"}}, "positive: love, thanks"},
		{sentiment.Score{Label: sentiment.Neutral}, "neutral"},
		{sentiment.Score{}, "neutral"},
	}
	for _, tt := range tests {
		if got := tt.score.Explain(); got != tt.want {
			t.Errorf("%+v.Explain() = %q, want %q", tt.score, got, tt.want)
		}
	}
}

func TestAnalyzeSurvivesHostileInput(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, text string }{
		{"five thousand characters of words", strings.Repeat("crash love not ", 334)},
		{"one enormous word", strings.Repeat("a", 20000)},
		{"invalid UTF-8", "\xff\xfe crash \xc3\x28 génial \xed\xa0\x80 n\xff't work \xf0\x9f\x98"},
		{"markup around words", "<b>not</b> <i>good</i> <script>alert('crash')</script> &lt;3 <:pepe_sad:12345>"},
		{"a Discord code block", "```\npanic: runtime error: index out of range [3] with length 3\n```"},
		{"only punctuation", strings.Repeat("!?.,;:()'’-", 500)},
		{"only emoji modifiers", strings.Repeat("\uFE0F\u200D🏽", 1000)},
		{"apostrophes everywhere", strings.Repeat("l'l'n'qu'' '", 500)},
		{"emoticon-like noise", strings.Repeat(":) :( <3 xD ^^ :::::: ", 300)},
		{"mixed scripts", "Это ужасно 😡 这个很好 👍 c'est nul"},
		{"a megabyte of text", strings.Repeat("slow ", 200_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sentiment.Analyze(tt.text)
			checkInvariants(t, tt.text[:min(len(tt.text), 40)], s)
			_ = s.Explain()
		})
	}
}

func TestAnalyzeAllocatesOnlyItsReasons(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	// Warm the lexicons outside the measurement.
	sentiment.Analyze("")
	tests := []struct {
		text string
		want float64
	}{
		{typical, 1},
		{"how do I export to CSV?", 0},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, func() { sentiment.Analyze(tt.text) }); got > tt.want {
			t.Errorf("Analyze(%q) allocates %v times, want at most %v", tt.text, got, tt.want)
		}
	}
}

func TestAnalyzeIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	texts := []string{"the export button crashes on big files", "merci, c'est génial", "how do I export to CSV?"}
	want := make([]string, len(texts))
	for i, text := range texts {
		want[i] = sentiment.Analyze(text).Explain()
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				k := (g + i) % len(texts)
				if got := sentiment.Analyze(texts[k]).Explain(); got != want[k] {
					t.Errorf("Analyze(%q) = %q under concurrency, want %q", texts[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}

// typical is a 120-character community message.
const typical = "After the last update, the export button crashes every time I open a big file, and the whole app is really slow now :("

func BenchmarkAnalyze(b *testing.B) {
	if len(typical) < 110 || len(typical) > 130 {
		b.Fatalf("typical message is %d characters, want about 120", len(typical))
	}
	b.ReportAllocs()
	for b.Loop() {
		sentiment.Analyze(typical)
	}
}

// BenchmarkAnalyzeMegabyte is the hostile-input test's largest text: its
// cost must stay linear (go test -bench AnalyzeMegabyte ./bot/sentiment).
func BenchmarkAnalyzeMegabyte(b *testing.B) {
	text := strings.Repeat("slow ", 200_000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		sentiment.Analyze(text)
	}
}

func BenchmarkAnalyzeNeutral(b *testing.B) {
	const question = "Hi! Quick question: how do I export my project to CSV, and can I pick which columns go into the exported file?"
	b.ReportAllocs()
	for b.Loop() {
		sentiment.Analyze(question)
	}
}
