package giveaways

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/liaison-bot/liaison/bot"
)

// /liaison giveaway in Slack: staff whose people: entry names their
// Discord account run giveaways as that account, with the options of
// /giveaway written name:value (quote a value with spaces).

const slackUsage = `/liaison giveaway start prize:"TEXT" duration:DURATION [winners:N] channel:NAME [requires:ROLE] [min_account_age:DURATION] [min_member_for:DURATION] [bonus_role:ROLE] [bonus_tickets:N] [description:"TEXT"]
/liaison giveaway end ID
/liaison giveaway cancel ID reason:"TEXT"
/liaison giveaway reroll ID reason:"TEXT" [winners:N]
/liaison giveaway list
/liaison giveaway show ID
NAME is a Discord channel from liaison.yaml (general); ROLE a Discord role's name; DURATION looks like 1h, 3d, 2w.`

// options are the name:value options of a Slack command, and the words
// given without a name, in order.
type options struct {
	named map[string]string
	words []string
}

func (o options) get(name string) string { return o.named[name] }

// splitOptions reads name:value tokens; a value may be "quoted".
func splitOptions(s string) (options, error) {
	o := options{named: map[string]string{}}
	s = strings.TrimSpace(s)
	for s != "" {
		var tok string
		name, rest, hasName := "", s, false
		if i := strings.IndexAny(s, ": \""); i > 0 && s[i] == ':' {
			name, rest, hasName = strings.ToLower(s[:i]), s[i+1:], true
		}
		if strings.HasPrefix(rest, "\"") || strings.HasPrefix(rest, "“") { // Slack may turn quotes curly
			open, q := "\"", "\""
			if strings.HasPrefix(rest, "“") {
				open, q = "“", "”"
			}
			rest = rest[len(open):]
			end := strings.Index(rest, q)
			if end < 0 {
				return o, bot.Errorf(bot.EInvalid, "A quote is not closed: write name:\"a value with spaces\".")
			}
			tok, s = rest[:end], strings.TrimSpace(rest[end+len(q):])
		} else {
			tok, s, _ = strings.Cut(rest, " ")
			s = strings.TrimSpace(s)
		}
		if hasName {
			if _, dup := o.named[name]; dup {
				return o, bot.Errorf(bot.EInvalid, "%s is given twice: give each option once.", name)
			}
			o.named[name] = tok
		} else {
			o.words = append(o.words, tok)
		}
	}
	return o, nil
}

func (g *Giveaways) slackCommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	verb, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	verb = strings.ToLower(verb)
	if verb == "" || verb == "help" {
		return &bot.Reply{Text: "Run a giveaway in Discord as your Discord account:\n" + slackUsage}, nil
	}
	if len(g.cfg.Discord.Guilds) != 1 {
		return nil, bot.Errorf(bot.EInvalid, "Giveaways from Slack need exactly one Discord server in liaison.yaml; with several, run /giveaway in Discord.")
	}
	id, err := g.discordIdentity(c.User)
	if err != nil {
		return nil, err
	}
	w := who{GuildID: g.cfg.Discord.Guilds[0].ID, ID: id, Name: g.dir.Actor(c.User), Source: bot.SourceSlack}
	o, err := splitOptions(rest)
	if err != nil {
		return nil, err
	}
	known := map[string][]string{
		"start": {"prize", "duration", "winners", "channel", "requires", "min_account_age", "min_member_for", "bonus_role", "bonus_tickets", "description"},
		"end":   nil, "cancel": {"reason"}, "reroll": {"reason", "winners"}, "list": nil, "show": nil,
	}
	names, ok := known[verb]
	if !ok {
		return nil, bot.Errorf(bot.EInvalid, "There is no /liaison giveaway %s. The commands:\n%s", verb, slackUsage)
	}
	for n := range o.named {
		if !slices.Contains(names, n) {
			return nil, bot.Errorf(bot.EInvalid, "/liaison giveaway %s has no option %s. The commands:\n%s", verb, n, slackUsage)
		}
	}
	switch verb {
	case "start":
		if len(o.words) > 0 {
			return nil, bot.Errorf(bot.EInvalid, "Give every option as name:value (%q has no name). The commands:\n%s", o.words[0], slackUsage)
		}
		if ch := o.get("channel"); ch != "" {
			if o.named["channel"], err = g.channelID(ch); err != nil {
				return nil, err
			}
		}
		for _, r := range []string{"requires", "bonus_role"} {
			if v := o.get(r); v != "" {
				if o.named[r], err = g.roleID(ctx, w.GuildID, v); err != nil {
					return nil, err
				}
			}
		}
		req, err := readStart(o.get, "")
		if err != nil {
			return nil, err
		}
		return g.start(ctx, w, req)
	case "list":
		return g.list(ctx, w)
	}
	if len(o.words) != 1 {
		return nil, bot.Errorf(bot.EInvalid, "Say which giveaway: /liaison giveaway %s ID …\n%s", verb, slackUsage)
	}
	gid, err := giveawayID(o.words[0])
	if err != nil {
		return nil, err
	}
	switch verb {
	case "end":
		return g.end(ctx, w, gid)
	case "cancel":
		return g.cancel(ctx, w, gid, o.get("reason"))
	case "reroll":
		n := 1
		if s := o.get("winners"); s != "" {
			if n, err = strconv.Atoi(s); err != nil {
				return nil, bot.Errorf(bot.EInvalid, "winners takes a whole number, not %q.", s)
			}
		}
		return g.reroll(ctx, w, gid, o.get("reason"), n, false)
	}
	return g.show(ctx, w, gid)
}

// channelID reads a Discord channel given in Slack: a name from
// liaison.yaml (general, #general, discord:general) or an id.
func (g *Giveaways) channelID(s string) (string, error) {
	name := strings.TrimPrefix(strings.TrimPrefix(s, "#"), "discord:")
	for _, gd := range g.cfg.Discord.Guilds {
		if id, ok := gd.Channels[name]; ok {
			return id, nil
		}
	}
	if _, ok := bot.SnowflakeTime(name); ok && len(name) >= 17 {
		return name, nil
	}
	return "", bot.Errorf(bot.ENotFound, "There is no Discord channel %q in liaison.yaml: name one of discord: channels, or give its id.", s)
}

// roleID reads a Discord role given in Slack: its name on the server (or
// in liaison.yaml's discord: roles), or its id.
func (g *Giveaways) roleID(ctx context.Context, guildID, s string) (string, error) {
	name := strings.TrimPrefix(s, "@")
	if ids := g.cfg.RoleIDs(guildID, []string{name}); len(ids) > 0 {
		return ids[0], nil
	}
	gr, err := g.reader()
	if err != nil {
		return "", err
	}
	guild, err := gr.GuildInfo(ctx, guildID)
	if err != nil {
		return "", err
	}
	for _, r := range guild.Roles {
		if strings.EqualFold(r.Name, name) || r.ID == name {
			return r.ID, nil
		}
	}
	return "", bot.Errorf(bot.ENotFound, "The server has no role %q: give a role's name as Discord shows it.", s)
}
