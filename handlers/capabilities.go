package handlers

import (
	"io"
	"log/slog"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/access"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/store"
	"github.com/liaison-bot/liaison/handlers/giveaways"
	"github.com/liaison-bot/liaison/handlers/moderation"
	"github.com/liaison-bot/liaison/handlers/watch"
)

// Deps are what the capabilities are built from; each takes the part it
// needs.
type Deps struct {
	DB     *store.DB
	Config *config.Config
	Clock  bot.Clock // default: the system clock
	Logger *slog.Logger
	// Random is where giveaway seeds come from: crypto/rand unless set.
	// Only the console sets it, so that its transcripts repeat.
	Random io.Reader
	// The platform readers, when they exist before the Router does (tests);
	// the adapters, which need the Router first, come later through
	// Capabilities.Attach.
	Discord     messageReader
	Guilds      moderation.GuildReader
	SlackDirect slackDirect
}

// Readers are what the capabilities read from the platforms, beyond the
// request in hand. A nil reader means the platform is off, which disables
// what needs it.
type Readers struct {
	// Discord reads messages: a flagged message's text, whether a draft's
	// target still stands.
	Discord messageReader
	// Guilds reads Discord servers (members, roles, bans, history) for
	// moderation, and the Discord roles of people acting from Slack for
	// the permission checks.
	Guilds moderation.GuildReader
	// SlackDirect reads Slack user groups (approvers, and staff: or
	// permissions: entries naming a group) and the outbox key of Liaison's
	// own messages, and shows one person a message directly.
	SlackDirect slackDirect
}

// Capabilities are Liaison's capabilities, built from one Deps and
// registered on one Router.
type Capabilities struct {
	Router     *Router
	Feedback   *Feedback
	Approvals  *Approvals
	Moderation *moderation.Moderation
	Giveaways  *giveaways.Giveaways
	// Templates approves the texts Liaison says in the brand's name:
	// feedback notices and giveaway announcements.
	Templates *Templates
	Digest    *Digest
	// Watch matches what the web sources fetch (its Ingest is their
	// bot/watch.Sink) and posts mentions and alerts.
	Watch *watch.Watch
	Help  *Help
	Ops   *Ops
	// access is the Router's permission checker; Attach gives it the
	// platform readers.
	access *access.Checker
}

// Build builds every capability and registers it on a new Router.
//
// They register in this order, and the order matters: every event runs
// the event handlers in it, in one transaction, and the scheduler runs the
// jobs due at one moment in it, so the messages they cause go out in it.
// Feedback comes before moderation and approvals (a Discord message is
// relayed before automod acts on it; a deleted message's relay is updated
// before the drafts that answered it go stale), and moderation's jobs
// before the digests and the drafts'.
func Build(d Deps) *Capabilities {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Clock == nil {
		d.Clock = bot.SystemClock{}
	}
	dir := directory{cfg: d.Config}
	c := &Capabilities{access: &access.Checker{Config: d.Config}}
	c.Router = emptyRouter(d.DB, d.Clock, c.access)
	c.Feedback = newFeedback(d.DB, d.Config, d.Clock, dir)
	c.Moderation = moderation.New(moderation.Deps{DB: d.DB, Config: d.Config, Clock: d.Clock, Logger: d.Logger, People: dir, Feedback: c.Feedback})
	c.Templates = newTemplates(d.DB, d.Config, d.Clock, dir)
	c.Giveaways = giveaways.New(giveaways.Deps{DB: d.DB, Config: d.Config, Clock: d.Clock, Logger: d.Logger, People: dir, Random: d.Random,
		Templates: c.Templates})
	c.Digest = newDigest(d.DB, d.Config, d.Clock, dir)
	c.Approvals = newApprovals(d.DB, d.Config, d.Clock, d.Logger, dir, c.Feedback)
	c.Watch = watch.New(watch.Deps{DB: d.DB, Config: d.Config, Clock: d.Clock, Logger: d.Logger, People: dir})
	c.Approvals.web = c.Watch
	c.Approvals.modmail = c.Moderation
	c.Moderation.AttachDrafts(c.Approvals)
	c.Watch.AttachDrafts(c.Approvals)
	c.Feedback.policies = c.Approvals
	c.Feedback.templates, c.Templates.policies = c.Templates, c.Approvals
	c.Templates.add(feedbackTemplates(c.Feedback))
	c.Templates.add(giveawayTemplates(d.Config, c.Giveaways))
	c.Help = newHelp(c.Router)
	c.Ops = newOps(d.DB, d.Clock)

	c.Feedback.Register(c.Router)
	c.Moderation.Register(c.Router)
	c.Giveaways.Register(c.Router)
	c.Digest.Register(c.Router)
	c.Approvals.Register(c.Router)
	c.Templates.Register(c.Router)
	c.Watch.Register(c.Router)
	c.Ops.Register(c.Router)
	c.Help.Register(c.Router)
	c.Attach(Readers{Discord: d.Discord, Guilds: d.Guilds, SlackDirect: d.SlackDirect})
	return c
}

// New returns the Router of Build(d): every capability registered.
func New(d Deps) *Router { return Build(d).Router }

// Attach gives every capability, and the Router's permission checks, the
// platform readers they use, replacing those they had: the adapters need
// the Router to exist first, so they come after Build. Call it before the
// Router serves. Without a Slack reader a Slack group in staff: or
// permissions: matches nobody; without a Discord one, nobody acting from
// Slack holds a Discord role.
func (c *Capabilities) Attach(r Readers) {
	c.access.Groups, c.access.Members = r.SlackDirect, r.Guilds
	c.Feedback.attach(r.Discord, r.SlackDirect)
	c.Approvals.attach(r.Discord, r.SlackDirect)
	c.Moderation.Attach(r.Guilds)
	if sc, ok := r.SlackDirect.(moderation.SlackChannels); ok {
		c.Moderation.AttachSlack(sc)
	} else {
		c.Moderation.AttachSlack(nil)
	}
	c.Giveaways.Attach(r.Guilds)
}

// AttachService gives /liaison status and /liaison doctor round-trip the
// service they report on (`liaison run`'s, or the console's world); without
// it they say that Liaison is not running as a service.
func (c *Capabilities) AttachService(s statusSource) { c.Ops.source = s }
