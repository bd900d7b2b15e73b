package bot

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLookAlikesNormaliseToPlainWords(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Free Nitro", "free nitro"},
		{"fr\u200bee ni\u200dtro", "free nitro"}, // zero-width space and joiner
		{"ｆｒｅｅ ｎｉｔｒｏ", "free nitro"},             // full width
		{"frее nіtrо", "free nitro"},             // Cyrillic е, і, о
		{"𝐟𝐫𝐞𝐞 𝐧𝐢𝐭𝐫𝐨", "free nitro"},             // mathematical bold
		{"fr3e n1tr0", "free nitro"},             // leetspeak inside words
		{"fréé nitrô", "free nitro"},             // accents
		{"fre\u0301e nitro", "free nitro"},       // a combining accent
		{"f r e e nitro", "free nitro"},          // spelled out
		{"f.r.e.e n-i-t-r-o", "freenitro"},       // spelled out with dots and dashes
		{"freeeee nitroooo", "fre nitro"},        // runs shortened (pattern words are shortened alike)
		{"$h!t", "shit"},                         // symbols inside words
		{"call 555 1234", "call 555 1234"},       // numbers stay numbers
		{"Ⓕⓡⓔⓔ", "free"},                         // circled
		{"hello, world!", "hello world"},         // punctuation separates
		{"𝘧𝘳𝘦𝘦", "free"},                         // mathematical sans-serif italic
		{"ＦＲ３Ｅ", "free"},                         // full-width leetspeak
		{"élan café", "elan cafe"},               // ordinary accents too
		{"мама", "mama"},                         // Cyrillic words become Latin look-alikes
		{"\ufeffbad\u2060word", "badword"},       // BOM and word joiner are invisible
		{"x", "x"},
	}
	for _, tt := range tests {
		if got := NormalizeLookalikes(tt.in); got != tt.want {
			t.Errorf("NormalizeLookalikes(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func msg(text string) *AutomodMessage {
	return &AutomodMessage{GuildID: "g", ChannelID: "general", UserID: "mallory", Text: text, At: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)}
}

func TestEachAutomodRuleKindMatchesWhatItShould(t *testing.T) {
	t.Parallel()
	rules := []AutomodRule{
		{Name: "scams", Kind: AutomodWords, Words: []string{"free nitro", "scam"}, Actions: []string{AutomodDelete}},
		{Name: "links", Kind: AutomodPatterns, Patterns: []*regexp.Regexp{regexp.MustCompile(`bit ly [a-z0-9]+`)}, Actions: []string{AutomodAlert}},
		{Name: "invites", Kind: AutomodInvites, AllowInvites: []string{"acme"}, Actions: []string{AutomodDelete}},
		{Name: "mentions", Kind: AutomodMentions, Mentions: 3, Actions: []string{AutomodTimeout}, Timeout: time.Minute},
	}
	a := NewAutomod(rules)
	tests := []struct {
		text string
		rule string
	}{
		{"get your free nitro here", "scams"},
		{"get your FR3E N1TR0 here", "scams"},
		{"get your fr\u200bee nіtro here", "scams"},
		{"get your f r e e n i t r o here", "scams"},
		{"this is a s.c.a.m", "scams"},
		{"this is a scammer", ""}, // whole words only
		{"it's free and nitro is great", ""},
		{"see bit.ly/abc123", "links"},
		{"join discord.gg/other now", "invites"},
		{"join DISCORD.GG/other now", "invites"},
		{"join discord\u200b.gg/other now", "invites"},
		{"join https://discord.com/invite/other", "invites"},
		{"our own discord.gg/acme is fine", ""},
		{"hi <@1> <@2> and <@!3>", "mentions"},
		{"hi <@1> <@1> <@1> <@2>", ""}, // distinct only
		{"hi <@&9> <@1> <@2>", "mentions"},
		{"a perfectly normal message", ""},
	}
	for _, tt := range tests {
		hit, ok := a.Check(msg(tt.text))
		got := ""
		if ok {
			got = hit.Rule.Name
		}
		if got != tt.rule {
			t.Errorf("Check(%q) = rule %q (%s), want %q", tt.text, got, hit.Why, tt.rule)
		}
	}
}

func TestFloodAndRepeatsCountWithinTheirWindow(t *testing.T) {
	t.Parallel()
	a := NewAutomod([]AutomodRule{
		{Name: "repeats", Kind: AutomodRepeats, Count: 3, Within: time.Minute, Actions: []string{AutomodDelete}},
		{Name: "flood", Kind: AutomodFlood, Count: 5, Within: 10 * time.Second, Actions: []string{AutomodTimeout}, Timeout: time.Minute},
	})
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration, text string) (string, bool) {
		m := msg(text)
		m.At = t0.Add(d)
		hit, ok := a.Check(m)
		if !ok {
			return "", false
		}
		return hit.Rule.Name, true
	}
	// Four different messages in 4 s: fine; the fifth floods.
	for i := range 4 {
		if r, ok := at(time.Duration(i)*time.Second, fmt.Sprint("message ", i)); ok {
			t.Fatalf("message %d matched %s", i, r)
		}
	}
	if r, _ := at(4*time.Second, "message 4"); r != "flood" {
		t.Errorf("the fifth message in 5s matched %q, want flood", r)
	}
	// After acting, the window starts over; slow messages never flood.
	for i := range 6 {
		if r, ok := at(time.Minute+time.Duration(i)*5*time.Second, fmt.Sprint("slow ", i)); ok {
			t.Fatalf("slow message %d matched %s", i, r)
		}
	}
	// The same text three times within a minute repeats, whatever its case.
	at(3*time.Minute, "BUY NOW")
	at(3*time.Minute+20*time.Second, "buy now")
	if r, _ := at(3*time.Minute+40*time.Second, "buy   now"); r != "repeats" {
		t.Errorf("the third copy matched %q, want repeats", r)
	}
	// Two copies a minute apart are not three within a minute.
	at(10*time.Minute, "again")
	at(11*time.Minute, "again")
	if r, ok := at(12*time.Minute+time.Second, "again"); ok {
		t.Errorf("copies spread over two minutes matched %s", r)
	}
}

// A message checked again (its transaction ran again, as after a deadlock)
// gets the answer it got and is not counted twice, even once the rule's
// action has cleared its author's history.
func TestAMessageCheckedAgainIsCountedOnce(t *testing.T) {
	t.Parallel()
	a := NewAutomod([]AutomodRule{{Name: "repeats", Kind: AutomodRepeats, Count: 3, Within: time.Minute, Actions: []string{AutomodDelete}}})
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	check := func(id string, d time.Duration) string {
		m := msg("buy now")
		m.ID, m.At = id, t0.Add(d)
		hit, ok := a.Check(m)
		if !ok {
			return "-"
		}
		return hit.Rule.Name
	}
	var got []string
	for _, c := range []struct {
		id string
		d  time.Duration
	}{{"1", 0}, {"1", 0}, {"2", time.Second}, {"2", time.Second}, {"3", 2 * time.Second}, {"3", 2 * time.Second}, {"4", 3 * time.Second}, {"2", time.Second}} {
		got = append(got, c.id+":"+check(c.id, c.d))
	}
	if want := "1:- 1:- 2:- 2:- 3:repeats 3:repeats 4:- 2:-"; strings.Join(got, " ") != want {
		t.Errorf("answers %s, want %s", strings.Join(got, " "), want)
	}
	// Without an ID each check counts.
	for i := range 3 {
		m := msg("again")
		m.At = t0.Add(time.Minute + time.Duration(i)*time.Second)
		if _, ok := a.Check(m); ok != (i == 2) {
			t.Errorf("copy %d without an ID matched %v", i+1, ok)
		}
	}
}

func TestExemptRolesAndChannelsAndRuleChannels(t *testing.T) {
	t.Parallel()
	a := NewAutomod([]AutomodRule{
		{Name: "only-general", Kind: AutomodWords, Words: []string{"spoiler"}, Channels: []string{"general"}, Actions: []string{AutomodDelete}},
		{Name: "everywhere", Kind: AutomodWords, Words: []string{"scam"}, ExemptChannels: []string{"mod-log"}, ExemptRoles: []string{"staff"}, Actions: []string{AutomodDelete}},
	})
	check := func(channel, text string, roles ...string) string {
		m := msg(text)
		m.ChannelID, m.Roles = channel, roles
		if hit, ok := a.Check(m); ok {
			return hit.Rule.Name
		}
		return ""
	}
	if got := check("general", "spoiler alert"); got != "only-general" {
		t.Errorf("in its channel: %q", got)
	}
	if got := check("random", "spoiler alert"); got != "" {
		t.Errorf("outside its channels: %q", got)
	}
	if got := check("mod-log", "a scam"); got != "" {
		t.Errorf("in an exempt channel: %q", got)
	}
	if got := check("general", "a scam", "staff"); got != "" {
		t.Errorf("with an exempt role: %q", got)
	}
	if got := check("general", "a scam", "member"); got != "everywhere" {
		t.Errorf("with another role: %q", got)
	}
	// The first rule in order wins when several match.
	if got := check("general", "scam spoiler"); got != "only-general" {
		t.Errorf("two rules: %q, want the first", got)
	}
}

// benchRules is 100 rules of every kind, as a big server might have: 60
// word lists of 5 words, 10 phrases rules, 10 pattern rules, 5 invite, 5
// mention, 5 flood and 5 repeat rules.
func benchRules() []AutomodRule {
	var rules []AutomodRule
	for i := range 60 {
		var words []string
		for j := range 5 {
			words = append(words, fmt.Sprintf("badword%dx%d", i, j))
		}
		rules = append(rules, AutomodRule{Name: fmt.Sprint("words", i), Kind: AutomodWords, Words: words, Actions: []string{AutomodDelete}})
	}
	for i := range 10 {
		rules = append(rules, AutomodRule{Name: fmt.Sprint("phrases", i), Kind: AutomodWords, Words: []string{fmt.Sprintf("bad phrase number %d", i)}, Actions: []string{AutomodDelete}})
	}
	for i := range 10 {
		rules = append(rules, AutomodRule{Name: fmt.Sprint("pattern", i), Kind: AutomodPatterns,
			Patterns: []*regexp.Regexp{regexp.MustCompile(fmt.Sprintf(`scam%d[a-z]+site`, i))}, Actions: []string{AutomodAlert}})
	}
	for i := range 5 {
		rules = append(rules,
			AutomodRule{Name: fmt.Sprint("invites", i), Kind: AutomodInvites, Actions: []string{AutomodDelete}},
			AutomodRule{Name: fmt.Sprint("mentions", i), Kind: AutomodMentions, Mentions: 5 + i, Actions: []string{AutomodDelete}},
			AutomodRule{Name: fmt.Sprint("flood", i), Kind: AutomodFlood, Count: 10 + i, Within: 10 * time.Second, Actions: []string{AutomodTimeout}, Timeout: time.Minute},
			AutomodRule{Name: fmt.Sprint("repeats", i), Kind: AutomodRepeats, Count: 4 + i, Within: time.Minute, Actions: []string{AutomodDelete}},
		)
	}
	return rules
}

// BenchmarkAutomod100Rules measures Check on an ordinary message (about
// 150 characters, nothing matches) against 100 rules, from 1000 members.
func BenchmarkAutomod100Rules(b *testing.B) {
	rules := benchRules()
	if len(rules) != 100 {
		b.Fatalf("%d rules", len(rules))
	}
	a := NewAutomod(rules)
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	text := "Hey everyone! Has anyone tried the new export feature? It crashes for me when I pick CSV on a big file, any idea? Thanks <@123456789012345678>"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a.Check(&AutomodMessage{GuildID: "g", ChannelID: "general", UserID: fmt.Sprint(i % 1000), Text: text, At: t0.Add(time.Duration(i) * time.Millisecond)})
	}
}

// BenchmarkAutomodEvasion measures a message that matches only after
// normalisation (zero-width characters, Cyrillic, leetspeak).
func BenchmarkAutomodEvasion(b *testing.B) {
	a := NewAutomod(benchRules())
	t0 := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	text := "look at this b\u200bаdw0rd59x4 it is really something else, tell your friends about it please"
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := a.Check(&AutomodMessage{GuildID: "g", ChannelID: "general", UserID: fmt.Sprint(i % 1000), Text: text, At: t0.Add(time.Duration(i) * time.Millisecond)}); !ok {
			b.Fatal("no match")
		}
	}
}
