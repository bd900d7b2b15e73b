package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// isWord lets a keyword skip Words only when Words would give it back
// alone.
func TestIsWordIsWhatWordsGivesBackAlone(t *testing.T) {
	for _, s := range []string{"crash", "Crash", "don't", "don’t", "sign-on", "sign on", "écran", "ÉCRAN", "v2", "42",
		"", " ", "\xff", "crash\xff", "İstanbul", "ǅ", "straße", "ﬁle", "日本語", "a_b", "crash!"} {
		words := Words(s)
		alone := len(words) == 1 && words[0] == s
		if got := isWord(s); got && !alone {
			t.Errorf("isWord(%q) = true, but Words gives %q", s, words)
		}
		if alone != isWord(s) && s == strings.ToLower(s) && strings.IndexFunc(s, wordSep) < 0 && utf8.ValidString(s) {
			t.Errorf("isWord(%q) = false for a lower-case word", s)
		}
	}
}
