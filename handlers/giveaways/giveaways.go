// Package giveaways is Liaison's giveaways capability: /giveaway start,
// end, cancel, reroll, list and show in Discord (and /liaison giveaway in
// Slack, as the Discord account people: maps the Slack user to), the Enter
// button checked on the server at the time of the click, and a draw anyone
// can check (bot.DrawOrder) committed in one transaction with its
// announcement, then sent by the outbox: exactly once across restarts and
// replicas.
//
// It has a package of its own, like handlers/moderation: it registers on
// the handlers Router through registrar and imports nothing of package
// handlers.
package giveaways

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/jobs"
)

// GuildReader reads what entering and starting need from Discord. It is
// implemented by the Discord adapter (discordbot.Adapter) and the console.
type GuildReader interface {
	// GuildInfo returns the server's owner, roles and Liaison's own roles.
	GuildInfo(ctx context.Context, guildID string) (*bot.Guild, error)
	// GuildMember returns a member, or a bot.ENotFound error.
	GuildMember(ctx context.Context, guildID, userID string) (*bot.Member, error)
}

// poster is implemented by the Discord adapter and the console, where the
// reader can tell whether Liaison may post in a channel: a giveaway is
// refused at once rather than failing when its message is sent.
type poster interface {
	CanPost(ctx context.Context, guildID, channelID string) error
}

// registrar is implemented by *handlers.Router.
type registrar interface {
	OnCommand(name, action string, run func(ctx context.Context, c *bot.Command) (*bot.Reply, error))
	OnSubcommand(name, usage, summary string, needs bot.Needs, run func(ctx context.Context, c *bot.Command, args string) (*bot.Reply, error))
	OnAction(id, action string, run func(ctx context.Context, a *bot.Action) (*bot.Reply, error))
	AddDiscordCommand(spec bot.CommandSpec)
	AddJob(j jobs.Job)
}

// directory is implemented by the handlers package's directory.
type directory interface {
	// Actor names u in histories: their people: name, else their label.
	Actor(u bot.User) string
	// ChannelName returns the short name config gives a Discord channel.
	ChannelName(id string) string
}

// Deps are what giveaways are built from, all required but Random.
type Deps struct {
	DB     *store.DB
	Config *config.Config
	Clock  bot.Clock
	Logger *slog.Logger
	People directory
	// Random is where seeds come from: crypto/rand unless set.
	Random io.Reader
	// Templates approves the announcement text (handlers.Templates).
	Templates templates
}

// Giveaways is the capability; its state is in the store.
type Giveaways struct {
	db     *store.DB
	cfg    *config.Config
	clock  bot.Clock
	logger *slog.Logger
	dir    directory
	random io.Reader
	// templates approves the announcement text.
	templates templates
	// guilds reads Discord; nil while Discord is off. Attached late.
	guilds GuildReader
}

// New returns the capability.
func New(d Deps) *Giveaways {
	g := &Giveaways{db: d.DB, cfg: d.Config, clock: d.Clock, logger: d.Logger, dir: d.People, random: d.Random, templates: d.Templates}
	if g.random == nil {
		g.random = rand.Reader
	}
	return g
}

// Attach gives giveaways the Discord reader; nil disables entering and
// starting. Call it before the Router serves.
func (g *Giveaways) Attach(r GuildReader) { g.guilds = r }

// Action is the permission every giveaway command needs; Enter, Leave and
// Claim are everyone's (Claim checks the clicker is a winner).
const Action = "giveaways.manage"

// Limits of a giveaway.
const (
	maxDuration     = 60 * 24 * time.Hour
	maxText         = 200  // prize
	maxDescription  = 1000 // description
	maxReason       = 400
	maxBonusTickets = 100
	// lateAfter is how far past its end a draw must come to be called late.
	lateAfter = time.Minute
	// countEvery is the least time between two edits of the entry count.
	countEvery = 10 * time.Second
	// refusedCases is how far back a ban or timeout case refuses an entry.
	refusedCases = 30 * 24 * time.Hour
	// reservesShown is how many reserves the result lists.
	reservesShown = 3
	listSince     = 30 * 24 * time.Hour
)

// reportEvery is how often the reports to staff (refusals, unclaimed
// prizes) look for something to say: they are not urgent, and every tick
// would add reads to the database the outbox writes to.
const reportEvery = 15 * time.Second

// Register declares the Discord command, the Slack subcommand, the
// buttons and the jobs: the draw of giveaways whose end has come (every
// tick), the report of announcements and DMs Discord refused and of
// messages it would not post, and the staff notice of unclaimed prizes
// (every reportEvery).
func (g *Giveaways) Register(r registrar) {
	r.AddDiscordCommand(commandSpec())
	r.OnCommand("giveaway", Action, g.discordCommand)
	r.OnSubcommand("giveaway", "start|end|cancel|reroll|list|show …",
		"run a giveaway in Discord as your Discord account (/liaison giveaway help)",
		bot.Needs{Action: Action}, g.slackCommand)
	r.OnAction("giveaway.enter", "", g.enterClick)
	r.OnAction("giveaway.leave", "", g.leaveClick)
	r.OnAction("giveaway.claim", "", g.claimClick)
	r.OnAction("giveaway.rerollunclaimed", Action, g.rerollUnclaimedClick)
	r.AddJob(jobs.Job{Name: "giveaway-draws", Every: 0, Run: g.DrawDue})
	r.AddJob(jobs.Job{Name: "giveaway-failures", Every: reportEvery, Run: g.ReportFailed})
	r.AddJob(jobs.Job{Name: "giveaway-claims", Every: reportEvery, Run: g.ClaimsEnded})
}

// who is who runs a giveaway command, from where, as their Discord account.
type who struct {
	GuildID   string
	ChannelID string // the Discord channel the command ran in, "" from Slack
	ID        string // their Discord id
	Name      string
	Source    string
}

// discordIdentity returns the Discord id of a Slack user from people:.
func (g *Giveaways) discordIdentity(u bot.User) (string, error) {
	for _, p := range g.cfg.People {
		if p.Slack != "" && p.Slack == u.ID {
			if p.Discord == "" {
				return "", bot.Errorf(bot.EForbidden, "Your entry in liaison.yaml's people: (%s) has no discord: account, so Liaison cannot run giveaways as you on Discord. Ask an admin to add it.", p.Name)
			}
			return p.Discord, nil
		}
	}
	return "", bot.Errorf(bot.EForbidden, "Your Slack account is not in liaison.yaml's people:, so Liaison does not know your Discord account. Ask an admin to add you with your discord: id.")
}

func (g *Giveaways) reader() (GuildReader, error) {
	if g.guilds == nil {
		return nil, bot.Errorf(bot.EInvalid, "Giveaways need Discord, which is not connected: set DISCORD_BOT_TOKEN and restart Liaison.")
	}
	return g.guilds, nil
}

// giveawayID reads a giveaway number.
func giveawayID(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0, bot.Errorf(bot.EInvalid, "%q is not a giveaway number: /giveaway list shows them.", s)
	}
	return n, nil
}

// inGuild returns the giveaway id of the server guildID, or a not-found
// error naming it as /giveaway list would (giveaways of another server are
// not shown).
func (g *Giveaways) inGuild(ctx context.Context, guildID string, id int64) (*bot.Giveaway, error) {
	gw, err := g.db.Giveaway(ctx, id)
	if err != nil {
		return nil, err
	}
	if gw.GuildID != guildID {
		return nil, bot.Errorf(bot.ENotFound, "There is no giveaway %d on this server. /giveaway list shows them.", id)
	}
	return gw, nil
}

// text checks a piece of text a moderator gives.
func text(s, what string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" && required {
		return "", bot.Errorf(bot.EInvalid, "Give the %s: it is required.", what)
	}
	if n := len([]rune(s)); n > max {
		return "", bot.Errorf(bot.EInvalid, "The %s is too long (%d characters): keep it under %d.", what, n, max)
	}
	return s, nil
}

// slackChannel is where starts and ends are posted in Slack, "" for none.
func (g *Giveaways) slackChannel() string { return g.cfg.Giveaways.Slack.ID }

// enqueueSlack posts text to the giveaways' Slack channel, if there is one.
func (g *Giveaways) enqueueSlack(ctx context.Context, tx *store.Tx, key string, p bot.Post) error {
	ch := g.slackChannel()
	if ch == "" {
		return nil
	}
	p.ChannelID = ch
	_, err := tx.Enqueue(ctx, g.clock.Now(), &bot.OutboxMessage{Key: key, Platform: bot.PlatformSlack, Kind: bot.KindPost, Payload: bot.Payload(p)})
	return err
}

// staffRoles are the role ids of the server's staff (discord: roles:
// staff), who may not enter unless giveaways: allow_staff.
func (g *Giveaways) isStaff(guildID string, u bot.User) bool {
	for _, id := range g.cfg.RoleIDs(guildID, []string{"staff"}) {
		if slices.Contains(u.Roles, id) {
			return true
		}
	}
	for _, p := range g.cfg.People {
		if p.Discord != "" && p.Discord == u.ID {
			return true
		}
	}
	return false
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
