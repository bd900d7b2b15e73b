package bot

import (
	"bytes"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Automod: Liaison's own checks on every Discord message, in the ingest
// path. Check is built to be cheap: the text is normalised once, in one
// pass; banned words of every rule are looked up in one map; regular
// expressions run only for the rules that have them; the history that
// flood and repeat rules need is a few timestamps per active member.

// Automod rule kinds: what a rule looks for.
const (
	AutomodWords    = "words"    // banned words and phrases, after look-alike normalisation
	AutomodPatterns = "patterns" // regular expressions, on the normalised text
	AutomodInvites  = "invites"  // invite links to other servers
	AutomodMentions = "mentions" // N distinct mentions in one message
	AutomodFlood    = "flood"    // N messages within a duration
	AutomodRepeats  = "repeats"  // the same text N times within a duration
)

// Automod actions a rule takes when it matches.
const (
	AutomodDelete  = "delete"  // delete the message
	AutomodWarn    = "warn"    // warn the member (a case)
	AutomodTimeout = "timeout" // time the member out for the rule's Timeout (a case)
	AutomodAlert   = "alert"   // tell the team in Slack
)

// AutomodRule is one rule, as the configuration declares it (ids resolved).
type AutomodRule struct {
	Name     string
	Kind     string
	Words    []string         // words: words and phrases, any case
	Patterns []*regexp.Regexp // patterns
	// AllowInvites are invite codes that are fine (the server's own).
	AllowInvites []string
	Mentions     int           // mentions: how many distinct mentions are too many
	Count        int           // flood: messages; repeats: copies of one text
	Within       time.Duration // flood, repeats: the window
	// Channels the rule watches (ids); empty means every channel.
	Channels       []string
	ExemptChannels []string
	ExemptRoles    []string
	Actions        []string
	Timeout        time.Duration // with AutomodTimeout
}

// Has reports whether the rule takes action a.
func (r *AutomodRule) Has(a string) bool { return slices.Contains(r.Actions, a) }

// AutomodMessage is what automod looks at.
type AutomodMessage struct {
	// ID is the message's: a message checked again (its transaction ran
	// again) gets the answer it got and is not counted twice. Empty, each
	// check counts.
	ID        string
	GuildID   string
	ChannelID string
	UserID    string
	Roles     []string
	Text      string
	At        time.Time
}

// AutomodHit is a rule that matched, and what it saw (for the alert and
// the case's reason).
type AutomodHit struct {
	Rule *AutomodRule
	Why  string
}

// Automod checks messages against rules. It keeps, in memory, the recent
// messages of members that flood and repeat rules need: a server's
// messages all reach the one process that holds its gateway shard, and
// losing them on restart only restarts the windows. Safe for concurrent
// use.
type Automod struct {
	rules   []AutomodRule
	words   map[string]*wordEntry // normalised word → the rules banning it, the phrases starting with it
	phrases []phrase
	content bool // some rule needs the normalised text
	history bool // some rule needs the recent messages
	maxKeep int
	maxAge  time.Duration
	invite  *regexp.Regexp
	// anyPattern is every rule's patterns in one: when it does not match,
	// no pattern rule does.
	anyPattern *regexp.Regexp
	mu         sync.Mutex
	recent     map[string]*recentMessages // guild + user → their recent messages
	sweepAt    time.Time
	bufPool    sync.Pool
	hasRules   bool
}

// maxRun bounds the letters of a spelled-out word searched for banned
// words.
const maxRun = 40

type wordEntry struct {
	rules   []int // rules banning the word
	phrases []int // phrases (index in Automod.phrases) starting with it
}

type phrase struct {
	text string // normalised, words separated by one space, with a space at each end
	rule int
}

type recentMessages struct {
	msgs []recentMessage // oldest first
	last time.Time
	// decided are the answers to the member's last messages with an ID,
	// kept when a rule's action forgets msgs.
	decided [4]decision
	next    int // where the next decision goes in decided
}

// decision is the answer Check gave to the message id.
type decision struct {
	id  string
	hit AutomodHit
	ok  bool
}

type recentMessage struct {
	at      time.Time
	channel string
	hash    uint64
}

// NewAutomod prepares rules for Check.
func NewAutomod(rules []AutomodRule) *Automod {
	a := &Automod{
		rules:  rules,
		words:  map[string]*wordEntry{},
		recent: map[string]*recentMessages{},
		invite: regexp.MustCompile(`(?:discord(?:app)?\.com/invite|discord\.gg|dsc\.gg)/([a-z0-9-]+)`),
	}
	a.bufPool.New = func() any { return &normalised{} }
	for i := range rules {
		r := &rules[i]
		a.hasRules = true
		switch r.Kind {
		case AutomodWords:
			a.content = true
			for _, w := range r.Words {
				n := normaliseWords(w)
				if n == "" {
					continue
				}
				if first, _, ok := strings.Cut(n, " "); ok {
					a.entry(first).phrases = append(a.entry(first).phrases, len(a.phrases))
					a.phrases = append(a.phrases, phrase{text: " " + n + " ", rule: i})
					// Spelled out letter by letter, a phrase loses its spaces.
					n = strings.ReplaceAll(n, " ", "")
				}
				if e := a.entry(n); !slices.Contains(e.rules, i) {
					e.rules = append(e.rules, i)
				}
			}
		case AutomodPatterns:
			a.content = true
		case AutomodFlood, AutomodRepeats:
			a.history = true
			a.maxKeep = max(a.maxKeep, r.Count)
			a.maxAge = max(a.maxAge, r.Within)
		}
	}
	a.maxKeep = min(max(a.maxKeep, 1), 100)
	var all []string
	for _, r := range rules {
		for _, re := range r.Patterns {
			all = append(all, "(?:"+re.String()+")")
		}
	}
	if len(all) > 0 {
		// Patterns are valid one by one, so their union is too; should it
		// not compile, each rule is simply tried on its own.
		a.anyPattern, _ = regexp.Compile(strings.Join(all, "|"))
	}
	return a
}

func (a *Automod) entry(w string) *wordEntry {
	e := a.words[w]
	if e == nil {
		e = &wordEntry{}
		a.words[w] = e
	}
	return e
}

// Check records m (for flood and repeat rules) and returns the first rule,
// in configuration order, that it breaks. A rule does not apply in its
// exempt channels, outside its channels, or to members with an exempt role.
// A message checked again by its ID (its handler's transaction ran again,
// as after a deadlock) gets the answer it got the first time.
func (a *Automod) Check(m *AutomodMessage) (AutomodHit, bool) {
	if !a.hasRules {
		return AutomodHit{}, false
	}
	if !a.history || m.ID == "" {
		return a.check(m)
	}
	if d, found := a.decidedFor(m); found {
		return d.hit, d.ok
	}
	hit, ok := a.check(m)
	a.decide(m, decision{id: m.ID, hit: hit, ok: ok})
	return hit, ok
}

// decidedFor returns the answer m's ID got, if it is among its author's
// last ones.
func (a *Automod) decidedFor(m *AutomodMessage) (decision, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.recent[m.GuildID+":"+m.UserID]; r != nil {
		for _, d := range r.decided {
			if d.id == m.ID {
				return d, true
			}
		}
	}
	return decision{}, false
}

// decide keeps d, the answer to m, among its author's last ones.
func (a *Automod) decide(m *AutomodMessage, d decision) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.recent[m.GuildID+":"+m.UserID]; r != nil {
		r.decided[r.next] = d
		r.next = (r.next + 1) % len(r.decided)
	}
}

// check is Check, counting m whatever its ID.
func (a *Automod) check(m *AutomodMessage) (AutomodHit, bool) {
	f := &facts{mentions: -1}
	if a.content || a.history {
		f.n = a.bufPool.Get().(*normalised)
		defer a.bufPool.Put(f.n)
		f.n.reset(m.Text)
	}
	if a.history {
		f.hist = a.remember(m, f.n)
	}
	// Words: one map lookup per word of the message, for every rule at once.
	best, bestWord := -1, ""
	var phrases []int // phrases whose first word the message has
	consider := func(w []byte, first bool) {
		e := a.words[string(w)]
		if e == nil {
			return
		}
		for _, i := range e.rules {
			if (best < 0 || i < best) && a.applies(i, m) {
				best, bestWord = i, string(w)
			}
		}
		if first {
			phrases = append(phrases, e.phrases...)
		}
	}
	if a.content {
		n := f.n
		for k := 0; k+1 < len(n.bounds); k += 2 {
			consider(n.spaced[n.bounds[k]:n.bounds[k+1]], true)
		}
		// A word spelled out letter by letter (s c a m) may have merged
		// with a neighbouring one-letter word (a s c a m): look inside.
		for _, k := range n.runs {
			run := n.spaced[n.bounds[k]:n.bounds[k+1]]
			if len(run) > maxRun {
				run = run[:maxRun]
			}
			for i := 0; i < len(run); i++ {
				for j := i + 2; j <= len(run); j++ {
					consider(run[i:j], false)
				}
			}
		}
		for _, k := range phrases {
			p := &a.phrases[k]
			if (best < 0 || p.rule < best) && a.applies(p.rule, m) && bytes.Contains(n.spaced, []byte(p.text)) {
				best, bestWord = p.rule, strings.TrimSpace(p.text)
			}
		}
	}
	for i := range a.rules {
		if best >= 0 && i >= best {
			break
		}
		r := &a.rules[i]
		if r.Kind == AutomodWords || !a.applies(i, m) {
			continue
		}
		if why, ok := a.match(r, m, f); ok {
			a.matched(r, m)
			return AutomodHit{Rule: r, Why: why}, true
		}
	}
	if best >= 0 {
		return AutomodHit{Rule: &a.rules[best], Why: "a banned word or phrase (" + bestWord + ")"}, true
	}
	return AutomodHit{}, false
}

// facts are what several rules ask of one message, worked out once.
type facts struct {
	n        *normalised
	hist     []recentMessage
	invites  [][]string // invite links found: the link, its code
	inviteOK bool       // invites is worked out
	mentions int        // -1 until counted
	patterns int        // 0 unknown, 1 some pattern of some rule matches, 2 none does
}

func (a *Automod) applies(i int, m *AutomodMessage) bool {
	r := &a.rules[i]
	if len(r.Channels) > 0 && !slices.Contains(r.Channels, m.ChannelID) {
		return false
	}
	if slices.Contains(r.ExemptChannels, m.ChannelID) {
		return false
	}
	for _, role := range m.Roles {
		if slices.Contains(r.ExemptRoles, role) {
			return false
		}
	}
	return true
}

func (a *Automod) match(r *AutomodRule, m *AutomodMessage, f *facts) (string, bool) {
	switch r.Kind {
	case AutomodPatterns:
		if f.patterns == 0 {
			// One pass of every rule's patterns at once: most messages match none.
			f.patterns = 2
			if a.anyPattern == nil || a.anyPattern.Match(f.n.spaced) {
				f.patterns = 1
			}
		}
		if f.patterns == 2 {
			return "", false
		}
		for _, re := range r.Patterns {
			if loc := re.FindIndex(f.n.spaced); loc != nil {
				return "the pattern " + re.String() + " (" + strings.TrimSpace(string(f.n.spaced[loc[0]:loc[1]])) + ")", true
			}
		}
	case AutomodInvites:
		if !f.inviteOK {
			f.inviteOK = true
			clean := stripInvisible(m.Text)
			if inviteHint(clean) {
				f.invites = a.invite.FindAllStringSubmatch(strings.ToLower(clean), -1)
			}
		}
		for _, sm := range f.invites {
			if !slices.Contains(r.AllowInvites, sm[1]) {
				return "an invite link to another server (" + sm[0] + ")", true
			}
		}
	case AutomodMentions:
		if f.mentions < 0 {
			f.mentions = countMentions(m.Text)
		}
		if r.Mentions > 0 && f.mentions >= r.Mentions {
			return itoa(f.mentions) + " mentions in one message", true
		}
	case AutomodFlood:
		since := m.At.Add(-r.Within)
		c := 0
		for _, h := range f.hist {
			if h.at.After(since) && a.inScope(r, h.channel) {
				c++
			}
		}
		if r.Count > 0 && c >= r.Count {
			return itoa(c) + " messages within " + FormatDuration(r.Within), true
		}
	case AutomodRepeats:
		if len(f.hist) == 0 {
			return "", false
		}
		last := f.hist[len(f.hist)-1]
		since := m.At.Add(-r.Within)
		c := 0
		for _, h := range f.hist {
			if h.hash == last.hash && h.at.After(since) && a.inScope(r, h.channel) {
				c++
			}
		}
		if r.Count > 0 && c >= r.Count {
			return "the same message " + itoa(c) + " times within " + FormatDuration(r.Within), true
		}
	}
	return "", false
}

func (a *Automod) inScope(r *AutomodRule, channel string) bool {
	return (len(r.Channels) == 0 || slices.Contains(r.Channels, channel)) && !slices.Contains(r.ExemptChannels, channel)
}

// inviteHint reports, without allocating, whether s may hold an invite
// link: "disc" or "dsc." in any case.
func inviteHint(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 != 'd' {
			continue
		}
		if s[i+1]|0x20 == 'i' && s[i+2]|0x20 == 's' && s[i+3]|0x20 == 'c' {
			return true
		}
		if s[i+1]|0x20 == 's' && s[i+2]|0x20 == 'c' && s[i+3] == '.' {
			return true
		}
	}
	return false
}

// remember records m in its author's recent messages and returns them,
// oldest first, m included.
func (a *Automod) remember(m *AutomodMessage, n *normalised) []recentMessage {
	key := m.GuildID + ":" + m.UserID
	h := fnv.New64a()
	h.Write(n.spaced) // the same words, whatever the case, spacing or look-alikes
	a.mu.Lock()
	defer a.mu.Unlock()
	if m.At.After(a.sweepAt) {
		// Forget members quiet for longer than any window, now and then.
		for k, r := range a.recent {
			if m.At.Sub(r.last) > a.maxAge {
				delete(a.recent, k)
			}
		}
		a.sweepAt = m.At.Add(max(a.maxAge, time.Minute))
	}
	r := a.recent[key]
	if r == nil {
		r = &recentMessages{}
		a.recent[key] = r
	}
	since := m.At.Add(-a.maxAge)
	keep := r.msgs[:0]
	for _, x := range r.msgs {
		if x.at.After(since) {
			keep = append(keep, x)
		}
	}
	r.msgs = append(keep, recentMessage{at: m.At, channel: m.ChannelID, hash: h.Sum64()})
	if len(r.msgs) > a.maxKeep {
		r.msgs = r.msgs[len(r.msgs)-a.maxKeep:]
	}
	r.last = m.At
	return slices.Clone(r.msgs)
}

// matched forgets a member's history once a flood or repeat rule acted on
// it, so the next messages do not trigger it again at once.
func (a *Automod) matched(r *AutomodRule, m *AutomodMessage) {
	if r.Kind != AutomodFlood && r.Kind != AutomodRepeats {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if r := a.recent[m.GuildID+":"+m.UserID]; r != nil {
		r.msgs = nil
	}
}

// countMentions counts the distinct user and role mentions (<@id>, <@!id>,
// <@&id>) in text.
func countMentions(text string) int {
	var seen []string
	for i := 0; i+2 < len(text); i++ {
		if text[i] != '<' || text[i+1] != '@' {
			continue
		}
		j := i + 2
		if j < len(text) && (text[j] == '!' || text[j] == '&') {
			j++
		}
		k := j
		for k < len(text) && text[k] >= '0' && text[k] <= '9' {
			k++
		}
		if k > j && k < len(text) && text[k] == '>' {
			id := text[j:k]
			if !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
			i = k
		}
	}
	return len(seen)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// NormalizeLookalikes returns the words of s as automod compares them:
// invisible characters (zero-width spaces and joiners, soft hyphens,
// combining marks) removed; full-width, mathematical, circled, accented,
// Cyrillic and Greek look-alikes turned into plain Latin letters; digits
// and symbols standing for letters inside words (h3ll0, $hit, sh!t) read as
// letters; runs of three or more of one letter shortened to one; letters
// spelled out one by one (b a d, b.a.d) joined; everything lower case; and
// words separated by single spaces.
func NormalizeLookalikes(s string) string {
	var n normalised
	n.reset(s)
	return strings.TrimSpace(string(n.spaced))
}

func normaliseWords(s string) string { return NormalizeLookalikes(s) }

// normalised is a message's normalised words: spaced holds them separated
// by single spaces, with a space at each end.
type normalised struct {
	spaced  []byte
	word    []byte
	bounds  []int // start, end of each word in spaced
	singles int   // consecutive one-letter words at the end of spaced
	runs    []int // words spelled out letter by letter (b a d): their index in bounds
}

func (n *normalised) reset(s string) {
	n.spaced = append(n.spaced[:0], ' ')
	n.bounds = n.bounds[:0]
	n.runs = n.runs[:0]
	n.word = n.word[:0]
	n.singles = 0
	for _, r := range s {
		r = fold(r)
		switch {
		case r < 0:
			continue // invisible
		case isWordRune(r):
			n.word = utf8.AppendRune(n.word, r)
		default:
			n.endWord()
		}
	}
	n.endWord()
}

// tokens returns the words of spaced.
func (n *normalised) tokens() [][]byte {
	out := make([][]byte, 0, len(n.bounds)/2)
	for i := 0; i+1 < len(n.bounds); i += 2 {
		out = append(out, n.spaced[n.bounds[i]:n.bounds[i+1]])
	}
	return out
}

// endWord finishes the word being read: leetspeak read as letters when the
// word has a letter, runs shortened, and one-letter words spelled out in a
// row joined into one.
func (n *normalised) endWord() {
	w := n.word
	if len(w) == 0 {
		return
	}
	n.word = n.word[:0]
	// "!" ends sentences and "@" starts mentions: only inside a word do
	// they stand for letters.
	for len(w) > 0 && (w[0] == '@' || w[0] == '!') {
		w = w[1:]
	}
	for len(w) > 0 && (w[len(w)-1] == '@' || w[len(w)-1] == '!') {
		w = w[:len(w)-1]
	}
	if len(w) == 0 {
		return
	}
	hasLetter := false
	for _, c := range w {
		if c >= 'a' && c <= 'z' || c >= utf8.RuneSelf {
			hasLetter = true
			break
		}
	}
	if hasLetter {
		for i, c := range w {
			if l := leet[c]; l != 0 {
				w[i] = l
			}
		}
		w = collapseTriples(w)
	}
	single := len(w) == 1 && w[0] >= 'a' && w[0] <= 'z'
	if single && n.singles > 0 {
		// b a d: append to the previous one-letter run without a space.
		n.spaced = append(n.spaced[:len(n.spaced)-1], w[0], ' ')
		n.bounds[len(n.bounds)-1]++
		n.singles++
		if n.singles == 2 {
			n.runs = append(n.runs, len(n.bounds)-2)
		}
		return
	}
	start := len(n.spaced)
	n.spaced = append(n.spaced, w...)
	n.spaced = append(n.spaced, ' ')
	n.bounds = append(n.bounds, start, start+len(w))
	if single {
		n.singles = 1
	} else {
		n.singles = 0
	}
}

// collapseTriples turns every run of three or more of one ASCII letter
// into one letter ("baaad" → "bad"), in place.
func collapseTriples(w []byte) []byte {
	out := w[:0]
	for i := 0; i < len(w); {
		j := i + 1
		for j < len(w) && w[j] == w[i] {
			j++
		}
		if w[i] < utf8.RuneSelf && j-i >= 3 {
			out = append(out, w[i])
		} else {
			out = append(out, w[i:j]...)
		}
		i = j
	}
	return out
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '@' || r == '$' || r == '!'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// leet reads digits and symbols inside words as the letters they stand for.
var leet = [256]byte{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '@': 'a', '$': 's', '!': 'i'}

// fold maps r to the lower-case Latin letter it looks like, r itself
// lowered when it looks like none, or -1 when it is invisible.
func fold(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return fold(r - 0xFEE0)
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical alphanumerics: 52 letters per style
		off := (r - 0x1D400) % 52
		if off >= 26 {
			off -= 26
		}
		return 'a' + off
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits
		return '0' + (r-0x1D7CE)%10
	case r >= 0x24B6 && r <= 0x24CF: // Ⓐ
		return 'a' + r - 0x24B6
	case r >= 0x24D0 && r <= 0x24E9: // ⓐ
		return 'a' + r - 0x24D0
	case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators
		return 'a' + r - 0x1F1E6
	case invisible(r):
		return -1
	}
	r = unicode.ToLower(r)
	if l, ok := lookalikes[r]; ok {
		return l
	}
	return r
}

func invisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x2064, r == 0xFEFF, r == 0x00AD, r == 0x180E, r == 0x034F:
		return true
	case r >= 0x0300 && r <= 0x036F: // combining marks (ă written a + ˘)
		return true
	case r >= 0xFE00 && r <= 0xFE0F: // variation selectors
		return true
	}
	return false
}

// stripInvisible removes invisible characters and folds full-width ones.
func stripInvisible(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if invisible(r) {
			continue
		}
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lookalikes maps lower-case letters that look like Latin ones to them.
var lookalikes = func() map[rune]rune {
	m := map[rune]rune{}
	add := func(to rune, from string) {
		for _, r := range from {
			m[r] = to
		}
	}
	// Accented Latin.
	add('a', "àáâãäåāăąǎǻȁȃạảấầẩẫậắằẳẵặɑ")
	add('b', "ƀɓ")
	add('c', "çćĉċčƈ")
	add('d', "ďđɗ")
	add('e', "èéêëēĕėęěȅȇẹẻẽếềểễệ")
	add('g', "ĝğġģǧ")
	add('h', "ĥħ")
	add('i', "ìíîïĩīĭįıǐȉȋịỉ")
	add('j', "ĵǰ")
	add('k', "ķǩ")
	add('l', "ĺļľŀł")
	add('n', "ñńņňŉǹ")
	add('o', "òóôõöøōŏőơǒǿȍȏọỏốồổỗộớờởỡợ")
	add('r', "ŕŗřȑȓ")
	add('s', "śŝşšș")
	add('t', "ţťŧț")
	add('u', "ùúûüũūŭůűųưǔȕȗụủứừửữự")
	add('w', "ŵẁẃẅ")
	add('y', "ýÿŷỳỹ")
	add('z', "źżžƶ")
	// Cyrillic.
	add('a', "а")
	add('b', "вьъ")
	add('c', "с")
	add('d', "ԁ")
	add('e', "еёє")
	add('h', "нһ")
	add('i', "іїӏ")
	add('j', "ј")
	add('k', "к")
	add('m', "м")
	add('n', "п")
	add('o', "о")
	add('p', "р")
	add('q', "ԛ")
	add('s', "ѕ")
	add('t', "т")
	add('u', "ц")
	add('w', "ԝш")
	add('x', "х")
	add('y', "уў")
	// Greek.
	add('a', "αά")
	add('b', "β")
	add('e', "εέ")
	add('h', "η")
	add('i', "ιίϊ")
	add('k', "κ")
	add('m', "μ")
	add('o', "οόσ")
	add('p', "ρ")
	add('t', "τ")
	add('u', "υύ")
	add('v', "ν")
	add('w', "ωώ")
	add('x', "χ")
	add('y', "γ")
	add('z', "ζ")
	// Small capitals and other look-alikes.
	add('a', "ᴀ")
	add('b', "ʙ")
	add('c', "ᴄ")
	add('d', "ᴅ")
	add('e', "ᴇ")
	add('g', "ɢɡ")
	add('h', "ʜ")
	add('i', "ɪ")
	add('j', "ᴊ")
	add('k', "ᴋ")
	add('l', "ʟ")
	add('m', "ᴍ")
	add('n', "ɴ")
	add('o', "ᴏ")
	add('p', "ᴘ")
	add('r', "ʀ")
	add('t', "ᴛ")
	add('u', "ᴜ")
	add('v', "ᴠ")
	add('w', "ᴡ")
	add('y', "ʏ")
	add('z', "ᴢ")
	return m
}()
