package slackbot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// The fuzzers feed the renderers worst-case inputs (thousands of buttons
// and mentions, empty and very long labels, repeated action ids) and check
// that whatever comes out is a payload Slack accepts: Block Kit's limits on
// lengths and counts, unique action_ids, no empty text. A renderer may
// refuse a post (an error), never panic or produce what Slack refuses.

// fuzzPost builds a Post from the fuzzer's values.
func fuzzPost(title, text, label string, notify, nbuttons, nfields, nsections uint16) *bot.Post {
	p := &bot.Post{ChannelID: "C1", Title: title, Text: text, Quote: text, Context: label}
	for i := range int(notify % 3000) {
		p.Notify = append(p.Notify, fmt.Sprintf("U%08d", i%997))
	}
	for i := range int(nbuttons % 2000) {
		p.Buttons = append(p.Buttons, bot.Button{ActionID: fmt.Sprintf("act%d", i%7), Value: fmt.Sprint(i % 3), Label: label})
	}
	for range int(nfields % 200) {
		p.Fields = append(p.Fields, bot.Field{Name: label, Value: text})
	}
	for i := range int(nsections % 100) {
		sec := bot.Section{Title: label}
		for range i % 40 {
			sec.Lines = append(sec.Lines, bot.Line{Text: text, URL: label})
		}
		p.Sections = append(p.Sections, sec)
	}
	if nsections%3 == 1 {
		p.Link = &bot.Link{URL: "https://example.com/" + label, Label: title}
	}
	return p
}

func addPostSeeds(f *testing.F) {
	long := strings.Repeat("x", 2100)
	f.Add("Title", "text", "Label", uint16(0), uint16(3), uint16(2), uint16(1))
	f.Add("", "", "", uint16(0), uint16(0), uint16(0), uint16(0))
	f.Add("", "", "", uint16(0), uint16(1300), uint16(0), uint16(0))        // renderPost panicked above ~1,250 buttons
	f.Add("T", long, long, uint16(300), uint16(60), uint16(30), uint16(10)) // a mentions prefix over 3,000 characters
	f.Add(" ", " ", " ", uint16(5), uint16(2), uint16(1), uint16(4))
	f.Add("<!channel> & <@U1>", strings.Repeat("&<>", 1500), "", uint16(2999), uint16(1999), uint16(199), uint16(99))
}

// checkBlocks fails t when blocks break one of Slack's rules.
func checkBlocks(t *testing.T, blocks []slack.Block) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Fatalf("%d blocks, Slack takes at most %d", len(blocks), maxBlocks)
	}
	text := func(where string, o *slack.TextBlockObject, limit int) {
		t.Helper()
		if o == nil || strings.TrimSpace(o.Text) == "" {
			t.Fatalf("%s: empty text, Slack refuses it (invalid_blocks)", where)
		}
		if n := utf8.RuneCountInString(o.Text); n > limit {
			t.Fatalf("%s: %d characters, Slack takes at most %d", where, n, limit)
		}
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		where := fmt.Sprintf("block %d", i)
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				t.Fatalf("%s: a section with neither text nor fields", where)
			}
			if b.Text != nil {
				text(where, b.Text, maxSectionText)
			}
			if len(b.Fields) > maxFields {
				t.Fatalf("%s: %d fields, Slack takes at most %d", where, len(b.Fields), maxFields)
			}
			for _, fl := range b.Fields {
				text(where+" field", fl, maxFieldText)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				o, ok := e.(*slack.TextBlockObject)
				if !ok {
					t.Fatalf("%s: context element %T", where, e)
				}
				text(where+" context", o, maxSectionText)
			}
		case *slack.ActionBlock:
			if n := len(b.Elements.ElementSet); n == 0 || n > maxButtons {
				t.Fatalf("%s: %d buttons, Slack takes 1 to %d", where, n, maxButtons)
			}
			for _, e := range b.Elements.ElementSet {
				btn := e.(*slack.ButtonBlockElement)
				if btn.ActionID == "" || len(btn.ActionID) > maxActionID || ids[btn.ActionID] {
					t.Fatalf("%s: action_id %q empty, too long or not unique", where, btn.ActionID)
				}
				ids[btn.ActionID] = true
				if btn.Text.Type != slack.PlainTextType {
					t.Fatalf("%s: button text of type %s", where, btn.Text.Type)
				}
				text(where+" button", btn.Text, maxButtonLabel)
				if utf8.RuneCountInString(btn.Value) > maxButtonValue {
					t.Fatalf("%s: button value of %d characters", where, utf8.RuneCountInString(btn.Value))
				}
			}
		default:
			t.Fatalf("%s: unexpected block %T", where, b)
		}
	}
}

func FuzzRenderPost(f *testing.F) {
	addPostSeeds(f)
	f.Fuzz(func(t *testing.T, title, text, label string, notify, nbuttons, nfields, nsections uint16) {
		p := fuzzPost(title, text, label, notify, nbuttons, nfields, nsections)
		blocks, fallback, err := renderPost(p)
		if err != nil {
			if len(p.Buttons) == 0 && len(p.Notify) == 0 {
				return // an empty post is refused, not sent
			}
			t.Fatalf("renderPost refused a post with buttons or mentions: %v", err)
		}
		checkBlocks(t, blocks)
		if strings.TrimSpace(fallback) == "" {
			t.Fatal("empty fallback text")
		}
		// Every deliberate ping is still made: the prefix is never cut.
		pings := pingsIn(blocks, fallback)
		for _, id := range p.Notify {
			if !strings.Contains(strings.Join(pings, " "), "@"+id) {
				t.Fatalf("the mention of %s was lost", id)
			}
		}
	})
}

func FuzzReplyMessage(f *testing.F) {
	f.Add("done", uint16(2), "Label")
	f.Add("", uint16(0), "")
	f.Add(strings.Repeat("é", 5000), uint16(1500), strings.Repeat("b", 100))
	f.Fuzz(func(t *testing.T, text string, nbuttons uint16, label string) {
		r := &bot.Reply{Text: text}
		for i := range int(nbuttons % 2000) {
			r.Buttons = append(r.Buttons, bot.Button{ActionID: fmt.Sprintf("a%d", i%3), Value: label, Label: label})
		}
		m := replyMessage(r)
		if m.Text == "" {
			t.Fatal("empty text")
		}
		sameAsMarshal(t, m)
		if m.Blocks != nil {
			checkBlocks(t, m.Blocks.BlockSet)
		}
	})
}

func FuzzRenderModal(f *testing.F) {
	f.Add("cb", "Title", "Save", "meta", "text", "Label", "value", uint8(1))
	f.Add("", "", "", "", "", "", "", uint8(0))
	f.Add("cb", strings.Repeat("t", 300), " ", strings.Repeat("m", 3001), strings.Repeat("i", 300), "", strings.Repeat("v", 5000), uint8(120))
	f.Fuzz(func(t *testing.T, callback, title, submit, meta, id, label, value string, nfields uint8) {
		m := &bot.Modal{CallbackID: callback, Title: title, Submit: submit, Meta: meta}
		for i := range int(nfields) {
			fid := id
			if i%2 == 1 {
				fid = fmt.Sprintf("%s%d", id, i)
			}
			m.Fields = append(m.Fields, bot.ModalField{ID: fid, Label: label, Value: value, Multiline: i%2 == 0})
		}
		v, err := renderModal(m)
		if err != nil {
			return // refused with a reason, nothing sent
		}
		plainText := func(where string, o *slack.TextBlockObject, limit int) {
			t.Helper()
			if o == nil || strings.TrimSpace(o.Text) == "" || utf8.RuneCountInString(o.Text) > limit {
				t.Fatalf("%s: %+v is empty or longer than %d", where, o, limit)
			}
		}
		plainText("title", v.Title, maxModalTitle)
		plainText("close", v.Close, maxModalTitle)
		if len(m.Fields) > 0 {
			plainText("submit", v.Submit, maxModalTitle)
		}
		if len(v.Blocks.BlockSet) > maxModalBlocks || utf8.RuneCountInString(v.PrivateMetadata) > maxMetadata {
			t.Fatalf("%d blocks, %d characters of metadata", len(v.Blocks.BlockSet), len(v.PrivateMetadata))
		}
		ids := map[string]bool{}
		for _, b := range v.Blocks.BlockSet {
			in := b.(*slack.InputBlock)
			if in.BlockID == "" || len(in.BlockID) > maxActionID || ids[in.BlockID] {
				t.Fatalf("block_id %q empty, too long or repeated", in.BlockID)
			}
			ids[in.BlockID] = true
			plainText("label", in.Label, maxInputLabel)
			el := in.Element.(*slack.PlainTextInputBlockElement)
			if utf8.RuneCountInString(el.InitialValue) > maxInitialValue {
				t.Fatalf("initial value of %d characters", utf8.RuneCountInString(el.InitialValue))
			}
		}
	})
}
