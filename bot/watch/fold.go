package watch

import (
	"unicode"
	"unicode/utf8"
)

// Words are compared in their folded form: lower case, Latin accents removed
// ("Génial" and "GENIAL" are both "genial"), ligatures spelled out ("œuvre"
// is "oeuvre"). A word is a run of letters and digits; everything else,
// apostrophes and hyphens included, separates words, so "l'arnaque" holds
// the word "arnaque" and "acme-cloud" the words "acme" and "cloud".

// appendFoldedRune appends r's folded form to dst, and reports whether r
// belongs inside a word. Combining accents (a text written decomposed) fold
// to nothing but stay inside the word.
func appendFoldedRune(dst []byte, r rune) ([]byte, bool) {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return append(dst, byte(r)), true
		case 'A' <= r && r <= 'Z':
			return append(dst, byte(r+'a'-'A')), true
		}
		return dst, false
	}
	if unicode.Is(unicode.Mn, r) {
		return dst, true
	}
	if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
		return dst, false
	}
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return append(dst, 'a'), true
	case 'ç', 'ć', 'č':
		return append(dst, 'c'), true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return append(dst, 'e'), true
	case 'ì', 'í', 'î', 'ï', 'ī', 'į', 'ı':
		return append(dst, 'i'), true
	case 'ñ', 'ń', 'ň':
		return append(dst, 'n'), true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return append(dst, 'o'), true
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ų':
		return append(dst, 'u'), true
	case 'ý', 'ÿ':
		return append(dst, 'y'), true
	case 'š', 'ś':
		return append(dst, 's'), true
	case 'ž', 'ź', 'ż':
		return append(dst, 'z'), true
	case 'ł':
		return append(dst, 'l'), true
	case 'ß':
		return append(dst, 's', 's'), true
	case 'œ':
		return append(dst, 'o', 'e'), true
	case 'æ':
		return append(dst, 'a', 'e'), true
	}
	return utf8.AppendRune(dst, r), true
}

// Fold returns the words of s in their folded form, in order:
// Fold("L'Arnaque d'ACME-Cloud") is [l arnaque d acme cloud].
func Fold(s string) []string {
	var t tokenizer
	t.run(s, "")
	out := make([]string, len(t.words))
	copy(out, t.words)
	return out
}

// tokenizer splits a title and a text into folded words. It keeps its
// buffers between documents so that the matcher allocates little per item.
type tokenizer struct {
	buf      []byte
	spans    []span
	words    []string // folded words in order; "" separates the title from the text
	hashtags []string // folded hashtags, '#' included
}

type span struct {
	start, end int32
	hashtag    bool
}

// maxDocBytes caps the bytes of one item read by the matcher: an article's
// first 64 KiB say whether it is about the brand.
const maxDocBytes = 64 << 10

// run tokenizes title then text.
func (t *tokenizer) run(title, text string) {
	t.buf = t.buf[:0]
	t.spans = t.spans[:0]
	t.words = t.words[:0]
	t.hashtags = t.hashtags[:0]
	t.scan(title)
	if text != "" {
		t.spans = append(t.spans, span{start: -1})
		if len(text) > maxDocBytes {
			cut := maxDocBytes
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			text = text[:cut]
		}
		t.scan(text)
	}
	all := string(t.buf) // one allocation for every word of the document
	for _, sp := range t.spans {
		switch {
		case sp.start < 0:
			t.words = append(t.words, "")
		case sp.hashtag:
			t.hashtags = append(t.hashtags, all[sp.start:sp.end])
			t.words = append(t.words, all[sp.start+1:sp.end])
		default:
			t.words = append(t.words, all[sp.start:sp.end])
		}
	}
}

func (t *tokenizer) scan(s string) {
	inWord := false
	var cur span
	prevHash := false
	for i := 0; i < len(s); {
		var r rune
		size := 1
		if c := s[i]; c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		n := len(t.buf)
		var word bool
		t.buf, word = appendFoldedRune(t.buf, r)
		if word {
			if !inWord {
				inWord = true
				cur = span{start: int32(n)}
				if prevHash {
					// keep the '#' in the buffer, just before the word
					t.buf = append(t.buf, 0)
					copy(t.buf[n+1:], t.buf[n:len(t.buf)-1])
					t.buf[n] = '#'
					cur.hashtag = true
				}
			}
			prevHash = false
			continue
		}
		if inWord {
			cur.end = int32(n)
			if cur.end > cur.start+boolInt(cur.hashtag) {
				t.spans = append(t.spans, cur)
			}
			inWord = false
		}
		prevHash = r == '#'
	}
	if inWord {
		cur.end = int32(len(t.buf))
		if cur.end > cur.start+boolInt(cur.hashtag) {
			t.spans = append(t.spans, cur)
		}
	}
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
