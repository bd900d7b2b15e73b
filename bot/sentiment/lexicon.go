package sentiment

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The word lists. vader_lexicon.txt is vendored under the MIT licence (see
// lexicon/LICENSE-vader.txt); the feedback_*.txt files are Liaison's own.
//
//go:embed lexicon/vader_lexicon.txt lexicon/feedback_en.txt lexicon/feedback_fr.txt
var lexiconFiles embed.FS

// flag describes what a word does besides carrying a valence.
type flag uint16

const (
	negator     flag = 1 << iota // flips a sentiment word up to three words later: "not", "never", "ne", "pas"
	postNegator                  // French: flips the word just before it: "ça marche pas"
	booster                      // strengthens the sentiment word it precedes: "very", "très"
	dampener                     // weakens it: "slightly", "assez"
	contrast                     // "but": what follows outweighs what precedes
	negatedOnly                  // neutral alone, counts only when negated: "work" in "doesn't work"
	marker                       // a common function word of the language, for telling languages apart
	fewWord                      // French "peu": dampens after "un" ("un peu lent"), negates otherwise ("peu fiable")
	likeWord                     // English "like": a sentiment only after a subject ("I like"), not in "looks like"
)

// entry is what a lexicon knows about one word.
type entry struct {
	valence float32 // VADER's scale, -4..+4; for negatedOnly words, the valence that negation flips
	flags   flag
}

// sentimental reports whether e can carry sentiment by itself or once negated.
func (e entry) sentimental() bool { return e.valence != 0 }

// lexicon is one language's words, keyed by their folded form (see fold).
type lexicon struct {
	lang  string
	words map[string]entry
	// inflected makes lookups retry without a final s/x and then a final e,
	// so that French plurals and feminines find their base form.
	inflected bool
}

// lookup finds key (already folded), trying inflections and the end of
// English contractions ("wouldn't") when the word itself is not listed.
func (lx *lexicon) lookup(key []byte) (entry, bool) {
	n := len(key)
	contraction := lx.lang == "en" && n > 3 && string(key[n-3:]) == "n't"
	if e, ok := lx.words[string(key)]; ok {
		if contraction {
			e.flags |= negator
			e.valence = 0
		}
		return e, true
	}
	if lx.inflected && n > 3 {
		k := key
		if last := k[n-1]; last == 's' || last == 'x' {
			k = k[:n-1]
			if e, ok := lx.words[string(k)]; ok {
				return e, true
			}
		}
		if len(k) > 3 && k[len(k)-1] == 'e' {
			if e, ok := lx.words[string(k[:len(k)-1])]; ok {
				return e, true
			}
		}
	}
	if contraction {
		return entry{flags: negator}, true
	}
	return entry{}, false
}

// lexicons are parsed once, on first use, and only read afterwards, which is
// what makes Analyze safe for concurrent use.
var lexicons = sync.OnceValue(func() [2]*lexicon {
	en := &lexicon{lang: "en", words: make(map[string]entry, 8192)}
	fr := &lexicon{lang: "fr", words: make(map[string]entry, 512), inflected: true}
	mustLoad(en, "lexicon/vader_lexicon.txt", true)
	mustLoad(en, "lexicon/feedback_en.txt", false)
	mustLoad(fr, "lexicon/feedback_fr.txt", false)
	addFunctionWords(en, englishFunctionWords)
	addFunctionWords(fr, frenchFunctionWords)
	return [2]*lexicon{en, fr}
})

// mustLoad reads one embedded word list into lx. The lists ship inside the
// binary and are checked by the tests, so a malformed line is a programming
// error and panics.
func mustLoad(lx *lexicon, name string, vader bool) {
	data, err := lexiconFiles.ReadFile(name)
	if err != nil {
		panic(fmt.Sprintf("sentiment: read %s: %v", name, err))
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		var fields []string
		if vader {
			fields = strings.Split(line, "\t")
		} else {
			fields = strings.Fields(line)
		}
		if len(fields) < 2 || len(fields) > 3 || (len(fields) == 3 && fields[2] != "negated") {
			panic(fmt.Sprintf("sentiment: %s:%d: want \"word valence [negated]\", got %q", name, n, line))
		}
		v, err := strconv.ParseFloat(fields[1], 32)
		if err != nil || v < -4 || v > 4 {
			panic(fmt.Sprintf("sentiment: %s:%d: valence %q is not a number in -4..4", name, n, fields[1]))
		}
		if !isWord(fields[0]) {
			// VADER also lists emoticons such as ":-)"; the tokenizer never
			// yields them as words, and emoticons has its own table.
			continue
		}
		key := string(appendFolded(nil, fields[0]))
		e := lx.words[key]
		e.valence = float32(v)
		e.flags &^= negatedOnly
		if len(fields) == 3 {
			e.flags |= negatedOnly
		}
		lx.words[key] = e
	}
}

// isWord reports whether s is made of what the tokenizer keeps in a word.
func isWord(s string) bool {
	for _, r := range s {
		if !isWordRune(r) && !isApostrophe(r) {
			return false
		}
	}
	return s != ""
}

// addFunctionWords merges flags into lx. Negators lose any valence of their
// own: in "no crashes" the "no" only flips "crashes".
func addFunctionWords(lx *lexicon, words map[flag]string) {
	for f, list := range words {
		for _, w := range strings.Fields(list) {
			key := string(appendFolded(nil, w))
			e := lx.words[key]
			e.flags |= f
			if f&(negator|postNegator) != 0 {
				e.valence = 0
			}
			lx.words[key] = e
		}
	}
}

var englishFunctionWords = map[flag]string{
	negator: `not no never none nobody nothing nowhere neither nor without cannot
		cant dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt
		havent hasnt hadnt aint rarely seldom`,
	booster: `absolutely amazingly awfully completely considerably constantly decidedly
		deeply enormously entirely especially exceptionally extremely fully greatly
		highly hugely incredibly insanely intensely literally majorly particularly
		purely quite really remarkably seriously so soo sooo super pretty totally
		thoroughly too tremendously truly unbelievably utterly very always still
		damn fucking freaking frickin hella`,
	dampener: `almost barely hardly kinda kind sort sorta slightly somewhat marginally
		occasionally partly scarcely little bit less mostly sometimes`,
	contrast: `but however`,
	marker: `the an is are was were it it's its this that these those to of and in
		for with i i'm i've you your my me when how what why where not don't doesn't
		can't have has be just after every there they we from again any but so very
		really please thanks would could should will`,
	likeWord: `like`,
}

var frenchFunctionWords = map[flag]string{
	negator:     `ne n' pas jamais rien aucun aucune sans ni nullement`,
	postNegator: `pas jamais plus rien guère`,
	booster: `très trop vraiment tellement super hyper ultra extrêmement complètement
		totalement carrément absolument franchement vachement grave toujours encore si
		énormément particulièrement`,
	dampener: `assez plutôt légèrement parfois presque moins`,
	fewWord:  `peu`,
	contrast: `mais cependant pourtant toutefois`,
	marker: `le la les un une des du de est et en je tu il elle nous vous ils elles ce
		ça cette ces c' l' d' j' n' qu' s' m' t' que qui pas ne pour avec sur dans mais
		très tout toujours quand comment pourquoi mon ma mes votre vos au aux sont suis
		ai fait merci bonjour salut quoi y`,
}

// elided reports whether key, the folded letters of a word so far, is a
// French word that elides before a vowel: "l" in "l'export", "qu" in "qu'il".
func elided(key []byte) bool {
	switch string(key) {
	case "c", "d", "j", "l", "m", "n", "s", "t", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu":
		return true
	}
	return false
}

// subject reports whether key may precede "like" used as a verb of liking.
func subject(key []byte) bool {
	switch string(key) {
	case "i", "we", "they", "you", "u", "really", "totally", "definitely", "honestly",
		"do", "don't", "dont", "didn't", "doesn't", "also", "still", "just", "absolutely":
		return true
	}
	return false
}

// emoji gives the valence of the emoji that show up in community feedback.
// Variation selectors and skin tones after them are part of the token.
var emoji = map[rune]float32{
	// praise and thanks
	'❤': 3.0, '♥': 2.5, '💕': 2.8, '💖': 2.8, '💗': 2.8, '💓': 2.5, '💞': 2.5, '💘': 2.5,
	'💝': 2.5, '💙': 2.5, '💚': 2.5, '💛': 2.5, '💜': 2.5, '🧡': 2.5, '🤍': 2.0,
	'😍': 3.0, '🥰': 3.0, '😘': 2.5, '🤩': 3.0, '😊': 2.2, '☺': 2.0, '🙂': 1.2,
	'😀': 2.0, '😃': 2.2, '😄': 2.2, '😁': 2.0, '😆': 1.8, '😂': 1.2, '🤣': 1.2,
	'😉': 1.0, '😎': 1.5, '😇': 1.5, '🤗': 2.0, '😻': 2.5, '🥳': 2.8, '🎉': 2.5,
	'🎊': 2.3, '✨': 1.2, '🌟': 1.8, '⭐': 1.5, '🚀': 2.0, '💯': 2.2, '🔥': 1.8,
	'👍': 1.8, '👌': 1.6, '👏': 2.0, '🙌': 2.2, '💪': 1.5, '🙏': 1.5, '🤝': 1.2,
	'✅': 1.0, '✔': 0.8, '🏆': 2.0, '🥇': 2.0,
	// anger, sadness, disappointment
	'😡': -3.0, '🤬': -3.3, '😠': -2.7, '😤': -2.0, '👿': -2.5, '😢': -2.2, '😭': -2.3,
	'😞': -2.0, '😔': -1.6, '😟': -1.6, '😕': -1.2, '🙁': -1.5, '☹': -1.8, '😖': -2.0,
	'😣': -1.8, '😩': -2.0, '😫': -2.0, '😰': -1.8, '😨': -1.6, '😱': -1.6, '😒': -1.5,
	'🙄': -1.8, '😑': -0.8, '😐': -0.3, '😬': -1.0, '🤦': -2.0, '🤷': -0.5, '😵': -1.5,
	'🤮': -3.0, '🤢': -2.5, '💩': -2.2, '👎': -2.0, '💔': -2.5, '😿': -2.0, '😓': -1.5,
	'😥': -1.5, '🥺': -0.8,
	// bug-report pictograms
	'🐛': -1.2, '🐞': -1.2, '💥': -1.2, '🐌': -1.2, '🐢': -1.0, '⚠': -0.8, '❌': -1.2,
	'🛑': -1.0,
}

// emoticons are ASCII faces, matched only as a whole whitespace-separated
// field so that URLs and code keep their colons and brackets. A repeated last
// character is folded first: ":)))" is ":)".
var emoticons = map[string]float32{
	":)": 2.0, ":-)": 2.0, "=)": 1.5, ":]": 1.5, ":D": 2.3, ":-D": 2.3, "xD": 1.5, "XD": 1.5,
	";)": 1.5, ";-)": 1.5, ":P": 1.0, ":p": 1.0, "^^": 1.5, "^_^": 1.8, "<3": 2.5,
	":(": -2.0, ":-(": -2.0, "=(": -1.5, ":[": -1.5, ":'(": -2.2, ":/": -1.0, ":-/": -1.0,
	":|": -0.5, "</3": -2.5, "D:": -1.5, ">:(": -2.5, "-_-": -1.2,
}

// emojiModifier reports whether r only decorates the emoji before it.
func emojiModifier(r rune) bool {
	return r == '\uFE0F' || r == '\uFE0E' || (r >= 0x1F3FB && r <= 0x1F3FF)
}

// minEmoji is below every rune in emoji, so that most runes skip the map.
const minEmoji = '\u2600'

// isWordRune reports whether r belongs inside a word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// isApostrophe reports whether r joins "don't" or elides "l'export".
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '‘'
}

// appendFolded appends the lookup form of s: lower case, Latin accents
// removed ("Génial" -> "genial"), every apostrophe written '.
func appendFolded(dst []byte, s string) []byte {
	for _, r := range s {
		dst, _ = appendFoldedRune(dst, r)
	}
	return dst
}

// appendFoldedRune appends the lookup form of r and reports whether it
// removed an accent (a hint the text is French).
func appendFoldedRune(dst []byte, r rune) ([]byte, bool) {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r)), false
	}
	if isApostrophe(r) {
		return append(dst, '\''), false
	}
	r = unicode.ToLower(r)
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å':
		return append(dst, 'a'), true
	case 'ç':
		return append(dst, 'c'), true
	case 'è', 'é', 'ê', 'ë':
		return append(dst, 'e'), true
	case 'ì', 'í', 'î', 'ï':
		return append(dst, 'i'), true
	case 'ñ':
		return append(dst, 'n'), true
	case 'ò', 'ó', 'ô', 'õ', 'ö':
		return append(dst, 'o'), true
	case 'ù', 'ú', 'û', 'ü':
		return append(dst, 'u'), true
	case 'ý', 'ÿ':
		return append(dst, 'y'), true
	case 'œ':
		return append(dst, 'o', 'e'), true
	case 'æ':
		return append(dst, 'a', 'e'), true
	}
	return utf8.AppendRune(dst, r), false
}
