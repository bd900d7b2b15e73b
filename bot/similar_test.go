package bot_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

// The keys below are stored in feedback_terms by earlier versions: a
// change of how they are computed would make every stored item invisible
// to the look-up, and a change of the scores would move the threshold.
var similarTexts = []struct {
	text, bands, words string // the first three band keys
}{
	{"The export to CSV is broken when I pick dates", "b0:3u36dseh880bm b1:1y7bv7vl5ljin b2:iptyrqnve26x", "w:broken w:csv w:date w:export w:pick"},
	{"L'export CSV plante quand je choisis des dates", "b0:y6iajx4wxr8x b1:26k3cy3lnomie b2:1oowlye2uz4tp", "w:choisi w:csv w:date w:export w:plante"},
	{"Dark theme for the mobile app, please!", "b0:3hrp3fs7bo5qh b1:3vasg20iew0go b2:doosmy1tawbt", "w:app w:dark w:mobile w:theme"},
	{"dark themes for mobile apps", "b0:3hrp3fs7bo5qh b1:3vasg20iew0go b2:doosmy1tawbt", "w:app w:dark w:mobile w:theme"},
	{"Login with SSO fails on Safari", "b0:22u0nuppa3ghw b1:5ucc2xngqb3r b2:1lhqzgk7ghd4a", "w:fail w:login w:safari w:sso"},
	{"a", "", ""},
	{"", "", ""},
	{"Café crème — naïve façade 🎉 exports", "b0:3ueogmdr4mijf b1:2ri3p7tv8tk7k b2:2dfhdaty04uen", "w:cafe w:creme w:export w:facade w:naive"},
}

func TestSimilarityKeysAndScoresStayAsStored(t *testing.T) {
	for _, c := range similarTexts {
		sh := bot.ShinglesOf(c.text)
		bands := sh.BandKeys()
		if got := strings.Join(bands[:min(3, len(bands))], " "); got != c.bands {
			t.Errorf("band keys of %q: %q, want %q", c.text, got, c.bands)
		}
		if len(bands) != 0 && len(bands) != 20 {
			t.Errorf("%q has %d band keys, want 20", c.text, len(bands))
		}
		if got := strings.Join(sh.WordKeys(), " "); got != c.words {
			t.Errorf("word keys of %q: %q, want %q", c.text, got, c.words)
		}
	}
	scores := map[[2]int]string{
		{0, 1}: "0.405462", {0, 2}: "0.012500", {0, 3}: "0.012500", {0, 7}: "0.125323", {1, 2}: "0.012195", {1, 3}: "0.012195",
		{1, 7}: "0.123737", {2, 3}: "1.000000", {2, 7}: "0.023810", {3, 7}: "0.023810", {4, 7}: "0.011628",
	}
	for i, a := range similarTexts {
		for j, b := range similarTexts {
			if j <= i {
				continue
			}
			got := bot.Similarity(bot.ShinglesOf(a.text), bot.ShinglesOf(b.text))
			if want, ok := scores[[2]int{i, j}]; !ok && got != 0 || ok && fmt.Sprintf("%.6f", got) != want {
				t.Errorf("Similarity(%q, %q) = %.6f, want %s", a.text, b.text, got, want)
			}
			if back := bot.Similarity(bot.ShinglesOf(b.text), bot.ShinglesOf(a.text)); back != got {
				t.Errorf("Similarity is not symmetric for %q, %q", a.text, b.text)
			}
		}
	}
}

func BenchmarkShinglesAndScore(b *testing.B) {
	a := bot.ShinglesOf("The export to CSV is broken when I pick dates in the dashboard")
	for b.Loop() {
		bot.Similarity(a, bot.ShinglesOf("L'export CSV plante quand je choisis des dates dans le tableau de bord"))
	}
}
