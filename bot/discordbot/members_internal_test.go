package discordbot

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

func testMember(id string, roles ...string) *discordgo.Member {
	return &discordgo.Member{User: &discordgo.User{ID: id, Username: "u" + id}, Roles: roles}
}

// The member cache forgets a member after its time to live, drops the least
// recently used past its size, and does not keep a read that an event for
// the same member overtook.
func TestTheMemberCacheAgesEvictsAndSkipsOvertakenReads(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	c := newMemberCache(2, time.Minute, func() time.Time { return now })
	read := func(m *discordgo.Member) func() (*discordgo.Member, error) {
		return func() (*discordgo.Member, error) { return m, nil }
	}

	if _, err := c.fetch("g", "1", read(testMember("1"))); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.get("g", "1"); !ok {
		t.Fatal("a member just read is not kept")
	}
	now = now.Add(time.Minute - time.Second)
	if _, ok := c.get("g", "1"); !ok {
		t.Error("a member read 59 s ago is not kept")
	}
	now = now.Add(time.Second)
	if _, ok := c.get("g", "1"); ok {
		t.Error("a member read a minute ago is still trusted")
	}

	// Size 2: reading a third drops the least recently used.
	c.fetch("g", "1", read(testMember("1")))
	c.fetch("g", "2", read(testMember("2")))
	c.get("g", "1") // 2 is now the least recently used
	c.fetch("g", "3", read(testMember("3")))
	if _, ok := c.get("g", "2"); ok {
		t.Error("the least recently used member was kept past the size")
	}
	for _, id := range []string{"1", "3"} {
		if _, ok := c.get("g", id); !ok {
			t.Errorf("member %s was dropped", id)
		}
	}
	if n := c.len(); n != 2 {
		t.Errorf("%d members kept, want 2", n)
	}

	// An update for a member being read: the read is returned, and the
	// update's member, newer, kept.
	m, err := c.fetch("g", "4", func() (*discordgo.Member, error) {
		c.update("g", testMember("4", "moderators"))
		return testMember("4"), nil
	})
	if err != nil || m == nil {
		t.Fatalf("fetch: %v, %v", m, err)
	}
	if got, ok := c.get("g", "4"); !ok || len(got.Roles) != 1 {
		t.Errorf("after a read overtaken by an update, member 4 = %+v, %v; want the update's", got, ok)
	}
	// A member that left while being read: the read is returned, not kept.
	c.fetch("g", "7", func() (*discordgo.Member, error) { c.forget("g", "7"); return testMember("7"), nil })
	if _, ok := c.get("g", "7"); ok {
		t.Error("a read overtaken by a removal was kept")
	}
	// An update for a member not kept does not add it; one kept is replaced.
	c.update("g", testMember("5", "moderators"))
	if _, ok := c.get("g", "5"); ok {
		t.Error("an update added a member nobody read")
	}
	c.update("g", testMember("3", "moderators"))
	if got, ok := c.get("g", "3"); !ok || len(got.Roles) != 1 {
		t.Errorf("member 3 after its update: %+v, %v", got, ok)
	}
	// A reset overtakes the reads under way too.
	c.fetch("g", "6", func() (*discordgo.Member, error) { c.reset(); return testMember("6"), nil })
	if n := c.len(); n != 0 {
		t.Errorf("%d members kept after a reset", n)
	}
}
