// Package sentiment scores short community messages — bug reports, praise,
// complaints — as positive, negative or neutral, and says which words drove
// the verdict, so that a community manager can see why a message was flagged.
//
// It works offline from word lists embedded in the binary: VADER's English
// lexicon (MIT, see lexicon/LICENSE-vader.txt), Liaison's corrections for
// product feedback ("crashes", "laggy", "refund"; "please" and "help" made
// neutral), a hand-made French feedback lexicon, and a table of emoji. The
// rules follow VADER's: negation ("not good", "doesn't work", "ça marche
// pas"), boosters ("very", "très"), ALL CAPS emphasis, "!!!", and "but"
// shifting the weight to what follows it.
//
// The package keeps no state besides the lexicons, read-only once loaded; it
// does no I/O and must not import the rest of Liaison.
package sentiment

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Labels of a Score.
const (
	Positive = "positive"
	Negative = "negative"
	Neutral  = "neutral"
)

// Score is an explainable verdict on one message.
type Score struct {
	// Label is Positive, Negative or Neutral. Following VADER, a Compound of
	// at least 0.05 is positive and one of at most -0.05 is negative.
	Label string
	// Compound sums the message's sentiment into -1 (most negative) .. 1
	// (most positive), rounded to four decimals.
	Compound float64
	// Reasons are the words, phrases ("doesn't work") or emoji that pushed the
	// message toward its Label, most influential first, at most five, as they
	// appear in the text but lower-cased. Words that pulled the other way are
	// left out. A neutral Score has none.
	Reasons []string
	// Lang is the best guess at the message's language, "en" or "fr"; it
	// decides which lexicon scored it. Messages with no clue are "en".
	Lang string
}

// Explain renders the verdict for people: "negative: crashes, broken",
// "positive: love, thanks" or "neutral". The zero Score explains as neutral.
func (s Score) Explain() string {
	label := s.Label
	if label == "" {
		label = Neutral
	}
	if len(s.Reasons) == 0 {
		return label
	}
	return label + ": " + strings.Join(s.Reasons, ", ")
}

// Parameters of the scoring rules, from the VADER paper (Hutto & Gilbert,
// 2014) where it gives them.
const (
	boostStep     = 0.293 // a booster adds this to the next sentiment word's strength
	capsStep      = 0.733 // an ALL CAPS word among lower-case ones adds this
	negationScale = -0.74 // a negated word keeps this share of its valence, flipped
	exclaimStep   = 0.292 // each '!', up to four, adds this to the total's strength
	beforeBut     = 0.5   // the weight of what comes before "but"
	afterBut      = 1.5   // and of what follows it
	normAlpha     = 15    // compound = sum / sqrt(sum² + normAlpha)
	threshold     = 0.05  // |compound| below this is neutral
	maxReasons    = 5
	// maxInput caps the bytes scored: Discord messages hold at most 4,000
	// characters, so only abuse is cut, and the cost stays bounded.
	maxInput = 16 << 10
)

// boostDecay weakens a booster by its distance from the word it boosts.
var boostDecay = [...]float64{1: 1, 2: 0.95, 3: 0.9}

// contribution is one sentiment word's share of the total.
type contribution struct {
	v        float64
	word     int32 // the sentiment word's token
	from, to int32 // the tokens a reason quotes: "doesn't work", "ne marche pas"
}

// Analyze scores text. It is safe for concurrent use, does not allocate for
// a neutral message and allocates only the Reasons otherwise, and its cost is
// linear in the length of text, of which at most 16 KiB are read.
func Analyze(text string) Score {
	lexs := lexicons()
	if len(text) > maxInput {
		cut := maxInput
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}

	var (
		tokBuf [64]token
		keyBuf [512]byte
	)
	t := tokenize(text, tokBuf[:0], keyBuf[:0])
	toks := t.toks

	// Look every word up in both languages, then choose one.
	var en, fr int
	var anyCaps, anyLower bool
	for i := range toks {
		tok := &toks[i]
		if tok.emoji {
			continue
		}
		anyCaps = anyCaps || tok.caps()
		anyLower = anyLower || tok.lower > 0
		if tok.tooLong {
			continue
		}
		key := t.keys[tok.kStart:tok.kEnd]
		for l, lx := range lexs {
			tok.e[l] = lookupWord(lx, key, tok.elongated)
		}
		if tok.e[0].flags&marker != 0 {
			en++
		}
		if tok.e[1].flags&marker != 0 || tok.accented {
			fr++
		}
	}
	if en == fr {
		for i := range toks {
			switch e := toks[i].e; {
			case e[0].sentimental() && !e[1].sentimental():
				en++
			case e[1].sentimental() && !e[0].sentimental():
				fr++
			}
		}
	}
	lang := 0
	if fr > en {
		lang = 1
	}
	mixedCase := anyCaps && anyLower
	keyOf := func(k int) []byte { return t.keys[toks[k].kStart:toks[k].kEnd] }
	sameClause := func(a, b int) bool {
		return a >= 0 && b < len(toks) && toks[a].clause == toks[b].clause
	}

	var contribBuf [16]contribution
	cs := contribBuf[:0]
	but := -1
	for i := range toks {
		tok := &toks[i]
		e := tok.e[lang]
		if e.flags&contrast != 0 && but < 0 {
			but = i
		}
		if !e.sentimental() {
			continue
		}
		if e.flags&(booster|dampener) != 0 && sameClause(i, i+1) && toks[i+1].e[lang].sentimental() {
			continue // "pretty slow", "super rapide": a booster here, not praise
		}
		if e.flags&likeWord != 0 && !(sameClause(i-1, i) && subject(keyOf(i-1))) {
			continue // "looks like", "I'd like to": not liking anything
		}
		v := float64(e.valence)
		sign := math.Copysign(1, v)
		if tok.caps() && mixedCase {
			v += sign * capsStep
		}
		if tok.elongated {
			v += sign * boostStep
		}
		from, to := i, i
		negated := false
		// Emoji are the writer's own reaction: "not" and "very" leave them be.
		for d := 1; d <= 3 && !tok.emoji && sameClause(i-d, i); d++ {
			k := i - d
			f := toks[k].e[lang].flags
			if f&fewWord != 0 {
				if sameClause(k-1, k) && string(keyOf(k-1)) == "un" {
					f |= dampener
				} else {
					f |= negator
				}
			}
			if f&(booster|dampener) != 0 {
				s := boostStep
				if toks[k].caps() && mixedCase {
					s += capsStep
				}
				if f&dampener != 0 {
					s = -s
				}
				v += sign * s * boostDecay[d]
			}
			if f&negator != 0 && !negated {
				negated, from = true, k
			}
		}
		if !tok.emoji && sameClause(i, i+1) && toks[i+1].e[lang].flags&postNegator != 0 {
			negated, to = true, i+1
		}
		switch {
		case negated:
			v *= negationScale
		case e.flags&negatedOnly != 0:
			continue
		}
		cs = append(cs, contribution{v: v, word: int32(i), from: int32(from), to: int32(to)})
	}

	var sum float64
	for i := range cs {
		c := &cs[i]
		switch {
		case but < 0:
		case int(c.word) < but:
			c.v *= beforeBut
		case int(c.word) > but:
			c.v *= afterBut
		}
		sum += c.v
	}
	if sum != 0 {
		amp := float64(min(t.exclaims, 4)) * exclaimStep
		switch q := t.queries; {
		case q > 3:
			amp += 0.96
		case q > 1:
			amp += float64(q) * 0.18
		}
		sum += math.Copysign(amp, sum)
	}
	compound := sum / math.Sqrt(sum*sum+normAlpha)
	compound = math.Round(compound*1e4) / 1e4

	s := Score{Label: Neutral, Compound: compound, Lang: lexs[lang].lang}
	switch {
	case compound >= threshold:
		s.Label = Positive
	case compound <= -threshold:
		s.Label = Negative
	default:
		return s
	}

	// Reasons: the contributions on the label's side, strongest first.
	want := math.Copysign(1, compound)
	n := 0
	for _, c := range cs {
		if math.Copysign(1, c.v) == want && c.v != 0 {
			cs[n] = c
			n++
		}
	}
	cs = cs[:n]
	slices.SortStableFunc(cs, func(a, b contribution) int {
		switch x, y := math.Abs(a.v), math.Abs(b.v); {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	s.Reasons = make([]string, 0, min(len(cs), maxReasons))
	for _, c := range cs {
		r := reason(text, toks, c)
		if !slices.Contains(s.Reasons, r) {
			s.Reasons = append(s.Reasons, r)
		}
		if len(s.Reasons) == maxReasons {
			break
		}
	}
	return s
}

// lookupWord finds key in lx, and for an elongated word ("sloooow",
// "goood") also its forms with runs cut to two letters, then to one.
func lookupWord(lx *lexicon, key []byte, elongated bool) entry {
	if e, ok := lx.lookup(key); ok || !elongated {
		return e
	}
	var buf [maxKey]byte
	for _, keep := range [...]int{2, 1} {
		short := buf[:0]
		run := 0
		for i, b := range key {
			if i > 0 && key[i-1] == b {
				run++
			} else {
				run = 1
			}
			if run <= keep {
				short = append(short, b)
			}
		}
		if e, ok := lx.lookup(short); ok {
			return e
		}
	}
	return entry{}
}

// reason quotes contribution c from text, lower-cased. A negated phrase
// ("doesn't work") is quoted as written when it is plain words, and rebuilt
// from its words when markup or odd spacing sits between them.
func reason(text string, toks []token, c contribution) string {
	span := text[toks[c.from].start:toks[c.to].end]
	if c.from != c.to && !plainPhrase(span) {
		var b strings.Builder
		for k := c.from; k <= c.to; k++ {
			w := text[toks[k].start:toks[k].end]
			if k > c.from && !strings.HasSuffix(b.String(), "'") && !strings.HasSuffix(b.String(), "’") {
				b.WriteByte(' ')
			}
			b.WriteString(w)
		}
		span = b.String()
	}
	for _, r := range span {
		if unicode.IsUpper(r) {
			return strings.ToLower(span)
		}
	}
	return span
}

// plainPhrase reports whether s is words separated by single spaces.
func plainPhrase(s string) bool {
	space := false
	for _, r := range s {
		switch {
		case r == ' ':
			if space {
				return false
			}
			space = true
			continue
		case !isWordRune(r) && !isApostrophe(r):
			return false
		}
		space = false
	}
	return true
}
