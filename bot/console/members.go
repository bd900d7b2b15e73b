package console

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// Members of the console's Discord server: who may act there (a banned,
// kicked or departed member may not; a timed-out one may not post or react
// until the timeout ends, by the console's clock), and the join and leave
// lines, delivered as the Discord adapter delivers GUILD_MEMBER_ADD and
// _REMOVE (bot.MemberChange).

// mayAct says why user cannot do what (post, react…) on the console's
// Discord server, as Discord would stop them; nil when they can. A timeout
// stops only writing: posting, replying, reacting and running commands.
// c.mu is held.
func (c *Console) mayAct(user bot.User, what string, writes bool) error {
	c.mod.init()
	if a, gone := c.mod.gone[user.ID]; gone {
		switch a.why {
		case "banned":
			return fmt.Errorf("%s cannot %s: they are banned from the server%s; a moderator must unban them (/unban), then they can join again", user.Name, what, because(a.reason))
		case "kicked":
			return fmt.Errorf("%s cannot %s: they were kicked from the server%s; they must join again first (join %s)", user.Name, what, because(a.reason), user.Name)
		case "unbanned":
			return fmt.Errorf("%s cannot %s: they were banned, and unbanned since; they must join again first (join %s)", user.Name, what, user.Name)
		}
		return fmt.Errorf("%s cannot %s: they left the server; they must join again first (join %s)", user.Name, what, user.Name)
	}
	if until, ok := c.mod.timeouts[user.ID]; writes && ok && until.After(c.clock.Now()) {
		return fmt.Errorf("%s cannot %s: they are timed out until %s%s", user.Name, what, c.timeText(until), because(c.mod.timedOut[user.ID]))
	}
	return nil
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// discordName is what Discord accepts as a username: 2 to 32 lowercase
// letters, digits, _ and . (the console's names are usernames).
var discordName = regexp.MustCompile(`^[a-z0-9_.]{2,32}$`)

// join makes someone a member of the server: a member who left or was
// kicked comes back; a name new to the world becomes a new account, created
// in.Age ago (a year unless given). Discord dates an account by its id, so
// the newcomer's id is a snowflake of that time.
func (c *Console) join(ctx context.Context, in *Input) error {
	c.mu.Lock()
	guild, err := c.guild()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.mod.init()
	p, known := c.dir.people[bot.PlatformDiscord][in.Person]
	switch {
	case known && in.Age != 0:
		err = fmt.Errorf("%s's account already exists (created %s): age is for someone new to the world; write join %s", in.Person, c.accountAge(p.id), in.Person)
	case known:
		a, gone := c.mod.gone[p.id]
		switch {
		case !gone:
			err = fmt.Errorf("%s is already a member of the server", in.Person)
		case a.why == "banned":
			err = fmt.Errorf("%s cannot join: they are banned from the server%s; a moderator must unban them first (/unban)", in.Person, because(a.reason))
		default:
			delete(c.mod.gone, p.id)
		}
	default:
		p, err = c.newcomer(in.Person, in.Age)
	}
	if err != nil {
		c.mu.Unlock()
		return err
	}
	user, _ := c.dir.user(bot.PlatformDiscord, p.name, bot.Place{ScopeID: guild})
	c.mod.joined[user.ID] = c.clock.Now()
	c.memberChange(ctx, &bot.MemberChange{ScopeID: guild, User: user}, "joined (account created "+c.accountAge(p.id)+")")
	return nil
}

// leave makes a member leave the server.
func (c *Console) leave(ctx context.Context, in *Input) error {
	c.mu.Lock()
	guild, err := c.guild()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	user, err := c.dir.user(bot.PlatformDiscord, in.Person, bot.Place{ScopeID: guild})
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.mod.init()
	if _, gone := c.mod.gone[user.ID]; gone {
		c.mu.Unlock()
		return fmt.Errorf("%s is not a member of the server: nobody to leave", user.Name)
	}
	c.mod.gone[user.ID] = absence{why: "left"}
	user.Roles = nil // Discord's remove event carries none
	c.memberChange(ctx, &bot.MemberChange{ScopeID: guild, User: user, Left: true}, "left")
	return nil
}

// memberChange prints a join or a leave (what: "left") and delivers it as
// the adapter delivers GUILD_MEMBER_ADD and _REMOVE, keyed by the pretend
// gateway session's sequence. c.mu is held on entry and released.
func (c *Console) memberChange(ctx context.Context, ev *bot.MemberChange, what string) {
	op := "join"
	if ev.Left {
		op = "leave"
	}
	c.emit(entry{platform: bot.PlatformDiscord, channel: "server", author: ev.User.Name, action: what})
	c.seq++
	ev.Delivery = c.delivery(bot.InboundKey{Kind: "discord_member", Key: fmt.Sprintf("%s:%s:%s:console-%d:%d", ev.ScopeID, ev.User.ID, op, c.ids.run, c.seq)})
	c.mu.Unlock()
	c.deliver(ctx, ev, bot.Place{Platform: bot.PlatformDiscord, ScopeID: ev.ScopeID}, "server", ev.User.Name)
}

// guild is the console's Discord server: the first one configured. c.mu is
// held.
func (c *Console) guild() (string, error) {
	if len(c.cfg.Discord.Guilds) == 0 {
		return "", fmt.Errorf("the console's world has no Discord server: declare one under discord: in the configuration")
	}
	return c.cfg.Discord.Guilds[0].ID, nil
}

// newcomer adds a person new to the world, whose account was created age
// ago. c.mu is held.
func (c *Console) newcomer(name string, age time.Duration) (person, error) {
	if name == liaison || !discordName.MatchString(name) {
		return person{}, fmt.Errorf("%q cannot be a Discord username: use 2 to 32 lowercase letters, digits, _ or . (and not liaison)", name)
	}
	if age == 0 {
		age = defaultAge
	}
	created := c.clock.Now().Add(-age)
	if created.UnixMilli() < discordEpoch {
		return person{}, fmt.Errorf("no Discord account is older than Discord's ids (2015): %s is too old an age", formatAge(age))
	}
	var id string
	for {
		c.joined++
		id = strconv.FormatInt((created.UnixMilli()-discordEpoch)<<22|int64(c.ids.run%1024)<<12|int64(c.joined%4096), 10)
		if _, taken := c.dir.byUserID[bot.PlatformDiscord][id]; !taken {
			break
		}
	}
	p := person{name: name, id: id}
	c.dir.add(bot.PlatformDiscord, p)
	return p, nil
}

// accountAge says how long ago the account with this id was created,
// as Discord dates it: from the id. c.mu is held.
func (c *Console) accountAge(id string) string {
	return formatAge(c.clock.Now().Sub(snowflakeTime(id))) + " ago"
}

// formatAge writes an age: in years when it is at least one (1y, 11y),
// else as a duration (2d, 6w).
func formatAge(d time.Duration) string {
	if d >= defaultAge {
		return strconv.Itoa(int(d/defaultAge)) + "y"
	}
	return bot.FormatDuration(d.Truncate(time.Minute))
}
