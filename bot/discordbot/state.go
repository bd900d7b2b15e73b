package discordbot

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// keepState keeps the session's state (discordgo.State) to what Liaison
// reads from it: each configured server's name, owner and roles, and its
// channels and active threads, as slim copies of what the gateway sent. discordgo's own
// state tracking is off (Session.StateEnabled): it would keep every
// GUILD_CREATE whole, with the members, their users, emojis, stickers,
// voice states and every channel's every field, which made most of a
// server's cost in memory. Members are read on demand (GuildMember, through
// the REST API); their facts live in the store.
//
// It is an interface{} handler, so it runs on the gateway reader before the
// adapter's own handlers see the same event.
func (a *Adapter) keepState(s *discordgo.Session, ev any) {
	defer a.recoverPanic("gateway state")
	st := s.State
	var err error
	switch e := ev.(type) {
	case *discordgo.Ready:
		// The servers, unavailable until their GUILD_CREATE: known from
		// the start, so that a catch-up running before then can place
		// the threads it reads.
		for _, g := range e.Guilds {
			if g != nil && a.inGuild(g.ID) {
				err = st.GuildAdd(slimGuild(g))
			}
		}
	case *discordgo.GuildCreate:
		// A server Liaison is in but not configured for is not kept:
		// its events are ignored, and a reader asks the REST API.
		if e.Guild != nil && a.inGuild(e.ID) {
			err = st.GuildAdd(slimGuild(e.Guild))
		}
	case *discordgo.GuildUpdate:
		if e.Guild != nil && a.inGuild(e.ID) {
			err = st.GuildAdd(slimGuild(e.Guild))
		}
	case *discordgo.GuildDelete:
		// An outage (unavailable) keeps what is known until the server
		// is back; leaving a server forgets it and its channels.
		if e.Guild != nil && !e.Unavailable {
			forgetGuild(st, e.ID)
		}
	case *discordgo.ChannelCreate:
		err = addChannel(st, e.Channel)
	case *discordgo.ChannelUpdate:
		err = addChannel(st, e.Channel)
	case *discordgo.ChannelDelete:
		if e.Channel != nil {
			err = st.ChannelRemove(e.Channel)
		}
	case *discordgo.ThreadCreate:
		err = addChannel(st, e.Channel)
	case *discordgo.ThreadUpdate:
		err = addChannel(st, e.Channel)
	case *discordgo.ThreadDelete:
		if e.Channel != nil {
			err = st.ChannelRemove(e.Channel)
		}
	case *discordgo.ThreadListSync:
		sync := &discordgo.ThreadListSync{GuildID: e.GuildID, ChannelIDs: e.ChannelIDs, Threads: make([]*discordgo.Channel, 0, len(e.Threads))}
		for _, t := range e.Threads {
			if t != nil {
				sync.Threads = append(sync.Threads, slimChannel(t))
			}
		}
		err = st.ThreadListSync(sync)
	case *discordgo.GuildRoleCreate:
		if e.GuildRole != nil && e.Role != nil {
			err = st.RoleAdd(e.GuildID, slimRole(e.Role))
		}
	case *discordgo.GuildRoleUpdate:
		if e.GuildRole != nil && e.Role != nil {
			err = st.RoleAdd(e.GuildID, slimRole(e.Role))
		}
	case *discordgo.GuildRoleDelete:
		err = st.RoleRemove(e.GuildID, e.RoleID)
	}
	if err != nil {
		// A channel or role of a server the state does not know (yet):
		// readers fall back on the REST API.
		a.log.Debug("discord: keeping the gateway state", "event", fmt.Sprintf("%T", ev), "err", err)
	}
}

// stateChannel returns a copy of what the state holds of a channel or
// thread. The gateway's reader replaces a channel the state holds in place
// (discordgo's ChannelAdd), under the state's lock, so it is read under it.
func stateChannel(st *discordgo.State, id string) (discordgo.Channel, bool) {
	c, err := st.Channel(id)
	if err != nil {
		return discordgo.Channel{}, false
	}
	st.RLock()
	defer st.RUnlock()
	return *c, true
}

// addChannel adds or replaces a channel or thread in the state, slim.
func addChannel(st *discordgo.State, c *discordgo.Channel) error {
	if c == nil {
		return nil
	}
	return st.ChannelAdd(slimChannel(c))
}

// forgetGuild removes a server and its channels from the state.
func forgetGuild(st *discordgo.State, id string) {
	g, err := st.Guild(id)
	if err != nil {
		return
	}
	st.RLock()
	chans := append(append([]*discordgo.Channel(nil), g.Channels...), g.Threads...)
	st.RUnlock()
	for _, c := range chans {
		_ = st.ChannelRemove(c)
	}
	_ = st.GuildRemove(g)
}

// slimGuild copies what Liaison reads of a server: id, name, owner,
// member count, roles, channels and threads. A list g does not carry
// (GUILD_UPDATE has no channels) stays nil, so that the state keeps the one
// it has.
func slimGuild(g *discordgo.Guild) *discordgo.Guild {
	out := &discordgo.Guild{ID: g.ID, Name: g.Name, OwnerID: g.OwnerID, MemberCount: g.MemberCount, Unavailable: g.Unavailable}
	if g.Roles != nil {
		out.Roles = make([]*discordgo.Role, 0, len(g.Roles))
		for _, r := range g.Roles {
			if r != nil {
				out.Roles = append(out.Roles, slimRole(r))
			}
		}
	}
	if g.Channels != nil {
		out.Channels = slimChannels(g.Channels)
	}
	if g.Threads != nil {
		out.Threads = slimChannels(g.Threads)
	}
	return out
}

func slimChannels(cs []*discordgo.Channel) []*discordgo.Channel {
	out := make([]*discordgo.Channel, 0, len(cs))
	for _, c := range cs {
		if c != nil {
			out = append(out, slimChannel(c))
		}
	}
	return out
}

// slimChannel copies what Liaison reads of a channel or thread: where it
// is (server, parent), its name, type and slowmode, and a thread's
// archived and locked state.
func slimChannel(c *discordgo.Channel) *discordgo.Channel {
	out := &discordgo.Channel{ID: c.ID, GuildID: c.GuildID, Name: c.Name, Type: c.Type, ParentID: c.ParentID, RateLimitPerUser: c.RateLimitPerUser}
	if md := c.ThreadMetadata; md != nil {
		out.ThreadMetadata = &discordgo.ThreadMetadata{Archived: md.Archived, Locked: md.Locked, ArchiveTimestamp: md.ArchiveTimestamp}
	}
	return out
}

// slimRole copies what Liaison reads of a role: its name and where it
// stands (position, permissions, managed by an integration).
func slimRole(r *discordgo.Role) *discordgo.Role {
	return &discordgo.Role{ID: r.ID, Name: r.Name, Position: r.Position, Permissions: r.Permissions, Managed: r.Managed}
}
