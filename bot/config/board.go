package config

import (
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// board decodes feedback.board: one Discord channel, written
// discord:NAME. Whether it is a forum is known offline only where the file
// says which channels are forums (the console's console.forums); elsewhere
// liaison doctor and liaison run ask Discord.
func (d *decoder) board(n *yaml.Node, path string, f *Feedback) {
	ref, ok := d.str(n, path, "a Discord forum channel, like discord:ideas-board")
	if !ok {
		return
	}
	platform, name, prefixed := strings.Cut(ref, ":")
	if !prefixed || platform != PlatformDiscord || name == "" {
		d.errorf(n, path, "%q is not a Discord channel: the board is a forum channel of your Discord server, written discord:NAME (like discord:ideas-board) with NAME declared under discord: channels", ref)
		return
	}
	d.later(func() {
		r, ok := d.resolveRef(n, path, ref)
		if !ok {
			return
		}
		if slices.ContainsFunc(f.Channels, func(c ChannelRef) bool { return c.ID == r.ID }) {
			d.errorf(n, path, "%s is also under feedback.channels: the board shows the team's answers, it is not a place to collect feedback; give it a forum of its own", ref)
			return
		}
		c := d.cfg.Console
		if console := len(c.Forums) > 0 || len(c.Members) > 0; console && !slices.Contains(c.Forums, name) {
			listed := "lists none"
			if len(c.Forums) > 0 {
				listed = "lists " + strings.Join(c.Forums, ", ")
			}
			d.errorf(n, path, "%s is not a forum channel (console.forums %s): the board needs a forum, where each item gets a post", ref, listed)
			return
		}
		f.Board = r
	})
}
