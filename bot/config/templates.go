package config

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Templates are the fixed texts Liaison says publicly in the brand's name
// (feedback.notices, giveaways.announcement): brand speech, each text
// approved once by the approvals policy when it changes. They are written
// per language (NoticeLanguages) and may hold placeholders ({name}) that
// Liaison fills when it speaks.

// templateMax is the longest a template may be: room is left for what fills
// its placeholders, and the pings, in Discord's 2,000 characters.
const templateMax = 1000

// templateTexts decodes a mapping of languages to texts (en: …, fr: …) and
// calls set with each one that is valid; noun names the texts in errors
// ("notices", "announcements") and known lists the placeholders they may
// hold. With by, the mapping may also name, as written_by, the person
// (from people:) who wrote the texts, who may not approve them.
func (d *decoder) templateTexts(n *yaml.Node, path, noun string, known []string, by *string, set func(lang, text string)) {
	d.names(n, path, "a mapping of languages (en, fr) to texts", func(lang string, t *yaml.Node, tp string) {
		if lang == "written_by" && by != nil {
			if s, ok := d.str(t, tp, "the name (from people:) of who wrote the texts, like carol"); ok {
				*by = s
				d.later(func() {
					if p, found := d.cfg.Person(s); !found || p.Slack == "" {
						d.errorf(t, tp, "%q must be someone under people: with a slack: id, so that Liaison knows they may not approve their own text", s)
					}
				})
			}
			return
		}
		if !slices.Contains(NoticeLanguages, lang) {
			d.errorf(t, tp, "%q is not a language %s are written in: use en or fr", lang, noun)
			return
		}
		text, ok := d.str(t, tp, "the text Liaison says")
		if !ok {
			return
		}
		text = strings.TrimSpace(text)
		if text == "" {
			d.errorf(t, tp, "empty: write the text, or leave the key out to use the default")
			return
		}
		for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(known, m[1]) {
				d.errorf(t, tp, "{%s} is not a placeholder %s know: use %s", m[1], noun, placeholderList(known))
				return
			}
		}
		if n := len([]rune(text)); n > templateMax {
			d.errorf(t, tp, "%d characters: the text must leave room for what fills it and its pings in Discord's 2,000; keep it under %d", n, templateMax)
			return
		}
		set(lang, text)
	})
}

// placeholderList writes {a}, {b} or {c}.
func placeholderList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{" + n + "}"
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}
