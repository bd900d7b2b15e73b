package discordbot

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/liaison-bot/liaison/bot"
)

// The fuzzers feed the renderers worst-case inputs and check that what the
// Sender and the interaction answers send is what Discord accepts: content
// of 1 to 2,000 characters (or none with buttons), at most 100 users in
// allowed_mentions and each once, unique custom_ids of at most 100
// characters, labels that are not blank, five rows of five buttons.

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// checkComponents fails t when rows break one of Discord's rules.
func checkComponents(t *testing.T, rows []component) {
	t.Helper()
	if len(rows) > 5 {
		t.Fatalf("%d action rows, Discord takes at most 5", len(rows))
	}
	ids := map[string]bool{}
	for _, r := range rows {
		if r.Type != 1 || len(r.Components) == 0 || len(r.Components) > 5 {
			t.Fatalf("row %+v: want an action row of 1 to 5 components", r)
		}
		for _, c := range r.Components {
			if c.CustomID == "" || utf8.RuneCountInString(c.CustomID) > maxCustomID || ids[c.CustomID] {
				t.Fatalf("custom_id %q is empty, longer than %d or repeated", c.CustomID, maxCustomID)
			}
			ids[c.CustomID] = true
			if strings.TrimSpace(c.Label) == "" || utf8.RuneCountInString(c.Label) > maxButtonLabel {
				t.Fatalf("label %q is blank or longer than %d", c.Label, maxButtonLabel)
			}
		}
	}
}

func checkMentions(t *testing.T, am *AllowedMentions) {
	t.Helper()
	if am == nil || am.Parse == nil || len(am.Parse) != 0 {
		t.Fatalf("allowed_mentions %+v: want parse: []", am)
	}
	if len(am.Users) > maxMentions {
		t.Fatalf("%d users in allowed_mentions, Discord takes at most %d", len(am.Users), maxMentions)
	}
	seen := map[string]bool{}
	for _, u := range am.Users {
		if seen[u] {
			t.Fatalf("user %s twice in allowed_mentions", u)
		}
		seen[u] = true
	}
}

func FuzzPostBody(f *testing.F) {
	long := strings.Repeat("x", 2100)
	f.Add("Title", "text", "Label", uint16(1), uint16(3), uint16(2))
	f.Add("", "", "", uint16(0), uint16(0), uint16(0)) // content "" was sent
	f.Add("", "", "", uint16(0), uint16(1), uint16(0))
	f.Add(long, long, long, uint16(250), uint16(25), uint16(30)) // 250 mentions, 2,100 characters
	f.Add(" ", "@everyone", " ", uint16(150), uint16(20), uint16(0))
	f.Fuzz(func(t *testing.T, title, text, label string, notify, nbuttons, nfields uint16) {
		p := &bot.Post{ChannelID: "1", Title: title, Text: text, Quote: text, Context: label}
		for i := range int(notify % 1000) {
			p.Notify = append(p.Notify, fmt.Sprint(100000+i%300))
		}
		for i := range int(nbuttons % 30) {
			p.Buttons = append(p.Buttons, bot.Button{ActionID: fmt.Sprintf("a%d", i%4), Value: fmt.Sprint(i % 3), Label: label})
		}
		for range int(nfields % 100) {
			p.Fields = append(p.Fields, bot.Field{Name: label, Value: text})
		}
		s := &Sender{log: quiet()}
		body, err := s.postBody(&bot.OutboxMessage{Key: "k"}, p)
		if err != nil {
			return // refused with a reason: nothing sent
		}
		if n := utf8.RuneCountInString(body.Content); n > maxContent {
			t.Fatalf("content of %d characters", n)
		}
		if strings.TrimSpace(body.Content) == "" && len(body.Components) == 0 {
			t.Fatal("nothing to show: Discord refuses an empty message")
		}
		raw, _ := json.Marshal(body)
		if strings.Contains(string(raw), `"content":""`) {
			t.Fatalf("content \"\" sent: %s", raw)
		}
		checkComponents(t, body.Components)
		checkMentions(t, body.AllowedMentions)
	})
}

func FuzzReplyData(f *testing.F) {
	f.Add("done", uint16(1), "Label")
	f.Add("", uint16(0), "")
	f.Add(strings.Repeat("é", 2100), uint16(25), strings.Repeat("b", 100))
	f.Add("x", uint16(0x59), "") // 29 buttons: refused, shown as an error notice
	f.Fuzz(func(t *testing.T, text string, nbuttons uint16, label string) {
		r := &bot.Reply{Text: text}
		for i := range int(nbuttons % 30) {
			r.Buttons = append(r.Buttons, bot.Button{ActionID: "a", Value: fmt.Sprint(i % 6), Label: label})
		}
		a := &Adapter{log: quiet()}
		resp := a.respond(&discordgo.Interaction{ID: "1"}, &request{}, outcome{reply: r})
		if resp.Type != respMessage {
			t.Fatalf("response type %d", resp.Type)
		}
		d := resp.Data.(*messageData)
		if n := utf8.RuneCountInString(d.Content); n > maxContent || (strings.TrimSpace(d.Content) == "" && len(d.Components) == 0) {
			t.Fatalf("content of %d characters, %d rows", n, len(d.Components))
		}
		if raw, _ := json.Marshal(d); strings.Contains(string(raw), `"content":""`) {
			t.Fatalf("content \"\" sent: %s", raw)
		}
		checkComponents(t, d.Components)
		checkMentions(t, d.AllowedMentions)
	})
}

func FuzzRenderModal(f *testing.F) {
	f.Add("cb", "meta", "Title", "text", "Label", "value", uint8(1))
	f.Add("", "", "", "", "", "", uint8(0))
	f.Add("cb", "", " ", strings.Repeat("i", 101), "", strings.Repeat("v", 5000), uint8(5))
	f.Add("cb", "", "<| >", "<| >", "<| >", "", uint8(1)) // Slack markup that shows as " "
	f.Fuzz(func(t *testing.T, callback, meta, title, id, label, value string, nfields uint8) {
		m := &bot.Modal{CallbackID: callback, Meta: meta, Title: title}
		for i := range int(nfields % 8) {
			m.Fields = append(m.Fields, bot.ModalField{ID: id + strings.Repeat("x", i%3), Label: label, Value: value})
		}
		d, err := renderModal(m)
		if err != nil {
			return
		}
		if d.CustomID == "" || utf8.RuneCountInString(d.CustomID) > maxCustomID {
			t.Fatalf("modal custom_id %q", d.CustomID)
		}
		if strings.TrimSpace(d.Title) == "" || utf8.RuneCountInString(d.Title) > maxModalTitle {
			t.Fatalf("modal title %q", d.Title)
		}
		if len(d.Components) == 0 || len(d.Components) > maxModalFields {
			t.Fatalf("%d inputs", len(d.Components))
		}
		ids := map[string]bool{}
		for _, row := range d.Components {
			in := row.Components[0]
			if in.CustomID == "" || utf8.RuneCountInString(in.CustomID) > maxCustomID || ids[in.CustomID] {
				t.Fatalf("input custom_id %q is empty, longer than %d or repeated", in.CustomID, maxCustomID)
			}
			ids[in.CustomID] = true
			if strings.TrimSpace(in.Label) == "" || utf8.RuneCountInString(in.Label) > maxInputLabel || utf8.RuneCountInString(in.Value) > maxInputValue {
				t.Fatalf("input label %q or a value of %d characters", in.Label, utf8.RuneCountInString(in.Value))
			}
		}
	})
}

// An error quoting a 2,100-character option was 2,182 characters long and
// Discord refused it: the moderator saw "The application did not
// respond". Now the quote is cut, and the answer arrives.
func TestErrorQuotingALongOptionFits(t *testing.T) {
	_, err := bot.ParseDuration(strings.Repeat("9", 2100) + "x")
	if err == nil {
		t.Fatal("ParseDuration accepted garbage")
	}
	a := &Adapter{log: quiet()}
	resp := a.failure(nil, err)
	d := resp.Data.(*messageData)
	if n := utf8.RuneCountInString(d.Content); n > 200 {
		t.Errorf("the error answer is %d characters: %q", n, d.Content)
	}
	if !strings.Contains(d.Content, "is not a duration") {
		t.Errorf("answer %q does not say what was wrong", d.Content)
	}
}
