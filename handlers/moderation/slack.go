package moderation

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// /liaison mod in Slack: staff whose people: entry names their Discord
// account moderate as that account, with exactly the checks it would get
// in Discord.

const modUsage = `/liaison mod warn NAME REASON
/liaison mod timeout NAME DURATION REASON
/liaison mod untimeout NAME [REASON]
/liaison mod kick NAME REASON
/liaison mod ban NAME [DURATION] REASON
/liaison mod unban NAME [REASON]
/liaison mod note NAME TEXT
/liaison mod cases NAME
/liaison mod case N
/liaison mod reason N TEXT
/liaison mod retry N
/liaison mod raid off|undo|status
NAME is the member's Discord name or id; DURATION looks like 10m, 2h, 7d and may also come last.
With several Discord servers, name one first: /liaison mod in:SERVER ban NAME REASON.
retry sends a case's action again after Discord refused it (the mod log says why).`

// slackShapes are the shape and an example of each /liaison mod verb, for
// the answer to a command typed wrong.
var slackShapes = map[string][2]string{
	"warn":      {"warn NAME REASON", "warn mallory spamming links"},
	"timeout":   {"timeout NAME DURATION REASON", "timeout mallory 10m spamming links"},
	"untimeout": {"untimeout NAME [REASON]", "untimeout mallory apologised"},
	"kick":      {"kick NAME REASON", "kick mallory trolling"},
	"ban":       {"ban NAME [DURATION] REASON", "ban mallory 7d raid spam"},
	"unban":     {"unban NAME [REASON]", "unban mallory appeal accepted"},
	"note":      {"note NAME TEXT", "note mallory warned in DM"},
	"cases":     {"cases NAME", "cases mallory"},
	"case":      {"case N", "case 12"},
	"reason":    {"reason N TEXT", "reason 12 spam links"},
	"retry":     {"retry N", "retry 12"},
	"raid":      {"raid off|undo|status", "raid off"},
}

// slackShaped adds to a mistake in a /liaison mod command the shape the
// verb expects, with an example.
func slackShaped(verb string, err error) error {
	if err == nil || bot.ErrorCode(err) != bot.EInvalid {
		return err
	}
	sh := slackShapes[verb]
	return bot.Errorf(bot.EInvalid, "%s\nUse: /liaison mod %s, like: /liaison mod %s", bot.ErrorMessage(err), sh[0], sh[1])
}

// splitDuration finds the duration of positional words: right after the
// name (the first word) or last, when it reads as one. dur is "" when
// neither does.
func splitDuration(rest string) (dur, others string) {
	words := strings.Fields(rest)
	ok := func(w string) bool { _, err := bot.ParseDuration(w); return err == nil && w != "0" }
	switch {
	case len(words) >= 1 && ok(words[0]):
		return words[0], strings.Join(words[1:], " ")
	case len(words) >= 2 && ok(words[len(words)-1]):
		return words[len(words)-1], strings.Join(words[:len(words)-1], " ")
	}
	return "", rest
}

// splitModArgs splits /liaison mod's arguments into the server named by
// in:SERVER (optional, first), the verb (lower case) and the rest.
func splitModArgs(args string) (server, verb, rest string) {
	verb, rest, _ = strings.Cut(strings.TrimSpace(args), " ")
	verb, rest = strings.ToLower(verb), strings.TrimSpace(rest)
	if s, ok := strings.CutPrefix(verb, "in:"); ok {
		server = s
		verb, rest, _ = strings.Cut(rest, " ")
		verb, rest = strings.ToLower(verb), strings.TrimSpace(rest)
	}
	return server, verb, rest
}

func (m *Moderation) slackCommand(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error) {
	server, verb, rest := splitModArgs(args)
	if verb == "" || verb == "help" {
		return &bot.Reply{Text: "Moderate the Discord server as your Discord account:\n" + modUsage}, nil
	}
	if !m.cfg.Moderation.Enabled {
		return nil, bot.Errorf(bot.EInvalid, "Moderation is not set up here yet: ask an admin to add a moderation: section to liaison.yaml.")
	}
	if len(m.cfg.Discord.Guilds) == 0 {
		return nil, bot.Errorf(bot.EInvalid, "No Discord server is configured: add discord: guild to liaison.yaml.")
	}
	inv, err := m.slackInvocation(c.User, server)
	if err != nil {
		return nil, err
	}
	if _, err := m.reader(); err != nil {
		return nil, err
	}
	word := func() string {
		w, r, _ := strings.Cut(rest, " ")
		rest = strings.TrimSpace(r)
		return w
	}
	usage := func(verb string) error {
		sh := slackShapes[verb]
		return bot.Errorf(bot.EInvalid, "Use: /liaison mod %s, like: /liaison mod %s", sh[0], sh[1])
	}
	switch verb {
	case "case":
		n, err := caseNumber(word())
		if err != nil {
			return nil, usage("case")
		}
		return m.showCase(ctx, inv, n)
	case "reason":
		n, err := caseNumber(word())
		if err != nil || rest == "" {
			return nil, usage("reason")
		}
		text, err := reasonText(rest, true, "reason")
		if err != nil {
			return nil, slackShaped(verb, err)
		}
		return m.editReason(ctx, inv, n, text)
	case "retry":
		n, err := caseNumber(word())
		if err != nil {
			return nil, usage("retry")
		}
		return m.retry(ctx, inv, n)
	case "raid":
		if !m.cfg.Moderation.Raid.Enabled {
			return nil, bot.Errorf(bot.EInvalid, "Raid detection is not set up: an admin can add moderation: raid: to liaison.yaml.")
		}
		return m.raidVerb(ctx, inv, word(), "/liaison mod raid off")
	case "warn", "timeout", "untimeout", "kick", "ban", "unban", "cases", "note":
	default:
		verbs := []string{"warn", "timeout", "untimeout", "kick", "ban", "unban", "note", "cases", "case", "reason", "retry", "raid", "help"}
		if s := bot.Closest(verb, verbs, 2); s != "" {
			return nil, bot.Errorf(bot.EInvalid, "There is no /liaison mod %s. Did you mean /liaison mod %s? The commands:\n%s", verb, s, modUsage)
		}
		return nil, bot.Errorf(bot.EInvalid, "There is no /liaison mod %s. The commands:\n%s", verb, modUsage)
	}
	name := word()
	if name == "" {
		return nil, slackShaped(verb, bot.Errorf(bot.EInvalid, "Say who: /liaison mod %s needs a member.", verb))
	}
	target, err := m.resolveMember(ctx, inv.GuildID, name)
	if err != nil {
		return nil, err
	}
	switch verb {
	case "cases":
		return m.listCases(ctx, inv, target)
	case "warn", "note", "kick":
		reason, err := reasonText(rest, true, "liaison mod "+verb)
		if err != nil {
			return nil, slackShaped(verb, err)
		}
		switch verb {
		case "warn":
			return m.warn(ctx, inv, target, reason, false)
		case "note":
			return m.act(ctx, inv, bot.ActionNote, target, reason, 0, 0)
		}
		return m.act(ctx, inv, bot.ActionKick, target, reason, 0, 0)
	case "untimeout", "unban":
		reason, err := reasonText(rest, false, "liaison mod "+verb)
		if err != nil {
			return nil, slackShaped(verb, err)
		}
		return m.act(ctx, inv, verb, target, reason, 0, 0)
	}
	// timeout NAME DURATION REASON and ban NAME [DURATION] REASON; the
	// duration may also come last.
	dur, rest := splitDuration(rest)
	var d time.Duration
	if verb == bot.ActionTimeout {
		if dur == "" {
			return nil, slackShaped(verb, bot.Errorf(bot.EInvalid, "Say how long: a timeout needs a duration like 10m, 2h or 7d, right after the name or last."))
		}
		if d, err = timeoutDuration(dur); err != nil {
			return nil, slackShaped(verb, err)
		}
	} else if d, _, err = banOptions(dur, ""); err != nil {
		return nil, slackShaped(verb, err)
	}
	reason, err := reasonText(rest, true, "liaison mod "+verb)
	if err != nil {
		return nil, slackShaped(verb, err)
	}
	return m.act(ctx, inv, verb, target, reason, d, 0)
}

// resolveMember finds the Discord user a Slack command names: a mention
// (<@id>), an id, a member's name, or the name of someone with cases (who
// may have left).
func (m *Moderation) resolveMember(ctx context.Context, guildID, name string) (string, error) {
	name = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "<@"), "!"), "@"), ">")
	if isSnowflake(name) {
		return name, nil
	}
	found, err := m.guilds.SearchMembers(ctx, guildID, name)
	if err != nil {
		return "", fmt.Errorf("search members %q: %w", name, err)
	}
	switch len(found) {
	case 1:
		return found[0].User.ID, nil
	case 0:
	default:
		var who []string
		for _, f := range found {
			who = append(who, fmt.Sprintf("%s (%s)", f.User.Label(), f.User.ID))
		}
		return "", bot.Errorf(bot.EInvalid, "Several members are called %s: %s. Give the id instead.", name, strings.Join(who, ", "))
	}
	id, err := m.db.TargetByName(ctx, guildID, name)
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", bot.Errorf(bot.ENotFound, "Nobody called %s is on the Discord server: check the name, or give their Discord id.", name)
	}
	return id, nil
}

func isSnowflake(s string) bool {
	return len(s) >= 17 && len(s) <= 20 && strings.Trim(s, "0123456789") == ""
}

// slackInvocation is a Slack user acting as the Discord account their
// people: entry names, in the server named by server (see slackGuild).
func (m *Moderation) slackInvocation(u bot.User, server string) (invocation, error) {
	modID, err := m.discordIdentity(u)
	if err != nil {
		return invocation{}, err
	}
	guild, err := m.slackGuild(server)
	if err != nil {
		return invocation{}, err
	}
	return invocation{GuildID: guild, Source: bot.SourceSlack, Mod: bot.User{Platform: bot.PlatformDiscord, ID: modID, Name: m.dir.Person(u)}}, nil
}

// slackGuild picks the Discord server a /liaison mod command acts on: the
// one named by in:SERVER (its name in liaison.yaml, or its id), or the only
// one configured. With several and none named, it asks which rather than
// guess: a ban on the wrong server is not a small mistake.
func (m *Moderation) slackGuild(server string) (string, error) {
	guilds := m.cfg.Discord.Guilds
	var names []string
	for _, g := range guilds {
		if server != "" && (strings.EqualFold(g.Name, server) || g.ID == server) {
			return g.ID, nil
		}
		names = append(names, cmp.Or(g.Name, g.ID))
	}
	switch {
	case server != "":
		return "", bot.Errorf(bot.ENotFound, "Liaison knows no Discord server %s. Its servers: %s.", bot.Quoted(server), strings.Join(names, ", "))
	case len(guilds) > 1:
		return "", bot.Errorf(bot.EInvalid, "Liaison watches %d Discord servers: say which with /liaison mod in:SERVER … (%s).", len(guilds), strings.Join(names, ", "))
	}
	return guilds[0].ID, nil
}
