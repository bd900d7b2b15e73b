package config

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/liaison-bot/liaison/bot"
)

// Feedback is the feedback: section: where feedback comes from, how it is
// routed into Slack, and how fast the team should answer. Without the
// section, nothing is collected.
type Feedback struct {
	// Enabled is true when the file has a feedback: section.
	Enabled bool
	// Channels are the Discord channels where every message (and forum
	// post) is feedback. In the file they are Discord channel names
	// (feedback, or discord:feedback).
	Channels []ChannelRef
	// FlagEmoji marks any message as feedback when a member reacts with it;
	// 📣 unless set. An emoji or a Slack shortcode (mega).
	FlagEmoji string
	// VoteEmoji counts a "me too" on the source message or its relay; 👍
	// unless set.
	VoteEmoji string
	// SLA is how long an item may stay unanswered, in business hours.
	SLA SLA
	// EscalateTo is where a second reminder goes when an item is still
	// unanswered after another SLA period; zero when not set.
	EscalateTo ChannelRef
	// Routes are the routing rules, evaluated in order.
	Routes []Route
	// DefaultTo is where an item goes when no rule sends it anywhere.
	DefaultTo []ChannelRef
	// SimilarThreshold is the similarity (0 to 1) above which a new item's
	// relay says it looks like an open one and offers to merge it; 0.75
	// unless set.
	SimilarThreshold float64
	// Notices are the texts Liaison says in Discord, in the brand's name,
	// to an item's author and voters when its status changes: by status
	// (planned, in-progress, shipped, declined), then language (en, fr).
	// Defaults fill what the file leaves out. A template is brand speech:
	// each text is approved once, by the approvals policy, when it changes.
	Notices map[string]map[string]string
	// Board is the public status board: a Discord forum channel (from
	// discord's channels; discord:NAME in the file) where each item with
	// at least BoardMinVotes votes gets a post showing its status as the
	// forum's tags, its vote count and its merged duplicates. Zero when
	// not set: no board.
	Board ChannelRef
	// BoardMinVotes is how many votes put an item on the board; 3 unless
	// set.
	BoardMinVotes int
}

// DefaultBoardMinVotes is feedback.board_min_votes unless set.
const DefaultBoardMinVotes = 3

// NoticeStatuses are the statuses feedback.notices has texts for.
var NoticeStatuses = []string{"planned", "in-progress", "shipped", "declined"}

// NoticeLanguages are the languages a notice is written in; the first is
// the one used when an item's language is not known.
var NoticeLanguages = []string{"en", "fr"}

// NoticePlaceholders are what a notice text may contain: the item's
// author (named, not pinged: the notice pings its people itself), its
// title (a forum post's, else its text's first line), the note given with
// the status, and how many people voted for it.
var NoticePlaceholders = []string{"author", "title", "note", "votes"}

// DefaultNotices are the notice texts a file does not set.
var DefaultNotices = map[string]map[string]string{
	"planned": {
		"en": "Good news {author}: “{title}” is planned. {note}",
		"fr": "Bonne nouvelle {author} : « {title} » est prévu. {note}",
	},
	"in-progress": {
		"en": "{author}, the team is working on “{title}”. {note}",
		"fr": "{author}, l'équipe travaille sur « {title} ». {note}",
	},
	"shipped": {
		"en": "Good news {author}: “{title}” shipped. {note} Thanks to the {votes} of you who asked for it.",
		"fr": "Bonne nouvelle {author} : « {title} » est disponible. {note} Merci aux {votes} personnes qui l'ont demandé.",
	},
	"declined": {
		"en": "{author}, about “{title}”: the team decided not to do it. {note}",
		"fr": "{author}, à propos de « {title} » : l'équipe a décidé de ne pas le faire. {note}",
	},
}

// Notice returns the text of the notice for status in lang, from the file
// or the defaults; "" when there is none.
func (f Feedback) Notice(status, lang string) string {
	if t := f.Notices[status][lang]; t != "" {
		return t
	}
	return DefaultNotices[status][lang]
}

// SLA holds the answer-time targets.
type SLA struct {
	// Default applies to channels without their own; 4h unless set.
	Default time.Duration
	// ByChannel maps a source channel id to its own target.
	ByChannel map[string]time.Duration
}

// For returns the target for items from the channel with the given id.
func (s SLA) For(channelID string) time.Duration {
	if d, ok := s.ByChannel[channelID]; ok {
		return d
	}
	return s.Default
}

// Route is one routing rule as written in the file.
type Route struct {
	Name  string
	Match RouteMatch
	To    []ChannelRef
	Tags  []string
	Stop  bool
}

// RouteMatch are a rule's conditions; every one given must hold.
type RouteMatch struct {
	Channels  []ChannelRef // source channels (Discord names, or slack:NAME)
	Keywords  []string     // any of them, as word prefixes or phrases, any case
	Patterns  []*regexp.Regexp
	Tags      []string // all of them
	Sentiment string   // positive, negative or neutral
	Platform  string   // discord, slack or feed
}

// Rules returns the routes as the domain's routing rules, destinations
// written as channel references.
func (f Feedback) Rules() []bot.Rule {
	rules := make([]bot.Rule, len(f.Routes))
	for i, r := range f.Routes {
		rules[i] = bot.Rule{
			Name: r.Name, Keywords: r.Match.Keywords, Patterns: r.Match.Patterns, Tags: r.Match.Tags,
			Sentiment: r.Match.Sentiment, Platform: r.Match.Platform, AddTags: r.Tags, Stop: r.Stop,
		}
		for _, c := range r.Match.Channels {
			rules[i].Channels = append(rules[i].Channels, c.ID)
		}
		for _, to := range r.To {
			rules[i].To = append(rules[i].To, to.String())
		}
	}
	return rules
}

// DefaultDestinations returns DefaultTo as channel references.
func (f Feedback) DefaultDestinations() []string {
	out := make([]string, len(f.DefaultTo))
	for i, c := range f.DefaultTo {
		out[i] = c.String()
	}
	return out
}

func defaultFeedback() Feedback {
	return Feedback{FlagEmoji: "📣", VoteEmoji: "👍", SLA: SLA{Default: 4 * time.Hour}, SimilarThreshold: 0.75,
		BoardMinVotes: DefaultBoardMinVotes}
}

// placeholder finds {name} in a notice text.
var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

func (d *decoder) notices(n *yaml.Node, path string, f *Feedback) {
	d.names(n, path, "a mapping of statuses (planned, in-progress, shipped, declined) to texts by language, like {shipped: {en: \"…\", fr: \"…\"}}", func(status string, v *yaml.Node, p string) {
		if !slices.Contains(NoticeStatuses, status) {
			d.errorf(v, p, "%q is not a status with a notice: use planned, in-progress, shipped or declined", status)
			return
		}
		d.templateTexts(v, p, "notices", NoticePlaceholders, nil, func(lang, text string) {
			if f.Notices == nil {
				f.Notices = map[string]map[string]string{}
			}
			if f.Notices[status] == nil {
				f.Notices[status] = map[string]string{}
			}
			f.Notices[status][lang] = text
		})
	})
}

func (d *decoder) feedback(n *yaml.Node, path string, f *Feedback) {
	f.Enabled = true
	var defaultNode *yaml.Node
	d.fields(n, path, []field{
		{name: "channels", decode: func(v *yaml.Node, p string) { d.sourceRefs(v, p, &f.Channels) }},
		{name: "flag_emoji", decode: func(v *yaml.Node, p string) { f.FlagEmoji = d.emoji(v, p) }},
		{name: "vote_emoji", decode: func(v *yaml.Node, p string) { f.VoteEmoji = d.emoji(v, p) }},
		{name: "sla", decode: func(v *yaml.Node, p string) { d.sla(v, p, &f.SLA) }},
		{name: "escalate_to", decode: func(v *yaml.Node, p string) { d.channelRef(v, p, &f.EscalateTo) }},
		{name: "routes", decode: func(v *yaml.Node, p string) {
			listInto(d, v, p, "a list of routes (each like {name: bugs, match: {keywords: [crash]}, to: [product]})", &f.Routes, d.route)
			seen := map[string]bool{}
			for i, r := range f.Routes {
				if r.Name != "" && seen[r.Name] {
					d.errorf(v.Content[i], join(index(p, i), "name"), "%q names two routes: route names must be unique so route test can tell them apart", r.Name)
				}
				seen[r.Name] = true
			}
		}},
		{name: "similar_threshold", decode: func(v *yaml.Node, p string) {
			var x float64
			if v.Kind != yaml.ScalarNode || v.Decode(&x) != nil || x <= 0 || x > 1 {
				d.errorf(v, p, "expected a number above 0 and at most 1, like 0.75, got %s", describe(v))
				return
			}
			f.SimilarThreshold = x
		}},
		{name: "notices", decode: func(v *yaml.Node, p string) { d.notices(v, p, f) }},
		{name: "board", decode: func(v *yaml.Node, p string) { d.board(v, p, f) }},
		{name: "board_min_votes", decode: func(v *yaml.Node, p string) {
			var x int
			if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || v.Decode(&x) != nil || x < 1 || x > 10000 {
				d.errorf(v, p, "expected a whole number of votes of at least 1, like 3, got %s", describe(v))
				return
			}
			f.BoardMinVotes = x
		}},
		{name: "default_to", decode: func(v *yaml.Node, p string) {
			defaultNode = v
			if v.Kind == yaml.ScalarNode {
				d.channelRef(v, p, appendRef(&f.DefaultTo))
				return
			}
			d.channelRefs(v, p, &f.DefaultTo)
		}},
	})
	if defaultNode == nil && n.Kind == yaml.MappingNode {
		d.errorf(n, join(path, "default_to"), "missing: where feedback goes when no route matches, like default_to: product")
	}
}

// appendRef returns a slot at the end of *dst for one reference.
func appendRef(dst *[]ChannelRef) *ChannelRef {
	*dst = append(*dst, ChannelRef{})
	return &(*dst)[len(*dst)-1]
}

// sourceRefs decodes source channels: bare names are Discord channels here,
// since that is where the community speaks; slack:NAME names a Slack one.
func (d *decoder) sourceRefs(n *yaml.Node, path string, dst *[]ChannelRef) {
	d.list(n, path, "a list of Discord channel names (like [feedback])", func(_ int, v *yaml.Node, p string) {
		ref, ok := d.str(v, p, "a Discord channel name like feedback")
		if !ok {
			return
		}
		if !strings.Contains(ref, ":") {
			ref = "discord:" + ref
		}
		d.later(func() {
			if r, ok := d.resolveRef(v, p, ref); ok {
				*dst = append(*dst, r)
			}
		})
	})
}

// emoji decodes one emoji or Slack shortcode (with or without colons).
func (d *decoder) emoji(n *yaml.Node, path string) string {
	s, ok := d.str(n, path, `an emoji like "📣" or a Slack shortcode like mega`)
	if !ok {
		return ""
	}
	s = strings.Trim(strings.TrimSpace(s), ":")
	if s == "" || strings.ContainsAny(s, " \t") {
		d.errorf(n, path, `%q is not an emoji: use one emoji like "📣" or a Slack shortcode like mega`, s)
		return ""
	}
	return s
}

func (d *decoder) sla(n *yaml.Node, path string, s *SLA) {
	d.names(n, path, "a mapping of channel names to durations, like {default: 4h, feedback: 2h}", func(name string, v *yaml.Node, p string) {
		dur, ok := d.duration(v, p, true)
		if !ok {
			return
		}
		if name == "default" {
			s.Default = dur
			return
		}
		d.later(func() {
			r, err := d.cfg.ResolveChannel("discord:" + name)
			if err != nil {
				d.errorf(v, p, "%s", bot.ErrorMessage(err))
				return
			}
			if s.ByChannel == nil {
				s.ByChannel = map[string]time.Duration{}
			}
			s.ByChannel[r.ID] = dur
		})
	})
}

func (d *decoder) route(r *Route, n *yaml.Node, path string) {
	d.fields(n, path, []field{
		{name: "name", required: "every route needs a name, like bugs", decode: func(v *yaml.Node, p string) {
			if s, ok := d.str(v, p, "a name like bugs"); ok && d.name(v, p, s) {
				r.Name = s
			}
		}},
		{name: "match", decode: func(v *yaml.Node, p string) { d.routeMatch(v, p, &r.Match) }},
		{name: "to", required: "where the route sends feedback, like to: [product]", decode: func(v *yaml.Node, p string) { d.channelRefs(v, p, &r.To) }},
		{name: "tags", decode: func(v *yaml.Node, p string) { r.Tags = d.words(v, p, "tags") }},
		{name: "stop", decode: func(v *yaml.Node, p string) {
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" || v.Decode(&r.Stop) != nil {
				d.errorf(v, p, "expected true or false, got %s", describe(v))
			}
		}},
	})
}

func (d *decoder) routeMatch(n *yaml.Node, path string, m *RouteMatch) {
	d.fields(n, path, []field{
		{name: "channels", decode: func(v *yaml.Node, p string) { d.sourceRefs(v, p, &m.Channels) }},
		{name: "keywords", decode: func(v *yaml.Node, p string) {
			for _, k := range d.words(v, p, "keywords") {
				m.Keywords = append(m.Keywords, strings.ToLower(k))
			}
		}},
		{name: "patterns", decode: func(v *yaml.Node, p string) {
			d.list(v, p, "a list of regular expressions", func(_ int, e *yaml.Node, ep string) {
				s, ok := d.str(e, ep, "a regular expression like 'refund|money back'")
				if !ok {
					return
				}
				re, err := regexp.Compile("(?i)" + s)
				if err != nil {
					d.errorf(e, ep, "%q is not a regular expression (%v); Go's syntax: https://pkg.go.dev/regexp/syntax", s, err)
					return
				}
				m.Patterns = append(m.Patterns, re)
			})
		}},
		{name: "tags", decode: func(v *yaml.Node, p string) { m.Tags = d.words(v, p, "tags") }},
		{name: "sentiment", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "positive, negative or neutral")
			switch s {
			case "positive", "negative", "neutral":
				m.Sentiment = s
			default:
				if ok {
					d.errorf(v, p, "%q is not a sentiment: use positive, negative or neutral", s)
				}
			}
		}},
		{name: "platform", decode: func(v *yaml.Node, p string) {
			s, ok := d.str(v, p, "discord, slack or feed")
			switch s {
			case "discord", "slack", "feed":
				m.Platform = s
			default:
				if ok {
					d.errorf(v, p, "%q is not a platform: use discord, slack or feed", s)
				}
			}
		}},
	})
}

// words decodes a list of non-empty strings.
func (d *decoder) words(n *yaml.Node, path, what string) []string {
	var out []string
	d.list(n, path, "a list of "+what+", like [crash, bug]", func(_ int, v *yaml.Node, p string) {
		if s, ok := d.str(v, p, "a word"); ok {
			if s = strings.TrimSpace(s); s == "" {
				d.errorf(v, p, "empty %s: remove it", what)
				return
			}
			out = append(out, s)
		}
	})
	return out
}
