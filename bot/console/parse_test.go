package console

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot"
)

func TestParseReadsEveryForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		line string
		want *Input
	}{
		{"a blank line is skipped", "   ", nil},
		{"a comment is skipped", "  # the tour starts here", nil},
		{"a Discord message", "discord #feedback alice: the export button crashes",
			&Input{Verb: VerbSay, Platform: "discord", Channel: "feedback", Person: "alice", Text: "the export button crashes"}},
		{"a Slack message keeps its colons", "slack #product bob: note: ship it at 10:30",
			&Input{Verb: VerbSay, Platform: "slack", Channel: "product", Person: "bob", Text: "note: ship it at 10:30"}},
		{"\\n starts a new line", `discord #feedback alice: one\ntwo`,
			&Input{Verb: VerbSay, Platform: "discord", Channel: "feedback", Person: "alice", Text: "one\ntwo"}},
		{"the platform may be capitalised", "Discord #general eve:hi",
			&Input{Verb: VerbSay, Platform: "discord", Channel: "general", Person: "eve", Text: "hi"}},
		{"a Slack command", "slack #product bob: /liaison help",
			&Input{Verb: VerbCommand, Platform: "slack", Channel: "product", Person: "bob", Command: "liaison", Text: "help"}},
		{"a command without arguments", "slack #product bob: /liaison",
			&Input{Verb: VerbCommand, Platform: "slack", Channel: "product", Person: "bob", Command: "liaison"}},
		{"a Discord command keeps its options as typed", `discord #general dave: /warn mallory  "spamming links"`,
			&Input{Verb: VerbCommand, Platform: "discord", Channel: "general", Person: "dave", Command: "warn", Text: `mallory  "spamming links"`}},
		{"a reaction with an emoji", "react d1 👍 eve", &Input{Verb: VerbReact, Ref: "d1", Emoji: "👍", Person: "eve"}},
		{"a reaction with a shortcode", "react s12 :white_check_mark: bob", &Input{Verb: VerbReact, Ref: "s12", Emoji: ":white_check_mark:", Person: "bob"}},
		{"a click on a quoted label", `click s2 "Draft reply" carol`, &Input{Verb: VerbClick, Ref: "s2", Label: "Draft reply", Person: "carol"}},
		{"a click on a one-word label", `click s2 Acknowledge bob`, &Input{Verb: VerbClick, Ref: "s2", Label: "Acknowledge", Person: "bob"}},
		{"a quote inside a label is escaped", `click s2 "Say \"hi\"" bob`, &Input{Verb: VerbClick, Ref: "s2", Label: `Say "hi"`, Person: "bob"}},
		{"a menu", `menu d1 "Send to product" bob`, &Input{Verb: VerbMenu, Ref: "d1", Label: "Send to product", Person: "bob"}},
		{"a form with quoted and bare values", `submit carol reason="too harsh" quorum=2 note=""`,
			&Input{Verb: VerbSubmit, Person: "carol", Values: []bot.Option{{Name: "reason", Value: "too harsh"}, {Name: "quorum", Value: "2"}, {Name: "note", Value: ""}}}},
		{"a form sent as it is", "submit carol", &Input{Verb: VerbSubmit, Person: "carol"}},
		{"an edit", "edit d1 alice: the export button crashes on Safari",
			&Input{Verb: VerbEdit, Ref: "d1", Person: "alice", Text: "the export button crashes on Safari"}},
		{"a deletion", "delete d1", &Input{Verb: VerbDelete, Ref: "d1"}},
		{"time passing", "clock +1h30m", &Input{Verb: VerbClock, Advance: 90 * time.Minute}},
		{"time passing in days, without the plus", "clock 2d", &Input{Verb: VerbClock, Advance: 48 * time.Hour}},
		{"an absolute time", "clock 2026-11-24T10:00+01:00", &Input{Verb: VerbClock, At: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC).In(time.FixedZone("", 3600))}},
		{"an absolute time with seconds", "clock 2026-11-24T09:00:30Z", &Input{Verb: VerbClock, At: time.Date(2026, 11, 24, 9, 0, 30, 0, time.UTC)}},
		{"a reaction removed", "unreact d1 👍 eve", &Input{Verb: VerbUnreact, Ref: "d1", Emoji: "👍", Person: "eve"}},
		{"a reply", "reply s2 carol: ok: on it", &Input{Verb: VerbReply, Ref: "s2", Person: "carol", Text: "ok: on it"}},
		{"a message in a thread", `thread d1 bob: one\ntwo`, &Input{Verb: VerbThread, Ref: "d1", Person: "bob", Text: "one\ntwo"}},
		{"a forum post, whose text may hold a |", "post #ideas alice:  Dark mode | please | soon ",
			&Input{Verb: VerbPost, Channel: "ideas", Person: "alice", Title: "Dark mode", Text: "please | soon"}},
		{"a join", "join zoe", &Input{Verb: VerbJoin, Person: "zoe"}},
		{"a fed web item", "feed hn jdoe: Acme is down | https://news.ycombinator.com/item?id=1 | anyone else? | yes",
			&Input{Verb: VerbFeed, Source: "hn", Person: "jdoe", Title: "Acme is down", URL: "https://news.ycombinator.com/item?id=1", Text: "anyone else? | yes"}},
		{"a join with an age", "join zoe age 2d", &Input{Verb: VerbJoin, Person: "zoe", Age: 48 * time.Hour}},
		{"a join with an age in years and weeks", "join zoe age 2y1w", &Input{Verb: VerbJoin, Person: "zoe", Age: 2*365*24*time.Hour + 7*24*time.Hour}},
		{"a leave", "leave zoe", &Input{Verb: VerbLeave, Person: "zoe"}},
		{"a direct message", "dm mallory: someone keeps messaging me", &Input{Verb: VerbDM, Person: "mallory", Text: "someone keeps messaging me"}},
		{"help", "help", &Input{Verb: VerbHelp}},
		{"quit", "quit", &Input{Verb: VerbQuit}},
		{"exit is quit", "exit", &Input{Verb: VerbQuit}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.line, diff)
			}
		})
	}
}

func TestParseSaysWhatIsWrongAndShowsTheRightForm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line, want string
	}{
		{"a channel without its #", "discord feedback alice: hi", "name the channel after discord, with its #, like: discord #feedback alice:"},
		{"a bare #", "slack # bob: hi", "name the channel after the #, like: slack #product bob: /liaison help"},
		{"no colon after the person", "discord #feedback alice the export crashes", "write who is speaking, then a colon, then the text"},
		{"no person", "discord #feedback : hi", "write who is speaking, then a colon"},
		{"two words before the colon", "discord #feedback alice smith: hi", `"alice smith" is not one person's name`},
		{"nothing after the colon", "discord #feedback alice:  ", "alice says nothing: write the text after the colon"},
		{"a slash alone", "slack #product bob: /", "name the command after the /"},
		{"a misspelt verb", "dsicord #feedback alice: hi", `"dsicord" is not something the console understands: did you mean discord?`},
		{"an unknown verb", "frobnicate", `"frobnicate" is not something the console understands: start a line with discord, slack, react, unreact, reply, thread, post, click, menu, submit, edit, delete, join, leave, dm, feed, clock, help or quit`},
		{"a reaction without a person", "react d1 👍", "react needs a message, an emoji and a person, like: react d1 👍 eve"},
		{"a reference that is not one", "react x1 👍 eve", `"x1" is not a message reference: use the s… or d… printed before a message`},
		{"reference zero", "delete s0", `"s0" is not a message reference`},
		{"a label with spaces and no quotes", "click s2 Draft reply carol", `click needs a message, a quoted label and a person, like: click s2 "Acknowledge" bob`},
		{"a quote left open", `click s2 "Draft reply carol`, `a quote is not closed in "Draft reply carol: add the closing "`},
		{"a menu without a person", `menu d1 "Send to product"`, `menu needs a message, a quoted label and a person, like: menu d1 "Send to product" bob`},
		{"a form value without a field", `submit carol "too harsh"`, `"\"too harsh\"" is not a field=value pair`},
		{"a form with nobody", "submit", "submit needs the person whose form it is"},
		{"an edit without its text", "edit d1 alice", "write who is speaking, then a colon, then the text, like: edit d1 alice: the new text"},
		{"an edit without anything", "edit", "edit needs a message, its author and the new text"},
		{"a deletion of two messages", "delete d1 d2", "delete needs one message, like: delete d1"},
		{"time going back", "clock -1h", "time only moves forward in the console"},
		{"a malformed duration", "clock +1 hour", "clock needs how much time passes, or the time it becomes, like: clock +1h"},
		{"a time without its offset", "clock 2026-11-24T10:00", `"2026-11-24T10:00" is not a time: write it in RFC 3339 with its offset, seconds optional`},
		{"an unreaction without a person", "unreact d1 👍", "unreact needs a message, an emoji and a person, like: unreact d1 👍 eve"},
		{"a reply without a message", "reply", "reply needs a message, who writes and the text, like: reply d1 bob: thanks, we are on it"},
		{"a thread on what is not a reference", "thread x1 bob: hi", `"x1" is not a message reference`},
		{"a thread without its text", "thread d1 bob", "write who is speaking, then a colon, then the text, like: thread d1 bob: thanks, we are on it"},
		{"a post without its forum's #", "post ideas alice: A | b", "name the forum after post, with its #, like: post #ideas alice: Dark mode | please add a dark theme"},
		{"a post without a title", "post #ideas alice: | please", "a forum post has a title and a text, separated by |"},
		{"a post without a text", "post #ideas alice: Dark mode |", "a forum post has a title and a text, separated by |"},
		{"a title of two lines", `post #ideas alice: Dark\nmode | please`, "a forum post's title is one line"},
		{"a feed from no source", "feed myspace tom: hi | https://x.example | t", `"myspace" is not a watch source`},
		{"a feed without its URL", "feed hn jdoe: Acme is down | anyone else?", "a fed item has a title, a URL and a text, separated by |"},
		{"a feed with a URL that is none", "feed hn jdoe: Acme | not a url | text", `"not a url" is not a web address`},
		{"a join with something else than an age", "join zoe 2d", "join needs a person, and may say how old their account is, like: join zoe  or  join zoe age 2d"},
		{"an age of nothing", "join zoe age 0d", `an account is older than nothing: write an age like 2d or 1y, not "0d"`},
		{"a leave of two people", "leave zoe eve", "leave needs one person, like: leave eve"},
		{"a dm without a colon", "dm mallory hello", "write who is speaking, then a colon, then the text, like: dm mallory: someone keeps messaging me"},
		{"a duration in words", "clock +soon", `"soon" is not a duration: durations look like 30s, 10m, 2h, 7d, 2w or 1h30m. Write clock +1h`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.line)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error saying %q", tt.line, got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %q, want it to say %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestTokenizeKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	toks, err := tokenize(`mallory  reason:"being rude" "a \\ b \"c\""`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.text+"|"+tk.raw)
	}
	want := []string{`mallory|mallory`, `reason:being rude|reason:"being rude"`, `a \ b "c"|"a \\ b \"c\""`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tokenize (-want +got):\n%s", diff)
	}
}
