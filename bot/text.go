package bot

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words of feedback, as similarity and notices read them: normalised
// (lower case, accents removed), with English and French stop words known.

// stopWords are the English and French words that say nothing of what an
// item is about.
var stopWords = map[string]string{} // word → "en", "fr" or "" (both)

func init() {
	en := `a about above after again all am an and any are as at be because been before being below between both but by can could
did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its
itself just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than
that the their theirs them then there these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours please pls thanks thank hi hello hey also get got im dont cant it's i'm don't can't`
	fr := `a au aux avec ce ces cette dans de des du elle en et eux il ils je la le les leur leurs lui ma mais me meme mes moi mon ne nos
notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j l m n s t y ete est
sont suis es etes sommes ai as avons avez ont etait fait faire plus tres bien merci bonjour salut svp aussi comme si tout tous
quand quoi ca cela ceci`
	for _, w := range strings.Fields(en) {
		stopWords[w] = "en"
	}
	for _, w := range strings.Fields(fr) {
		if stopWords[w] == "en" {
			stopWords[w] = ""
			continue
		}
		stopWords[w] = "fr"
	}
}

// Fold writes s in lower case without accents, letters and digits only:
// every other character becomes a space.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		// ASCII a byte at a time, by table: most of what is said is
		// ASCII, and decoding and classing each character as a rune was
		// most of the similarity shingles' cost (BenchmarkFold).
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteByte(foldedASCII[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		foldRune(&b, r)
	}
	return b.String()
}

// foldRune writes what Fold makes of r.
func foldRune(b *strings.Builder, r rune) {
	r = unicode.ToLower(r)
	switch {
	case unicode.Is(unicode.Mn, r):
		// a combining accent, dropped
	case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
		b.WriteRune(r)
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		if plain, ok := unaccented[r]; ok {
			b.WriteString(plain)
		} else {
			b.WriteRune(r)
		}
	default:
		b.WriteByte(' ')
	}
}

// foldedASCII is Fold of each ASCII character: a letter in lower case, a
// digit as it is, anything else a space.
var foldedASCII = func() (t [utf8.RuneSelf]byte) {
	for c := range t {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			t[c] = byte(c)
		case 'A' <= c && c <= 'Z':
			t[c] = byte(c) + 'a' - 'A'
		default:
			t[c] = ' '
		}
	}
	return t
}()

// unaccented maps the accented letters of French (and their neighbours) to
// plain ones.
var unaccented = map[rune]string{
	'à': "a", 'â': "a", 'ä': "a", 'á': "a", 'ã': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'é': "e", 'è': "e", 'ê': "e", 'ë': "e",
	'î': "i", 'ï': "i", 'í': "i", 'ì': "i", 'ñ': "n",
	'ô': "o", 'ö': "o", 'ó': "o", 'ò': "o", 'õ': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'û': "u", 'ü': "u", 'ú': "u", 'ÿ': "y", 'ß': "ss",
}

// ContentWords returns the words of s that say what it is about: folded,
// stop words and one-letter words left out, a plural's s dropped.
func ContentWords(s string) []string {
	var out []string
	for w := range strings.FieldsSeq(Fold(s)) {
		if _, stop := stopWords[w]; stop || len(w) < 2 {
			continue
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
			w = w[:len(w)-1]
		}
		out = append(out, w)
	}
	return out
}

// Language guesses whether s is written in English ("en") or French
// ("fr") from its stop words; "en" when it cannot tell.
func Language(s string) string {
	en, fr := 0, 0
	for _, w := range strings.Fields(Fold(s)) {
		switch stopWords[w] {
		case "en":
			en++
		case "fr":
			fr++
		}
	}
	if fr > en {
		return "fr"
	}
	return "en"
}
