package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/bot/watch"
)

// A Settler does work that has come due, such as sending the outbox
// (jobs.Dispatcher.DispatchOnce) or running a scheduled job, and returns how
// much it did: zero means it had nothing to do.
type Settler func(ctx context.Context) (int, error)

// maxRounds bounds Settle: work that keeps creating more work due at once is
// a bug to report, not a reason to hang.
const maxRounds = 1000

// Options are what a Console is made of.
type Options struct {
	// Config declares the world: channels, people: (the Slack users) and
	// console.members (the Discord users).
	Config *config.Config
	// Handler receives every event, command, click and form, as from the
	// real adapters; handlers.New returns the production one.
	Handler bot.Handler
	// Commands are the Discord application commands the handler declares
	// (handlers.Router.DiscordCommands): slash commands and message menus.
	Commands []bot.CommandSpec
	// Clock is the console's time; `clock +1h` advances it, and a script's
	// first line `clock TIME` sets it (see Run).
	Clock *bot.ManualClock
	// Out receives the transcript.
	Out io.Writer
	// Logger receives the causes of internal errors (the transcript shows
	// people what they would see); slog.Default() when nil.
	Logger *slog.Logger
	// Run is this run's number (see ClaimRun), folded into the platform ids
	// so that runs sharing a database never reuse one; 1 when zero.
	Run int
	// Watch receives what a feed line injects, as if its source had
	// fetched it (the watch capability's Ingest); nil when the
	// configuration has no watch.
	Watch watch.Sink
}

// Console plays a Slack workspace and a Discord server on one terminal. Its
// methods are safe for concurrent use: the dispatcher calls its Senders
// from its own goroutines.
type Console struct {
	handler  bot.Handler
	watch    watch.Sink
	commands []bot.CommandSpec
	clock    *bot.ManualClock
	cfg      *config.Config
	logger   *slog.Logger
	settlers []Settler

	mu       sync.Mutex // guards what follows, and writes to out
	out      io.Writer
	dir      *directory
	ids      ids
	counters map[string]int      // platform → the last reference number given
	refs     map[string]*message // s2 → message
	byID     map[string]*message // platform + " " + platform id → message
	forms    map[string]*form    // person → the form last opened for them
	sent     map[string]bot.SendResult
	posted   map[string]string  // channel + "\x00" + message id → the outbox key it was posted under
	threads  map[string]*thread // Discord thread id → thread (threads and forum posts)
	seq      int                // the pretend gateway session's sequence number
	mod      modState
	joined   int // people new to the world so far, for their ids
}

// form is a modal open in front of someone.
type form struct {
	modal *bot.Modal
	place bot.Place
	label string
	user  bot.User
}

// New returns a Console for the world o.Config declares.
func New(o Options) *Console {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Config == nil {
		o.Config = config.Default()
	}
	return &Console{
		handler:  o.Handler,
		watch:    o.Watch,
		commands: o.Commands,
		clock:    o.Clock,
		cfg:      o.Config,
		logger:   o.Logger,
		out:      o.Out,
		dir:      newDirectory(o.Config),
		ids:      ids{run: max(o.Run, 1)},
		counters: map[string]int{},
		refs:     map[string]*message{},
		byID:     map[string]*message{},
		forms:    map[string]*form{},
		sent:     map[string]bot.SendResult{},
		posted:   map[string]string{},
		threads:  map[string]*thread{},
	}
}

// AddSettler adds work to run after every line; see Settle. Call it before
// Run.
func (c *Console) AddSettler(s Settler) { c.settlers = append(c.settlers, s) }

// Settle runs every Settler, again and again, until a whole round finds
// nothing to do: the outbox is empty of due messages and no job is due. It
// gives up with an error after 1000 rounds.
func (c *Console) Settle(ctx context.Context) error {
	for range maxRounds {
		busy := 0
		for _, s := range c.settlers {
			n, err := s(ctx)
			if err != nil {
				return fmt.Errorf("Liaison could not finish its work: %w", err)
			}
			busy += n
		}
		if busy == 0 {
			return nil
		}
	}
	return fmt.Errorf("Liaison is still busy after %d rounds: something keeps creating work that is due at once", maxRounds)
}

// Run reads lines from in and runs each to quiescence (Exec) until the
// input ends, a line says quit, or ctx ends. With prompt set (in is a
// terminal) it greets the user and prints "> " before each line. A line in
// error is reported and the console carries on: Run returns only the error
// of reading in.
//
// The world starts with the first line that does something (comments and
// blank lines before it do not count): Discord reports its member counts
// and Liaison finishes what an earlier run left due. When that first line is
// clock TIME, the world starts at TIME instead of the clock's time, and the
// line fires nothing: a script that pins its start prints the same whatever
// day it runs.
//
// Lines are read by a goroutine Run owns, so that ctx can end Run while a
// terminal read is blocked; that goroutine ends when in does (at once for a
// file or a pipe, at exit for a terminal).
func (c *Console) Run(ctx context.Context, in io.Reader, prompt bool) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	done := make(chan struct{})
	defer close(done)
	go func() {
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-done:
				return
			}
		}
		readErr <- sc.Err()
		close(lines)
	}()
	if prompt {
		c.printf("%s", c.Banner())
	}
	started := false
	begin := func() {
		if started {
			return
		}
		started = true
		c.reportMemberCounts(ctx)
		if err := c.Settle(ctx); err != nil { // work left by an earlier run
			c.printf("%v\n", err)
		}
	}
	for n := 1; ; n++ {
		if prompt {
			c.printf("> ")
		}
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				begin()
				if prompt {
					c.printf("\n")
				}
				return <-readErr
			}
			if !started {
				in, err := Parse(line)
				if err == nil && in == nil {
					continue // a comment: nothing has happened yet
				}
				if err == nil && in.Verb == VerbClock && !in.At.IsZero() {
					c.clock.Set(in.At)
					c.printClock()
					begin()
					continue
				}
				begin()
			}
			if c.Exec(ctx, n, line) {
				return nil
			}
		}
	}
}

// Exec runs line, the n-th of the input, then settles. It reports whether
// the line asked to quit. A line that cannot run prints "line N: …" saying
// what was wrong; an error of Liaison's is shown, as on the platforms, to the
// person who caused it.
func (c *Console) Exec(ctx context.Context, n int, line string) (quit bool) {
	in, err := Parse(line)
	if err == nil && in == nil {
		return false
	}
	if err == nil {
		if in.Verb == VerbQuit {
			return true
		}
		err = c.do(ctx, in)
	}
	if err != nil {
		c.printf("line %d: %s\n", n, err)
	}
	if err := c.Settle(ctx); err != nil {
		c.printf("line %d: %v\n", n, err)
	}
	return false
}

func (c *Console) do(ctx context.Context, in *Input) error {
	switch in.Verb {
	case VerbSay:
		return c.say(ctx, in)
	case VerbCommand:
		return c.command(ctx, in)
	case VerbReact:
		return c.react(ctx, in)
	case VerbUnreact:
		return c.unreact(ctx, in)
	case VerbReply:
		return c.reply(ctx, in)
	case VerbThread:
		return c.inThread(ctx, in)
	case VerbPost:
		return c.post(ctx, in)
	case VerbJoin:
		return c.join(ctx, in)
	case VerbDM:
		return c.dm(ctx, in)
	case VerbLeave:
		return c.leave(ctx, in)
	case VerbFeed:
		return c.feed(ctx, in)
	case VerbClick:
		return c.click(ctx, in)
	case VerbMenu:
		return c.menu(ctx, in)
	case VerbSubmit:
		return c.submit(ctx, in)
	case VerbEdit:
		return c.edit(ctx, in)
	case VerbDelete:
		return c.delete(ctx, in)
	case VerbClock:
		if in.At.IsZero() {
			c.clock.Advance(in.Advance)
		} else if now := c.clock.Now(); in.At.Before(now) {
			return fmt.Errorf("it is %s already, and time only moves forward in the console: write a later time, or clock +1h (a script's first line may set any start)", c.timeText(now))
		} else {
			c.clock.Set(in.At)
		}
		c.printClock()
		return nil
	case VerbHelp:
		c.printf("%s", Syntax)
		return nil
	}
	return fmt.Errorf("the console cannot %s yet", in.Verb)
}

// printClock prints the time it is now.
func (c *Console) printClock() {
	c.printf("[clock] %s (%s)\n", c.timeText(c.clock.Now()), c.cfg.Timezone)
}

// timeText writes t in the world's timezone.
func (c *Console) timeText(t time.Time) string {
	return t.In(c.cfg.Location).Format("Mon 2 Jan 2006 15:04 MST")
}

// speaker finds the channel a line happens in and the person who acts.
// c.mu is held.
func (c *Console) speaker(in *Input) (channel, bot.Place, bot.User, error) {
	ch, err := c.dir.channel(in.Platform, in.Channel)
	if err != nil {
		return channel{}, bot.Place{}, bot.User{}, err
	}
	place := ch.place()
	user, err := c.dir.user(in.Platform, in.Person, place)
	if err != nil {
		return channel{}, bot.Place{}, bot.User{}, err
	}
	return ch, place, user, nil
}

// say posts a person's message and delivers it.
func (c *Console) say(ctx context.Context, in *Input) error {
	c.mu.Lock()
	ch, place, user, err := c.speaker(in)
	if err == nil {
		err = c.mayWrite(ch, user, "post")
	}
	if err == nil {
		err = c.slowed(place, place.ChannelID, "#"+ch.name, false, user)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.speak(ctx, c.newMessage(place, "#"+ch.name), user, in.Text)
	return nil
}

// mayWrite says why user cannot write in ch (post, run commands), as the
// platform would stop them: nobody writes in a forum itself, and on Discord
// the server's members only, if not timed out. c.mu is held.
func (c *Console) mayWrite(ch channel, user bot.User, what string) error {
	if ch.forum {
		return fmt.Errorf("#%s is a forum: nobody writes in it directly; open a post with post #%s %s: TITLE | TEXT, or write in one with thread REF", ch.name, ch.name, user.Name)
	}
	if ch.platform == bot.PlatformDiscord {
		return c.mayAct(user, what, true)
	}
	return nil
}

// command runs a slash command.
func (c *Console) command(ctx context.Context, in *Input) error {
	c.mu.Lock()
	ch, place, user, err := c.speaker(in)
	if err == nil {
		err = c.mayWrite(ch, user, "run commands")
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	cmd := &bot.Command{Place: place, Name: in.Command, User: user}
	if in.Platform == bot.PlatformSlack {
		cmd.Text = in.Text
		cmd.Delivery = c.interaction(bot.PlatformSlack, true)
	} else {
		spec, err := c.slashCommand(in.Command)
		if err == nil {
			cmd.Name = spec.Name
			args := in.Text
			if len(spec.Subcommands) > 0 {
				spec, cmd.Subcommand, args, err = subcommand(spec, args)
			}
			if err == nil {
				cmd.Options, err = commandOptions(spec, args, c.resolver(place))
			}
		}
		if err != nil {
			c.mu.Unlock()
			return err
		}
		cmd.Delivery = c.interaction(bot.PlatformDiscord, true)
	}
	c.emit(entry{platform: place.Platform, channel: "#" + ch.name, author: user.Name, lines: []string{strings.TrimSpace("/" + in.Command + " " + in.Text)}})
	c.mu.Unlock()
	r, err := c.handler.HandleCommand(ctx, cmd)
	c.answer(place, "#"+ch.name, user, r, err)
	return nil
}

// slashCommand finds the Discord slash command called name.
func (c *Console) slashCommand(name string) (bot.CommandSpec, error) {
	var names []string
	for _, s := range c.commands {
		if s.MessageMenu {
			continue
		}
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
		names = append(names, "/"+s.Name)
	}
	if len(names) == 0 {
		return bot.CommandSpec{}, fmt.Errorf("Discord has no /%s command here: Liaison declares no Discord command yet (on Slack, try /liaison help)", name)
	}
	slices.Sort(names)
	return bot.CommandSpec{}, fmt.Errorf("Discord has no /%s command here: the commands are %s", name, strings.Join(names, ", "))
}

// resolver resolves user and channel options typed in place's server.
func (c *Console) resolver(place bot.Place) resolver {
	return func(typ, v string) (string, error) {
		if typ == "channel" {
			ch, err := c.dir.channel(bot.PlatformDiscord, strings.TrimPrefix(v, "#"))
			return ch.id, err
		}
		if typ == "role" {
			name := strings.TrimPrefix(v, "@")
			roles := c.dir.roleIDs[place.ScopeID]
			if ids := roles[name]; len(ids) > 0 {
				return ids[0], nil
			}
			if snowflakeLike(name) {
				return name, nil
			}
			return "", fmt.Errorf("the server has no role called %q: there are %s", name, strings.Join(slices.Sorted(maps.Keys(roles)), ", "))
		}
		name := strings.TrimPrefix(v, "@")
		if u, err := c.dir.user(bot.PlatformDiscord, name, place); err == nil {
			return u.ID, nil
		}
		if snowflakeLike(name) {
			return name, nil
		}
		return "", fmt.Errorf("nobody called %q is on Discord: %s", name, c.dir.names(bot.PlatformDiscord))
	}
}

func snowflakeLike(s string) bool {
	if len(s) < 17 || len(s) > 20 {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// react adds a person's reaction to a message.
func (c *Console) react(ctx context.Context, in *Input) error {
	return c.reaction(ctx, in, false)
}

// unreact removes a person's reaction from a message.
func (c *Console) unreact(ctx context.Context, in *Input) error {
	return c.reaction(ctx, in, true)
}

// reaction adds or removes a person's reaction, as the platform reports it:
// Slack by shortcode, Discord by the emoji itself. Adding one they already
// have, or removing one they do not, changes nothing on the platform and is
// refused.
func (c *Console) reaction(ctx context.Context, in *Input, remove bool) error {
	c.mu.Lock()
	m, user, err := c.actor(in.Ref, in.Person)
	var emoji, shown string
	if err == nil {
		emoji, shown, err = reactionEmoji(m.platform, in.Emoji)
	}
	if err == nil && m.platform == bot.PlatformDiscord {
		what := "react"
		if remove {
			what = "remove a reaction"
		}
		err = c.mayAct(user, what, !remove)
	}
	if err == nil {
		err = m.react(emoji, shown, user.Name, remove)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	mark, op := "+"+shown, "add"
	if remove {
		mark, op = "-"+shown, "remove"
	}
	c.emit(entry{platform: m.platform, channel: m.label, ref: m.ref, mark: mark, author: user.Name})
	ev := &bot.Reaction{Place: m.place, MessageID: m.id, User: user, Emoji: emoji, Removed: remove}
	if m.platform == bot.PlatformDiscord && m.thread != nil {
		ev.ThreadID = m.thread.id // as the adapter says where a message in a thread is
	}
	if m.platform == bot.PlatformSlack {
		ev.Delivery = c.slackEvent()
	} else {
		// The gateway gives reactions no id: the adapter keys them by what
		// they are and by the session's sequence number.
		c.seq++
		ev.Delivery = c.delivery(bot.InboundKey{Kind: "discord_reaction", Key: fmt.Sprintf("%s:%s:%s:%s:console-%d:%d", m.id, user.ID, emoji, op, c.ids.run, c.seq)})
	}
	c.mu.Unlock()
	c.deliver(ctx, ev, m.place, m.label, user.Name)
	return nil
}

// reactionEmoji is an emoji as typed, as the platform reports it (a Slack
// shortcode, a Discord emoji) and as the console shows it.
func reactionEmoji(platform, typed string) (emoji, shown string, err error) {
	if platform == bot.PlatformSlack {
		if emoji = bot.SlackShortcode(typed); emoji == "" {
			return "", "", fmt.Errorf("Slack reports reactions by name, and the console does not know the name of %s: type its shortcode instead, like :tada:", typed)
		}
		return emoji, emojiShown(emoji), nil
	}
	if isASCII(typed) {
		if emoji = bot.EmojiForShortcode(typed); emoji == "" {
			return "", "", fmt.Errorf("the console does not know the emoji %s: type the emoji itself", typed)
		}
		return emoji, emoji, nil
	}
	return typed, typed, nil
}

// click presses a button.
func (c *Console) click(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, user, err := c.actor(in.Ref, in.Person)
	if err == nil && m.platform == bot.PlatformDiscord {
		err = c.mayAct(user, "click buttons", false)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	i := slices.IndexFunc(m.buttons, func(b bot.Button) bool {
		return strings.EqualFold(strings.TrimSpace(b.Label), strings.TrimSpace(in.Label))
	})
	if i < 0 {
		c.mu.Unlock()
		if len(m.buttons) == 0 {
			return fmt.Errorf("%s has no buttons", m.ref)
		}
		return fmt.Errorf("%s has no button %q: its buttons are %s", m.ref, in.Label, buttonsText(m.buttons))
	}
	b := m.buttons[i]
	c.emit(entry{platform: m.platform, channel: m.label, author: user.Name, action: fmt.Sprintf("clicked [%s] on %s", b.Label, m.ref)})
	a := &bot.Action{Delivery: c.interaction(m.platform, false), Place: m.place, MessageID: m.id, ActionID: b.ActionID, Value: b.Value, User: user}
	c.mu.Unlock()
	r, err := c.handler.HandleAction(ctx, a)
	c.answer(m.place, m.label, user, r, err)
	return nil
}

// menu runs a message menu command on a Discord message.
func (c *Console) menu(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, user, err := c.actor(in.Ref, in.Person)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	if m.platform != bot.PlatformDiscord {
		c.mu.Unlock()
		return fmt.Errorf("menu commands are Discord's: %s is a Slack message (use a d… reference)", m.ref)
	}
	if err := c.mayAct(user, "use menus", true); err != nil {
		c.mu.Unlock()
		return err
	}
	var spec *bot.CommandSpec
	var names []string
	for i, s := range c.commands {
		if !s.MessageMenu {
			continue
		}
		if strings.EqualFold(s.Name, strings.TrimSpace(in.Label)) {
			spec = &c.commands[i]
		}
		names = append(names, fmt.Sprintf("%q", s.Name))
	}
	if spec == nil {
		c.mu.Unlock()
		if len(names) == 0 {
			return fmt.Errorf("Discord has no message menu %q here: Liaison declares none yet", in.Label)
		}
		return fmt.Errorf("Discord has no message menu %q here: the menus are %s", in.Label, strings.Join(names, ", "))
	}
	c.emit(entry{platform: m.platform, channel: m.label, author: user.Name, action: fmt.Sprintf("used %q on %s", spec.Name, m.ref)})
	cmd := &bot.Command{Delivery: c.interaction(bot.PlatformDiscord, true), Place: m.place, Name: spec.Name, Target: m.botMessage(), User: user}
	c.mu.Unlock()
	r, err := c.handler.HandleCommand(ctx, cmd)
	c.answer(m.place, m.label, user, r, err)
	return nil
}

// submit sends the form last opened for a person.
func (c *Console) submit(ctx context.Context, in *Input) error {
	c.mu.Lock()
	f, ok := c.forms[in.Person]
	if !ok {
		c.mu.Unlock()
		return fmt.Errorf("no form is open for %s: a form opens when a command or a button asks %s for details", in.Person, in.Person)
	}
	if f.place.Platform == bot.PlatformDiscord {
		if err := c.mayAct(f.user, "send forms", false); err != nil {
			c.mu.Unlock()
			return err
		}
	}
	values := map[string]string{}
	var ids []string
	for _, fl := range f.modal.Fields {
		values[fl.ID] = fl.Value
		ids = append(ids, fl.ID)
	}
	var given []string
	for _, v := range in.Values {
		if _, ok := values[v.Name]; !ok {
			c.mu.Unlock()
			return fmt.Errorf("the form %q has no field %s: its fields are %s", f.modal.Title, v.Name, strings.Join(ids, ", "))
		}
		values[v.Name] = v.Value
		given = append(given, v.Name+"="+quoteValue(v.Value))
	}
	for _, fl := range f.modal.Fields {
		if !fl.Optional && strings.TrimSpace(values[fl.ID]) == "" {
			c.mu.Unlock()
			return fmt.Errorf("the form %q needs %s (%s): submit %s %s=…", f.modal.Title, fl.ID, fl.Label, in.Person, fl.ID)
		}
	}
	action := "submitted [form " + f.modal.Title + "]"
	if len(given) > 0 {
		action += " " + strings.Join(given, " ")
	}
	c.emit(entry{platform: f.place.Platform, channel: f.label, author: in.Person, action: action})
	s := &bot.Submission{Delivery: c.interaction(f.place.Platform, false), Place: f.place, CallbackID: f.modal.CallbackID, Meta: f.modal.Meta, Values: values, User: f.user}
	c.mu.Unlock()
	r, err := c.handler.HandleSubmission(ctx, s)
	if err == nil {
		c.mu.Lock()
		if c.forms[in.Person] == f {
			delete(c.forms, in.Person) // a refused form stays open, as on Slack
		}
		c.mu.Unlock()
	}
	c.answer(f.place, f.label, f.user, r, err)
	return nil
}

// edit changes a person's message.
func (c *Console) edit(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, user, err := c.actor(in.Ref, in.Person)
	if err == nil && (m.author.Bot || m.author.Name != user.Name) {
		err = fmt.Errorf("only %s can edit %s", m.author.Name, m.ref)
	}
	if err == nil && m.platform == bot.PlatformDiscord {
		err = c.mayAct(user, "edit their messages", false)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	m.text = in.Text
	m.edits++
	c.emit(entry{platform: m.platform, channel: m.label, ref: m.ref, mark: "edited", author: user.Name, lines: split(m.text)})
	ev := m.botMessage()
	ev.Edited = true
	// An edit is keyed by the message and the edit's own stamp, so it is
	// never taken for a redelivery of the message.
	if m.platform == bot.PlatformDiscord {
		ev.Delivery = c.delivery(bot.InboundKey{Kind: "discord_edit", Key: m.id + ":" + c.ids.snowflake(c.clock.Now())})
	} else {
		ev.Delivery = c.slackEvent(bot.InboundKey{Kind: "slack_message", Key: m.channel + ":" + m.id + ":edit:" + c.ids.slackTS(c.clock.Now())})
	}
	c.mu.Unlock()
	c.deliver(ctx, ev, m.place, m.label, user.Name)
	return nil
}

// delete removes a message.
func (c *Console) delete(ctx context.Context, in *Input) error {
	c.mu.Lock()
	m, err := c.message(in.Ref)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	m.deleted = true
	c.emit(entry{platform: m.platform, channel: m.label, ref: m.ref, mark: "deleted"})
	ev := &bot.MessageDeleted{Place: m.place, ID: m.id}
	if m.platform == bot.PlatformDiscord {
		ev.Delivery = c.delivery(bot.InboundKey{Kind: "discord_delete", Key: m.id})
	} else {
		ev.Delivery = c.slackEvent(bot.InboundKey{Kind: "slack_message", Key: m.channel + ":" + m.id + ":delete"})
	}
	c.mu.Unlock()
	if err := c.handler.HandleEvent(ctx, ev); err != nil {
		c.logInternal(err)
		return fmt.Errorf("Liaison could not handle the deletion: %s", bot.ErrorMessage(err))
	}
	return nil
}

// reportMemberCounts tells the handler how many members each Discord server
// of the console's world has, as Discord does when a gateway session
// starts: the digest's community size starts from it.
func (c *Console) reportMemberCounts(ctx context.Context) {
	c.mu.Lock()
	members := len(c.dir.people[bot.PlatformDiscord])
	c.mu.Unlock()
	for _, g := range c.cfg.Discord.Guilds {
		ev := &bot.GuildCount{ScopeID: g.ID, Members: members,
			Delivery: c.delivery(bot.InboundKey{Kind: "discord_guild_count", Key: fmt.Sprintf("%s:console-%d", g.ID, c.ids.run)})}
		if err := c.handler.HandleEvent(ctx, ev); err != nil {
			c.logInternal(err)
		}
		// The member list, as Discord sends it when asked at start: the
		// member facts the server logs and modmail read.
		if err := c.handler.HandleEvent(ctx, c.membersChunk(g.ID)); err != nil {
			c.logInternal(err)
		}
	}
}

// message finds the message ref names. c.mu is held.
func (c *Console) message(ref string) (*message, error) {
	m, ok := c.refs[ref]
	if !ok {
		return nil, fmt.Errorf("there is no message %s: use a reference printed before a message (s… on Slack, d… on Discord)", ref)
	}
	if m.deleted {
		return nil, fmt.Errorf("%s was deleted", ref)
	}
	return m, nil
}

// actor finds the message ref names and the person acting on it, who must
// be able to see it. c.mu is held.
func (c *Console) actor(ref, name string) (*message, bot.User, error) {
	m, err := c.message(ref)
	if err != nil {
		return nil, bot.User{}, err
	}
	u, err := c.dir.user(m.platform, name, m.place)
	if err != nil {
		return nil, bot.User{}, err
	}
	if m.to != "" && m.to != u.Name {
		return nil, bot.User{}, fmt.Errorf("only %s sees %s", m.to, m.ref)
	}
	return m, u, nil
}

// deliver hands an event to the handler; an error is shown to the person
// who caused it.
func (c *Console) deliver(ctx context.Context, ev bot.Event, place bot.Place, label, person string) {
	if err := c.handler.HandleEvent(ctx, ev); err != nil {
		c.showError(place, label, person, err)
	}
}

// answer shows a handler's reply to user: a form, a message to them only,
// or (Public) a message in the channel.
func (c *Console) answer(place bot.Place, label string, user bot.User, r *bot.Reply, err error) {
	if err != nil {
		c.showError(place, label, user.Name, err)
		return
	}
	if r == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Modal != nil {
		c.forms[user.Name] = &form{modal: r.Modal, place: place, label: label, user: user}
		c.emit(entry{platform: place.Platform, channel: label, to: user.Name, author: liaison, lines: modalLines(r.Modal, user.Name)})
		return
	}
	e := entry{platform: place.Platform, channel: label, author: liaison, lines: split(r.Text), buttons: r.Buttons}
	if r.Public {
		e.pings = c.replyPings(place.Platform, r)
	} else {
		e.to = user.Name
	}
	if r.Public || len(r.Buttons) > 0 {
		m := c.newMessage(place, label)
		m.author, m.text, m.buttons, m.to = liaisonUser(place.Platform), r.Text, r.Buttons, e.to
		e.ref = m.ref
	}
	c.emit(e)
}

// showError shows err's user-facing message to person only; the cause of an
// internal error goes to the log.
func (c *Console) showError(place bot.Place, label, person string, err error) {
	c.logInternal(err)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.emit(entry{platform: place.Platform, channel: label, to: person, author: liaison, lines: split(bot.ErrorMessage(err))})
}

func (c *Console) logInternal(err error) {
	if bot.ErrorCode(err) == bot.EInternal {
		c.logger.Error("console: Liaison failed", "err", err)
	}
}

// newMessage records a new message in place and gives it a reference and a
// platform id. c.mu is held.
func (c *Console) newMessage(place bot.Place, label string) *message {
	c.counters[place.Platform]++
	m := &message{
		ref:      fmt.Sprintf("%c%d", place.Platform[0], c.counters[place.Platform]),
		platform: place.Platform,
		channel:  place.ChannelID,
		label:    label,
		place:    place,
		id:       c.ids.next(place.Platform, c.clock.Now()),
	}
	c.refs[m.ref] = m
	c.byID[m.platform+" "+m.id] = m
	return m
}

// delivery stamps an event with the time and its identities. c.mu is held.
func (c *Console) delivery(keys ...bot.InboundKey) bot.Delivery {
	return bot.Delivery{Keys: keys, At: c.clock.Now()}
}

// slackEvent is the delivery of a Slack Events API event: a fresh event id,
// then the event's own identities. c.mu is held.
func (c *Console) slackEvent(keys ...bot.InboundKey) bot.Delivery {
	id := "Ev" + strings.ReplaceAll(c.ids.slackTS(c.clock.Now()), ".", "")
	return c.delivery(append([]bot.InboundKey{{Kind: "slack_event", Key: SlackTeam + ":" + id}}, keys...)...)
}

// interaction is the delivery of a slash command (command), or of a click or
// a form (not command), identified by a fresh trigger id on Slack and a fresh
// interaction id on Discord. c.mu is held.
func (c *Console) interaction(platform string, command bool) bot.Delivery {
	if platform == bot.PlatformDiscord {
		return c.delivery(bot.InboundKey{Kind: "discord_interaction", Key: c.ids.snowflake(c.clock.Now())})
	}
	kind := "slack_interaction"
	if command {
		kind = "slack_command"
	}
	return c.delivery(bot.InboundKey{Kind: kind, Key: c.ids.slackTS(c.clock.Now()) + ".trigger"})
}

func liaisonUser(platform string) bot.User {
	return bot.User{Platform: platform, ID: liaison, Name: liaison, Bot: true}
}

// emit prints e. c.mu is held.
func (c *Console) emit(e entry) {
	if e.platform == bot.PlatformDiscord {
		for i, l := range e.lines {
			e.lines[i] = c.discordTimes(l)
		}
	}
	fmt.Fprintln(c.out, e.String())
}

// discordTimestamp is Discord's timestamp markup, <t:UNIX:STYLE>.
var discordTimestamp = regexp.MustCompile(`<t:(-?[0-9]{1,13})(?::([tTdDfFR]))?>`)

// discordTimes shows Discord's timestamps as a Discord client does, in
// the world's timezone: relative ones ("in 1h", "2d ago") from the
// console's clock, the others as a date and time.
func (c *Console) discordTimes(s string) string {
	return discordTimestamp.ReplaceAllStringFunc(s, func(m string) string {
		sub := discordTimestamp.FindStringSubmatch(m)
		sec, _ := strconv.ParseInt(sub[1], 10, 64)
		t := time.Unix(sec, 0)
		if sub[2] != "R" {
			return t.In(c.cfg.Location).Format("Mon 2 Jan 15:04 MST")
		}
		d := t.Sub(c.clock.Now()).Round(time.Second)
		// As a client does, roughly: whole days past two days, whole hours
		// past two hours, whole minutes past two minutes.
		for _, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
			if d >= 2*unit || d <= -2*unit {
				d = d.Round(unit)
				break
			}
		}
		switch {
		case d > 0:
			return "in " + bot.FormatDuration(d)
		case d < 0:
			return bot.FormatDuration(-d) + " ago"
		}
		return "now"
	})
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

// Banner describes the console's world in a few lines, for a terminal.
func (c *Console) Banner() string {
	var b strings.Builder
	b.WriteString("Liaison console: a Slack workspace and a Discord server in one terminal.\n")
	for _, p := range []string{bot.PlatformSlack, bot.PlatformDiscord} {
		chans, people := "(none)", "(none)"
		if names := slices.Sorted(maps.Keys(c.dir.channels[p])); len(names) > 0 {
			chans = "#" + strings.Join(names, " #")
		}
		if names := slices.Sorted(maps.Keys(c.dir.people[p])); len(names) > 0 {
			people = strings.Join(names, ", ")
		}
		fmt.Fprintf(&b, "  %-8s channels: %s\n", platformName(p), chans)
		fmt.Fprintf(&b, "  %-8s people:   %s\n", "", people)
	}
	fmt.Fprintf(&b, "It is %s (%s). Type help for the syntax, quit to leave.\n",
		c.clock.Now().In(c.cfg.Location).Format("Mon 2 Jan 2006 15:04"), c.cfg.Timezone)
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return s != ""
}

// emojiShown is how a reaction prints: the emoji for a known shortcode,
// :name: for another.
func emojiShown(e string) string {
	if !isASCII(e) {
		return e
	}
	if u := bot.EmojiForShortcode(e); u != "" {
		return u
	}
	return ":" + strings.Trim(e, ":") + ":"
}

// Message returns a Discord message of the console's world as the Discord
// adapter would read it back from the API; handlers use it to read the text
// of a flagged message.
func (c *Console) Message(_ context.Context, channelID, messageID string) (*bot.Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.byID[bot.PlatformDiscord+" "+messageID]
	if !ok || m.channel != channelID || m.deleted {
		return nil, bot.Errorf(bot.ENotFound, "Unknown Message")
	}
	return m.botMessage(), nil
}
