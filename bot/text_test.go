package bot

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestContentWordsAndLanguage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		words []string
		lang  string
	}{
		{"The export button crashes on big files!", []string{"export", "button", "crashe", "big", "file"}, "en"},
		{"L'export plante avec les gros fichiers, c'est très gênant", []string{"export", "plante", "gro", "fichier", "genant"}, "fr"},
		{"Dark mode", []string{"dark", "mode"}, "en"},
	} {
		if got := ContentWords(tt.in); !slices.Equal(got, tt.words) {
			t.Errorf("ContentWords(%q) = %q, want %q", tt.in, got, tt.words)
		}
		if got := Language(tt.in); got != tt.lang {
			t.Errorf("Language(%q) = %q, want %q", tt.in, got, tt.lang)
		}
	}
}

// foldByRune is Fold as it was written first, a rune at a time, ASCII
// too: Fold's ASCII table must give what it gave.
func foldByRune(s string) string {
	var b strings.Builder
	for _, r := range s {
		foldRune(&b, r)
	}
	return b.String()
}

// Fold gives what folding a rune at a time gives, for every ASCII
// character and for texts that mix them with accents, combining marks,
// letters whose lower case is ASCII (İ), emoji and bytes that are not
// UTF-8.
func TestFoldIsFoldingRuneByRune(t *testing.T) {
	t.Parallel()
	var ascii []byte
	for c := range 128 {
		ascii = append(ascii, byte(c))
	}
	texts := []string{"", string(ascii), "L'Arnaque d'ACME-Cloud", "Ça coûte TROP cher, c'est GÊNANT", "e\u0301te\u0301", "İstanbul ẞ Æsir straße",
		"Ünïcödé 🎉 ok", "bad \xff\xfe bytes", "\xe2\x82", "half-width ＡＢＣ and digits ٣"}
	pool := []string{"a", "Z", "7", " ", "-", "'", "\n", "\t", "é", "É", "\u0301", "ß", "æ", "Œ", "İ", "K", "ǅ", "🎉", "\xff", "\xc3", "\ufffd", "漢", "٣", "Ａ"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var b strings.Builder
		for range r.IntN(24) {
			b.WriteString(pool[r.IntN(len(pool))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		if got, want := Fold(s), foldByRune(s); got != want {
			t.Errorf("Fold(%q) = %q, want %q", s, got, want)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	const text = "The export button crashes since the last update: parquet and json (#a1b2c3 42) from Acme (call with Jane)"
	b.ReportAllocs()
	for range b.N {
		Fold(text)
	}
}
