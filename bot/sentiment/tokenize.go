package sentiment

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxKey is the longest folded word looked up; longer words are in no
// lexicon, and capping them keeps a 16 KiB "word" from growing buffers.
const maxKey = 48

// token is one word or emoji of the text.
type token struct {
	start, end   int32  // the token's bytes in the text
	kStart, kEnd int32  // its folded form in tokenizer.keys; empty for emoji
	clause       int32  // negation and boosters do not reach across . , ; : ! ? or a new line
	upper, lower uint16 // how many upper- and lower-case letters the word has
	accented     bool   // a word whose folding removed an accent
	elongated    bool   // a word with a letter three times in a row: "soooo", "slowww"
	tooLong      bool   // a word longer than maxKey
	emoji        bool
	e            [2]entry // what the English and French lexicons know of it
}

// tokens is a tokenized text.
type tokens struct {
	toks     []token
	keys     []byte // the folded words, which token.kStart and kEnd index
	exclaims int    // '!' in the text
	queries  int    // '?' in the text
}

// tokenize splits text into words and emoji, appending to toks and keys.
// Analyze hands it buffers on its own stack, so that short texts allocate
// nothing; that is why the slices are passed and returned rather than kept
// in a struct behind a pointer.
func tokenize(text string, toks []token, keys []byte) tokens {
	var (
		exclaims, queries int
		clause            int32
		inWord            bool
		cur               token
		prev              byte // last folded ASCII letter, for elongation
		run               int
		fieldOK           = true // at the start of a whitespace-separated field
	)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if inWord {
			if isWordRune(r) {
				keys = addRune(keys, &cur, r, &prev, &run)
				i += size
				continue
			}
			if isApostrophe(r) && i+size < len(text) {
				if next, _ := utf8.DecodeRuneInString(text[i+size:]); unicode.IsLetter(next) {
					keys = addRune(keys, &cur, r, &prev, &run)
					i += size
					if elided(keys[cur.kStart : len(keys)-1]) {
						// "l'" of "l'export" is a token of its own.
						cur.end, cur.kEnd, cur.clause = int32(i), int32(len(keys)), clause
						toks = append(toks, cur)
						inWord = false
					}
					continue
				}
			}
			cur.end, cur.kEnd, cur.clause = int32(i), int32(len(keys)), clause
			toks = append(toks, cur)
			inWord = false
		}
		if r == utf8.RuneError && size == 1 {
			// Invalid UTF-8 separates words and is otherwise ignored.
			i++
			fieldOK = false
			continue
		}
		if fieldOK && r < utf8.RuneSelf && r > ' ' {
			n := fieldLen(text[i:])
			field := text[i : i+n]
			if isLink(field) {
				i += n // "https://…/issues/42" is no complaint about issues
				continue
			}
			if v, ok := emoticon(field); ok {
				toks = append(toks, token{start: int32(i), end: int32(i + n), clause: clause, emoji: true,
					e: [2]entry{{valence: v}, {valence: v}}})
				i += n
				continue
			}
		}
		fieldOK = unicode.IsSpace(r)
		switch {
		case isWordRune(r):
			fieldOK = false
			cur = token{start: int32(i), kStart: int32(len(keys))}
			prev, run = 0, 0
			inWord = true
			keys = addRune(keys, &cur, r, &prev, &run)
		case r >= minEmoji && emoji[r] != 0:
			j := i + size
			for j < len(text) {
				m, n := utf8.DecodeRuneInString(text[j:])
				if !emojiModifier(m) {
					break
				}
				j += n
			}
			v := emoji[r]
			toks = append(toks, token{start: int32(i), end: int32(j), kStart: int32(len(keys)),
				kEnd: int32(len(keys)), clause: clause, emoji: true, e: [2]entry{{valence: v}, {valence: v}}})
			i = j
			continue
		default:
			switch r {
			case '!':
				exclaims++
				clause++
			case '?':
				queries++
				clause++
			case '.', ',', ';', ':', '\n', '(', ')', '[', ']', '…', '—', '•':
				clause++
			}
		}
		i += size
	}
	if inWord {
		cur.end, cur.kEnd, cur.clause = int32(len(text)), int32(len(keys)), clause
		toks = append(toks, cur)
	}
	return tokens{toks: toks, keys: keys, exclaims: exclaims, queries: queries}
}

// addRune appends r's folded form to the current word and tracks case and
// elongation.
func addRune(keys []byte, cur *token, r rune, prev *byte, run *int) []byte {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			cur.upper = min(cur.upper+1, 2)
		} else if 'a' <= r && r <= 'z' {
			cur.lower = min(cur.lower+1, 2)
		}
	case unicode.IsUpper(r):
		cur.upper = min(cur.upper+1, 2)
	case unicode.IsLower(r):
		cur.lower = min(cur.lower+1, 2)
	}
	if len(keys)-int(cur.kStart) >= maxKey {
		cur.tooLong = true
		return keys
	}
	var accent bool
	keys, accent = appendFoldedRune(keys, r)
	cur.accented = cur.accented || accent
	if b := keys[len(keys)-1]; 'a' <= b && b <= 'z' {
		if b == *prev {
			*run++
			if *run >= 3 {
				cur.elongated = true
			}
		} else {
			*prev, *run = b, 1
		}
	} else {
		*prev, *run = 0, 0
	}
	return keys
}

// caps reports whether tok is a word of two or more letters, all upper case.
func (tok *token) caps() bool { return tok.upper >= 2 && tok.lower == 0 }

// fieldLen is the length of the whitespace-separated field at the start of s.
func fieldLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
			return i
		}
	}
	return len(s)
}

// emoticon reports whether a whitespace-separated field is an ASCII
// emoticon, and if so its valence.
func emoticon(field string) (float32, bool) {
	if len(field) < 2 || len(field) > 8 || (isWordRune(rune(field[0])) && field != "xD" && field != "XD" && field != "D:") {
		return 0, false // every other emoticon starts with punctuation
	}
	for len(field) > 2 && field[len(field)-1] == field[len(field)-2] {
		field = field[:len(field)-1]
	}
	v, ok := emoticons[field]
	return v, ok
}

// isLink reports whether a whitespace-separated field is a URL, whose words
// ("issues", "error" in a path) say nothing about the writer's mood.
func isLink(field string) bool {
	return strings.IndexByte(field, ':') >= 0 && strings.Contains(field, "://") || strings.HasPrefix(field, "www.")
}
