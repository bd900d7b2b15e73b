package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Rule is one feedback routing rule. Its conditions all have to hold (an
// empty condition holds for everything); Keywords and Patterns are one
// condition together, met when any of them is found in the text.
type Rule struct {
	Name string
	// Channels are source channel ids (Discord or Slack); empty means any.
	Channels []string
	// Keywords are lower-case words or phrases. A word matches words that
	// start with it ("crash" matches "crashes", "crashed"); a phrase matches
	// the same words in a row.
	Keywords []string
	Patterns []*regexp.Regexp
	// Tags must all be on the item already (from intake or earlier rules).
	Tags      []string
	Sentiment string   // "positive", "negative" or "neutral"; empty means any
	Platform  string   // PlatformDiscord, PlatformSlack, "feed"; empty means any
	To        []string // destinations, as channel references ("product", "discord:general")
	AddTags   []string
	Stop      bool // no later rule is evaluated once this one matches
}

// RouteInput is what rules look at.
type RouteInput struct {
	Text      string
	Platform  string
	ChannelID string
	Tags      []string
	Sentiment string
}

// RuleMatch is a rule that matched and why, for /liaison route test.
type RuleMatch struct {
	Rule string
	Why  string
}

// Destination is where an item goes and which rule sent it there ("default"
// for the default destination).
type Destination struct {
	To   string
	Rule string
}

// Routing is the outcome of routing one item.
type Routing struct {
	Matches []RuleMatch
	To      []Destination // each destination once, in the order rules named it
	Tags    []string      // the input's tags plus those rules added, without repeats
}

// DefaultRule names the default destination in a Routing.
const DefaultRule = "default"

// Route evaluates rules in order against in. Every matching rule adds its
// destinations and tags, until a matching rule with Stop. When no rule sent
// the item anywhere, it goes to defaultTo.
func Route(rules []Rule, defaultTo []string, in RouteInput) Routing {
	r := Routing{Tags: slices.Clone(in.Tags)}
	words := Words(in.Text)
	lower := strings.ToLower(in.Text)
	for _, rule := range rules {
		why, ok := rule.match(in, r.Tags, words, lower)
		if !ok {
			continue
		}
		r.Matches = append(r.Matches, RuleMatch{Rule: rule.Name, Why: why})
		for _, to := range rule.To {
			r.add(to, rule.Name)
		}
		for _, t := range rule.AddTags {
			if !slices.Contains(r.Tags, t) {
				r.Tags = append(r.Tags, t)
			}
		}
		if rule.Stop {
			break
		}
	}
	if len(r.To) == 0 {
		for _, to := range defaultTo {
			r.add(to, DefaultRule)
		}
	}
	return r
}

func (r *Routing) add(to, rule string) {
	for _, d := range r.To {
		if d.To == to {
			return
		}
	}
	r.To = append(r.To, Destination{To: to, Rule: rule})
}

// match reports whether the rule holds, and a short reason naming what
// matched.
func (rule Rule) match(in RouteInput, tags, words []string, lower string) (string, bool) {
	var why []string
	if rule.Platform != "" {
		if in.Platform != rule.Platform {
			return "", false
		}
		why = append(why, "from "+rule.Platform)
	}
	if len(rule.Channels) > 0 {
		if !slices.Contains(rule.Channels, in.ChannelID) {
			return "", false
		}
		why = append(why, "in its channel")
	}
	if rule.Sentiment != "" {
		if in.Sentiment != rule.Sentiment {
			return "", false
		}
		why = append(why, rule.Sentiment)
	}
	for _, t := range rule.Tags {
		if !slices.Contains(tags, t) {
			return "", false
		}
	}
	if len(rule.Tags) > 0 {
		why = append(why, "tagged "+strings.Join(rule.Tags, ", "))
	}
	if len(rule.Keywords) > 0 || len(rule.Patterns) > 0 {
		found := ""
		for _, k := range rule.Keywords {
			if containsKeyword(words, k) {
				found = fmt.Sprintf("%q", k)
				break
			}
		}
		if found == "" {
			for _, p := range rule.Patterns {
				if p.MatchString(lower) {
					found = fmt.Sprintf("/%s/", p.String())
					break
				}
			}
		}
		if found == "" {
			return "", false
		}
		why = append(why, "mentions "+found)
	}
	if len(why) == 0 {
		why = append(why, "matches everything")
	}
	return strings.Join(why, ", "), true
}

// containsKeyword reports whether the words contain keyword: a single word
// as a prefix of a word, a phrase as consecutive words (its last word as a
// prefix).
func containsKeyword(words []string, keyword string) bool {
	var one [1]string
	kw := one[:0]
	if isWord(keyword) {
		kw = append(kw, keyword) // Words(keyword), without its two allocations
	} else {
		kw = Words(keyword)
	}
	if len(kw) == 0 {
		return false
	}
	for i := 0; i+len(kw) <= len(words); i++ {
		ok := true
		for j, k := range kw {
			w := words[i+j]
			if j == len(kw)-1 {
				ok = strings.HasPrefix(w, k)
			} else {
				ok = w == k
			}
			if !ok {
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// isWord reports whether Words(s) is s alone: s is one word, in lower
// case. Most keywords are.
func isWord(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unicode.ToLower(r) != r || wordSep(r) {
			return false
		}
	}
	return s != ""
}

// wordSep reports whether r separates words.
func wordSep(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
}

// Words splits text into lower-case words of letters and digits (an
// apostrophe inside a word keeps it whole: "doesn't").
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), wordSep)
}
