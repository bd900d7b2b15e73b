package config_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/liaison-bot/liaison/bot/config"
	"github.com/liaison-bot/liaison/examples"
)

func TestTheConsoleDemoConfigLoads(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("examples/console.yaml", examples.ConsoleYAML)
	if err != nil {
		t.Fatalf("Parse(examples/console.yaml): %v", err)
	}
	var names []string
	for _, m := range c.Console.Members {
		names = append(names, m.Name)
	}
	if diff := cmp.Diff([]string{"alice", "mallory", "eve", "bob", "carol", "dave"}, names); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	dave, ok := c.Console.Member("dave")
	want := config.Member{Name: "dave", Discord: "1300000000000000004", Slack: "U01DAVE", Roles: []string{"staff", "moderators"}}
	if diff := cmp.Diff(want, dave); !ok || diff != "" {
		t.Errorf("Member(dave) (-want +got):\n%s", diff)
	}
	if _, ok := c.Console.Member("zoe"); ok {
		t.Errorf("Member(zoe) found someone who is not declared")
	}
	if diff := cmp.Diff([]string{"ideas", "ideas-board"}, c.Console.Forums); diff != "" {
		t.Errorf("forums (-want +got):\n%s", diff)
	}
	if b := c.Feedback.Board; b.Name != "ideas-board" || c.Feedback.BoardMinVotes != 3 {
		t.Errorf("the demo's board = %+v (from %d votes), want the #ideas-board forum from 3", b, c.Feedback.BoardMinVotes)
	}
	for _, ch := range []string{"discord:general", "discord:feedback", "discord:ideas", "discord:announcements", "discord:mod-log", "product", "marketing", "approvals", "community", "mod-log"} {
		if _, err := c.ResolveChannel(ch); err != nil {
			t.Errorf("the demo config lacks %s: %v", ch, err)
		}
	}
}

func TestTheConsoleSectionIsOptional(t *testing.T) {
	t.Parallel()
	c, err := config.Load("../../liaison.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Console.Members) != 0 {
		t.Errorf("members = %v, want none", c.Console.Members)
	}
}

func TestTheConsoleSectionReportsWhereAndWhatIsWrong(t *testing.T) {
	t.Parallel()
	const world = `discord: {guild: "998877665544332211", roles: {staff: ["1200000000000000001"]}}`
	tests := []struct {
		name string
		yaml []byte
		want []want
	}{
		{
			name: "a forum that is not a declared channel lists the declared ones",
			yaml: lines(`discord: {guild: "998877665544332211", channels: {general: "1100000000000000002", ideas: "1100000000000000005"}}`, "console:", "  forums: [idea]"),
			want: []want{{3, 12, "console.forums[0]", `no Discord channel named "idea": declared are general, ideas (a forum is one of them)`}},
		},
		{
			name: "a role that is not declared lists the declared ones",
			yaml: lines(world, "console:", "  members:", `    - {name: alice, discord: "1300000000000000101", roles: [staf]}`),
			want: []want{{4, 61, "console.members[0].roles[0]", `no Discord role named "staf": declared are staff`}},
		},
		{
			name: "a name used twice is refused",
			yaml: lines(world, "console:", "  members:", `    - {name: alice, discord: "1300000000000000101"}`, `    - {name: alice, discord: "1300000000000000102"}`),
			want: []want{{5, 7, "console.members[1].name", `"alice" is already console.members[0]`}},
		},
		{
			name: "a Discord id used twice is refused",
			yaml: lines(world, "console:", "  members:", `    - {name: alice, discord: "1300000000000000101"}`, `    - {name: eve, discord: "1300000000000000101"}`),
			want: []want{{5, 7, "console.members[1].discord", "already the Discord account of console.members[0]"}},
		},
		{
			name: "a member without a Discord id says what is missing",
			yaml: lines(world, "console:", "  members:", `    - {name: alice}`),
			want: []want{{4, 7, "console.members[0].discord", "missing: their Discord user id"}},
		},
		{
			name: "an unquoted Discord id asks for quotes",
			yaml: lines(world, "console:", "  members:", `    - {name: alice, discord: 1300000000000000101}`),
			want: []want{{4, 30, "console.members[0].discord", "quote Discord ids"}},
		},
		{
			name: "an unknown key lists the keys a member takes",
			yaml: lines(world, "console:", "  members:", `    - {name: alice, discord: "1300000000000000101", role: staff}`),
			want: []want{{4, 53, "console.members[0].role", "expected one of name, discord, slack, roles"}},
		},
		{
			name: "a member disagreeing with people: about an id is refused",
			yaml: lines(world, "people: [{name: bob, slack: U01BOB, discord: \"1300000000000000002\"}]", "console:", "  members:", `    - {name: bob, discord: "1300000000000000009"}`),
			want: []want{{5, 7, "console.members[0].discord", "1300000000000000002 is bob's Discord account under people:"}},
		},
		{
			name: "a member using a person's account under another name is refused",
			yaml: lines(world, "people: [{name: bob, slack: U01BOB}]", "console:", "  members:", `    - {name: robert, discord: "1300000000000000009", slack: U01BOB}`),
			want: []want{{5, 7, "console.members[0].slack", "U01BOB is the Slack account of bob under people:"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkErrors(t, tt.yaml, tt.want)
		})
	}
}
