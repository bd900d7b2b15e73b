package giveaways

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/store"
)

// The giveaway commands, as Discord declares them and as both platforms
// run them: every verb is one function taking who runs it, so Slack gets
// exactly the checks Discord does.

// commandSpec declares /giveaway and its subcommands, required options
// first. Discord shows it to everyone; the server checks giveaways.manage
// on every call (permissions: may grant it to any role).
func commandSpec() bot.CommandSpec {
	id := bot.OptionSpec{Name: "id", Description: "The giveaway's number (/giveaway list)", Type: "integer", Required: true}
	return bot.CommandSpec{Name: "giveaway", Description: "Run a giveaway with a draw anyone can check", Subcommands: []bot.CommandSpec{
		{Name: "start", Description: "Start a giveaway: members enter with a button until it ends", Options: []bot.OptionSpec{
			{Name: "prize", Description: "What the winners get", Type: "string", Required: true},
			{Name: "duration", Description: "How long it runs: 1h, 3d, 2w (up to 60d)", Type: "string", Required: true},
			{Name: "winners", Description: "How many winners (1 to 50; default 1)", Type: "integer"},
			{Name: "channel", Description: "Where to post it (this channel by default)", Type: "channel"},
			{Name: "requires", Description: "Only members with this role may enter", Type: "role"},
			{Name: "min_account_age", Description: "Their Discord account must be this old: 7d, 3w", Type: "string"},
			{Name: "min_member_for", Description: "They must have been on the server this long: 1d, 2w", Type: "string"},
			{Name: "bonus_role", Description: "Members with this role get more tickets", Type: "role"},
			{Name: "bonus_tickets", Description: "Tickets of the bonus role (default 2)", Type: "integer"},
			{Name: "description", Description: "More about the prize or the rules", Type: "string"},
		}},
		{Name: "end", Description: "End a giveaway now and draw its winners", Options: []bot.OptionSpec{id}},
		{Name: "cancel", Description: "Cancel a giveaway: nobody wins", Options: []bot.OptionSpec{id,
			{Name: "reason", Description: "Why (shown publicly)", Type: "string", Required: true}}},
		{Name: "reroll", Description: "Make the next reserves winners", Options: []bot.OptionSpec{id,
			{Name: "reason", Description: "Why (shown publicly)", Type: "string", Required: true},
			{Name: "winners", Description: "How many reserves become winners (default 1)", Type: "integer"}}},
		{Name: "list", Description: "Open and recent giveaways"},
		{Name: "show", Description: "A giveaway's entries, requirements, state, commitment and result", Options: []bot.OptionSpec{id}},
	}}
}

// startRequest is /giveaway start's options, read.
type startRequest struct {
	Prize, Description          string
	Duration                    time.Duration
	Winners                     int
	ChannelID                   string
	RequiresRole, BonusRole     string
	BonusTickets                int
	MinAccountAge, MinMemberFor time.Duration
}

func (g *Giveaways) discordCommand(ctx context.Context, c *bot.Command) (*bot.Reply, error) {
	if c.Platform != bot.PlatformDiscord || c.ScopeID == "" {
		return nil, bot.Errorf(bot.EInvalid, "/giveaway works in a Discord server (or through /liaison giveaway in Slack).")
	}
	w := who{GuildID: c.ScopeID, ChannelID: c.ChannelID, ID: c.User.ID, Name: g.dir.Actor(c.User), Source: bot.SourceDiscord}
	opt := c.Option
	switch c.Subcommand {
	case "start":
		req, err := readStart(opt, c.ChannelID)
		if err != nil {
			return nil, err
		}
		return g.start(ctx, w, req)
	case "list":
		return g.list(ctx, w)
	}
	id, err := giveawayID(opt("id"))
	if err != nil {
		return nil, err
	}
	switch c.Subcommand {
	case "end":
		return g.end(ctx, w, id)
	case "cancel":
		return g.cancel(ctx, w, id, opt("reason"))
	case "reroll":
		n := 1
		if s := opt("winners"); s != "" {
			if n, err = strconv.Atoi(s); err != nil {
				return nil, bot.Errorf(bot.EInvalid, "winners takes a whole number, not %q.", s)
			}
		}
		return g.reroll(ctx, w, id, opt("reason"), n, false)
	case "show":
		return g.show(ctx, w, id)
	}
	return nil, bot.Errorf(bot.EInvalid, "Use /giveaway start, end, cancel, reroll, list or show.")
}

// readStart reads /giveaway start's options (opt returns "" for one not
// given); here is the channel to post in by default.
func readStart(opt func(string) string, here string) (startRequest, error) {
	req := startRequest{ChannelID: here, Winners: 1, BonusTickets: 2}
	var err error
	if req.Prize, err = text(opt("prize"), "prize", maxText, true); err != nil {
		return req, err
	}
	if req.Description, err = text(opt("description"), "description", maxDescription, false); err != nil {
		return req, err
	}
	if req.Duration, err = bot.ParseDuration(opt("duration")); err != nil {
		return req, err
	}
	if req.Duration < time.Minute || req.Duration > maxDuration {
		return req, bot.Errorf(bot.EInvalid, "A giveaway runs from 1m to 60d (%s given): durations look like 1h, 3d, 2w.", bot.FormatDuration(req.Duration))
	}
	if s := opt("winners"); s != "" {
		if req.Winners, err = strconv.Atoi(s); err != nil || req.Winners < 1 || req.Winners > bot.MaxGiveawayWinners {
			return req, bot.Errorf(bot.EInvalid, "winners must be from 1 to %d (%s given).", bot.MaxGiveawayWinners, s)
		}
	}
	if s := opt("channel"); s != "" {
		req.ChannelID = s
	}
	req.RequiresRole, req.BonusRole = opt("requires"), opt("bonus_role")
	if s := opt("bonus_tickets"); s != "" {
		if req.BonusRole == "" {
			return req, bot.Errorf(bot.EInvalid, "bonus_tickets goes with bonus_role: say which role gets them.")
		}
		if req.BonusTickets, err = strconv.Atoi(s); err != nil || req.BonusTickets < 2 || req.BonusTickets > maxBonusTickets {
			return req, bot.Errorf(bot.EInvalid, "bonus_tickets must be from 2 to %d (%s given): everyone else has 1.", maxBonusTickets, s)
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"min_account_age", &req.MinAccountAge}, {"min_member_for", &req.MinMemberFor}} {
		if s := opt(d.name); s != "" {
			if *d.dst, err = bot.ParseDuration(s); err != nil {
				return req, err
			}
			if *d.dst > 5*365*24*time.Hour {
				return req, bot.Errorf(bot.EInvalid, "%s is at most 5 years (%s given).", d.name, s)
			}
		}
	}
	return req, nil
}

// start checks and starts a giveaway: the message in its channel (through
// the outbox), the Slack notice, and the seed's commitment, in one
// transaction.
func (g *Giveaways) start(ctx context.Context, w who, req startRequest) (*bot.Reply, error) {
	gr, err := g.reader()
	if err != nil {
		return nil, err
	}
	if req.ChannelID == "" {
		return nil, bot.Errorf(bot.EInvalid, "Say where to post it: channel:NAME (a Discord channel).")
	}
	guild, err := gr.GuildInfo(ctx, w.GuildID)
	if err != nil {
		return nil, fmt.Errorf("read server %s: %w", w.GuildID, err)
	}
	if p, ok := gr.(poster); ok {
		if err := p.CanPost(ctx, w.GuildID, req.ChannelID); err != nil {
			return nil, err
		}
	}
	roleName := func(id, option string) (string, error) {
		if id == "" {
			return "", nil
		}
		r, ok := guild.Role(id)
		if !ok {
			return "", bot.Errorf(bot.ENotFound, "The server has no role %s (%s): pick one of its roles.", id, option)
		}
		return r.Name, nil
	}
	gw := &bot.Giveaway{
		GuildID: w.GuildID, ChannelID: req.ChannelID, Prize: req.Prize, Description: req.Description, Winners: req.Winners,
		RequiresRole: req.RequiresRole, MinAccountAge: req.MinAccountAge, MinMemberFor: req.MinMemberFor,
		BonusRole: req.BonusRole, HostID: w.ID, HostName: w.Name, Source: w.Source,
	}
	if gw.RequiresName, err = roleName(req.RequiresRole, "requires"); err != nil {
		return nil, err
	}
	if gw.BonusName, err = roleName(req.BonusRole, "bonus_role"); err != nil {
		return nil, err
	}
	if req.BonusRole != "" {
		gw.BonusTickets = req.BonusTickets
	}
	seed := make([]byte, bot.GiveawaySeedSize)
	if _, err := io.ReadFull(g.random, seed); err != nil {
		return nil, fmt.Errorf("giveaway seed: %w", err)
	}
	gw.Seed, gw.Commitment = bot.Hex(seed), bot.Hex(bot.Commitment(seed))
	now := g.clock.Now()
	gw.EndsAt = now.Add(req.Duration).Truncate(time.Second)
	var waits string
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateGiveaway(ctx, now, gw); err != nil {
			return err
		}
		// The announcement's text is asked for now, the first time, so
		// that it can be approved before the draw.
		tpl, err := g.announcementTemplate(ctx, tx, gw)
		if err != nil {
			return err
		}
		if tpl.State != store.NoticeApproved {
			waits = g.pendingLine(tpl)
		}
		post := g.messagePost(gw)
		if _, err := tx.Enqueue(ctx, now, &bot.OutboxMessage{Key: gw.MessageKey, Platform: bot.PlatformDiscord, Kind: bot.KindPost, Payload: bot.Payload(post)}); err != nil {
			return err
		}
		return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:start", gw.ID), bot.Post{
			Title: fmt.Sprintf("Giveaway #%d started in Discord: %s", gw.ID, gw.Prize),
			Text: fmt.Sprintf("%s started it in %s; it ends %s. %s.", gw.HostName, g.channelLabel(gw.ChannelID), g.plainTime(gw.EndsAt),
				plural(gw.Winners, "winner", "winners")),
			Context: "Commitment: " + gw.Commitment,
		})
	})
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("Giveaway #%d started in %s: %s. It ends %s; the draw is committed to %s.",
		gw.ID, g.channelLabel(gw.ChannelID), gw.Prize, g.when(w.Source, gw.EndsAt), gw.Commitment)
	if waits != "" {
		msg += " " + waits
	}
	return &bot.Reply{Text: msg}, nil
}

// end draws an open giveaway now.
func (g *Giveaways) end(ctx context.Context, w who, id int64) (*bot.Reply, error) {
	gw, err := g.inGuild(ctx, w.GuildID, id)
	if err != nil {
		return nil, err
	}
	if err := endable(gw, g.ago(w.Source, gw.DrawnAt, g.clock.Now(), "")); err != nil {
		return nil, err
	}
	res, err := g.draw(ctx, id, g.clock.Now(), w.Name)
	if err != nil {
		return nil, err
	}
	if res == nil { // drawn meanwhile, by the job
		gw, _ = g.db.Giveaway(ctx, id)
		return nil, endable(gw, g.ago(w.Source, gw.DrawnAt, g.clock.Now(), ""))
	}
	if res.waits != "" {
		return &bot.Reply{Text: fmt.Sprintf("Giveaway #%d is drawn. %s %s", id, res.summary(), res.waits)}, nil
	}
	return &bot.Reply{Text: fmt.Sprintf("Giveaway #%d is drawn. %s The announcement replies to the giveaway message.", id, res.summary())}, nil
}

// endable refuses to end a giveaway that is not open; drawnAt says when
// it was drawn, following "was already drawn".
func endable(gw *bot.Giveaway, drawnAt string) error {
	switch gw.State {
	case bot.GiveawayCancelled:
		return bot.Errorf(bot.EInvalid, "Giveaway #%d was cancelled (%s), so it cannot be drawn.", gw.ID, gw.CancelReason)
	case bot.GiveawayDrawn:
		return bot.Errorf(bot.EConflict, "Giveaway #%d was already drawn %s: /giveaway show %d shows the result; /giveaway reroll takes the next reserve.", gw.ID, drawnAt, gw.ID)
	}
	return nil
}

// cancel cancels an open giveaway: its message says so, and nobody wins.
func (g *Giveaways) cancel(ctx context.Context, w who, id int64, reason string) (*bot.Reply, error) {
	reason, err := text(reason, "reason", maxReason, true)
	if err != nil {
		return nil, err
	}
	gw, err := g.inGuild(ctx, w.GuildID, id)
	if err != nil {
		return nil, err
	}
	err = g.db.InTx(ctx, func(tx *store.Tx) error {
		gw, err = tx.Giveaway(ctx, id)
		if err != nil {
			return err
		}
		switch gw.State {
		case bot.GiveawayCancelled:
			return bot.Errorf(bot.EConflict, "Giveaway #%d is already cancelled (%s).", id, gw.CancelReason)
		case bot.GiveawayDrawn:
			return bot.Errorf(bot.EInvalid, "Giveaway #%d was already drawn, so it cannot be cancelled. /giveaway reroll %d takes the next reserve, with a reason.", id, id)
		}
		now := g.clock.Now()
		if _, err := tx.CancelGiveaway(ctx, now, id, reason); err != nil {
			return err
		}
		gw.State, gw.CancelReason = bot.GiveawayCancelled, reason
		if err := g.endMessage(ctx, tx, gw, "cancel", now); err != nil {
			return err
		}
		return g.enqueueSlack(ctx, tx, fmt.Sprintf("giveaway:%d:slack:cancel", id), bot.Post{
			Title: fmt.Sprintf("Giveaway #%d cancelled: %s", id, gw.Prize),
			Text:  fmt.Sprintf("%s cancelled it: %s. %s had entered.", w.Name, reason, plural(gw.Entries, "person", "people")),
		})
	})
	if err != nil {
		return nil, err
	}
	return &bot.Reply{Text: fmt.Sprintf("Giveaway #%d is cancelled; its message says why. Nobody wins.", id)}, nil
}

// list shows the server's open giveaways and those of the last 30 days.
func (g *Giveaways) list(ctx context.Context, w who) (*bot.Reply, error) {
	gws, err := g.db.Giveaways(ctx, w.GuildID, g.clock.Now().Add(-listSince), 25)
	if err != nil {
		return nil, err
	}
	if len(gws) == 0 {
		return &bot.Reply{Text: "No giveaway is open, and none ran in the last 30 days. Start one with /giveaway start."}, nil
	}
	lines := []string{"Giveaways, open and of the last 30 days:"}
	for _, gw := range gws {
		lines = append(lines, fmt.Sprintf("#%d %s — %s, %s", gw.ID, bot.OneLine(gw.Prize, 60), g.stateLine(w.Source, gw), plural(gw.Entries, "entry", "entries")))
	}
	return &bot.Reply{Text: strings.Join(lines, "\n")}, nil
}

// stateLine says where a giveaway stands.
func (g *Giveaways) stateLine(src string, gw *bot.Giveaway) string {
	switch gw.State {
	case bot.GiveawayDrawn:
		return "drawn " + g.ago(src, gw.DrawnAt, g.clock.Now(), "just now")
	case bot.GiveawayCancelled:
		return "cancelled (" + gw.CancelReason + ")"
	}
	return "open, ends " + g.when(src, gw.EndsAt)
}

// show details one giveaway: entrants, requirements, state, commitment,
// and the result once drawn (the seed then too).
func (g *Giveaways) show(ctx context.Context, w who, id int64) (*bot.Reply, error) {
	gw, err := g.inGuild(ctx, w.GuildID, id)
	if err != nil {
		return nil, err
	}
	lines := []string{
		fmt.Sprintf("Giveaway #%d: %s (in %s, by %s)", gw.ID, gw.Prize, g.channelLabel(gw.ChannelID), gw.HostName),
		"State: " + g.stateLine(w.Source, gw),
		fmt.Sprintf("Winners: %d · Entries: %d", gw.Winners, gw.Entries),
		"Requirements: " + g.requirements(gw),
		"Commitment: " + gw.Commitment,
	}
	if gw.State == bot.GiveawayDrawn {
		picks, err := g.db.Picks(ctx, id)
		if err != nil {
			return nil, err
		}
		var won, reserves []string
		for _, p := range picks {
			switch {
			case p.Winner():
				s := p.UserName
				if !p.ClaimedAt.IsZero() {
					s += " (claimed)"
				}
				won = append(won, s)
			case p.WonRound < 0 && len(reserves) < reservesShown:
				reserves = append(reserves, fmt.Sprintf("%d. %s", p.Position, p.UserName))
			}
		}
		lines = append(lines, "Seed: "+gw.Seed, "Entrants hash: "+gw.EntrantsHash,
			"Winners: "+orNone(strings.Join(won, ", ")), "Next reserves: "+orNone(strings.Join(reserves, ", ")))
		if gw.LateReason != "" {
			lines = append(lines, "Drawn late: "+gw.LateReason)
		}
		var rounds []bot.GiveawayRound
		if err := g.db.InTx(ctx, func(tx *store.Tx) (err error) {
			rounds, err = tx.Rounds(ctx, id)
			return err
		}); err != nil {
			return nil, err
		}
		for _, r := range rounds {
			if r.Waits != "" {
				lines = append(lines, "Announcement: not posted yet, it waits for the approval of its text (giveaways.announcement) in the approvals channel")
				break
			}
		}
	}
	return &bot.Reply{Text: strings.Join(lines, "\n")}, nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
