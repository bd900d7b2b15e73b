package discordbot_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-bot/liaison/bot"
	"github.com/liaison-bot/liaison/bot/discordbot"
	"github.com/liaison-bot/liaison/bot/discordbot/discordfake"
)

// The guilds of BenchmarkGuildMemory: each has 10 channels and 20 members,
// as in the throughput issue, and a few roles.
const (
	memChannels = 10
	memMembers  = 20
	memRoles    = 4
	// memChildEnv names the fake's API URL and the number of guilds when the
	// test binary runs as the benchmark's child: "URL GUILDS".
	memChildEnv = "LIAISON_GUILD_MEMORY_CHILD"
	// memProfileEnv, when set in the benchmark's environment, makes each
	// child write its heap profile to this path plus ".<guilds>".
	memProfileEnv = "LIAISON_GUILD_MEMORY_PROFILE"
)

// memGuildID is the id of the benchmark's guild i.
func memGuildID(i int) string { return strconv.Itoa(900000000000100000 + i) }

// BenchmarkGuildMemory measures what one more Discord guild costs a running
// adapter: the slope of the live heap (after GC) between 100 and 2,500
// guilds of 10 channels and 20 members, each guild announced by
// GUILD_CREATE through discordfake's gateway to the real discordgo client,
// its member list asked for and delivered (RequestMembers), as `liaison
// run` does with server logs. Each adapter runs in a child process (this
// test binary again) so that the fake's own memory is not counted.
//
//	go test -run '^$' -bench GuildMemory -benchtime 1x ./bot/discordbot
//
// Reports B/guild (the slope) and the heap at both sizes.
func BenchmarkGuildMemory(b *testing.B) {
	const small, large = 100, 2500
	var slope, heapSmall, heapLarge float64
	for range b.N {
		hs := childHeap(b, small)
		hl := childHeap(b, large)
		heapSmall += float64(hs) / float64(b.N)
		heapLarge += float64(hl) / float64(b.N)
		slope += float64(hl-hs) / float64(large-small) / float64(b.N)
	}
	b.ReportMetric(slope, "B/guild")
	b.ReportMetric(heapSmall/1024, "KiB@100")
	b.ReportMetric(heapLarge/1024, "KiB@2500")
	b.ReportMetric(0, "ns/op")
}

// childHeap seeds a fake with n guilds and reports the live heap of a
// child process running an adapter connected to it once every guild's
// member count and member list has been delivered.
func childHeap(b *testing.B, n int) uint64 {
	b.Helper()
	fake := discordfake.New()
	defer fake.Close()
	fake.SetBotUser(botID, "liaison")
	user := 400000000000000000
	for i := range n {
		g := memGuildID(i)
		fake.AddGuild(g, fmt.Sprintf("Community %d", i), strconv.Itoa(user))
		roles := make([]string, memRoles)
		for r := range memRoles {
			roles[r] = strconv.Itoa(500000000000000000 + i*memRoles + r)
			fake.AddRole(g, discordfake.Role{ID: roles[r], Name: fmt.Sprintf("role-%d", r), Position: r + 1, Permissions: 1 << 10})
		}
		for c := range memChannels {
			fake.AddChannel(g, discordfake.Channel{
				ID: strconv.Itoa(600000000000000000 + i*memChannels + c), Name: fmt.Sprintf("channel-%d", c),
				Topic: "what this channel is for", Position: c,
				PermissionOverwrites: []discordfake.Overwrite{{ID: roles[0], Allow: 1 << 11}},
			})
		}
		fake.AddMember(g, discordfake.Member{UserID: botID, Username: "liaison", Bot: true})
		for m := range memMembers - 1 {
			user++
			fake.AddMember(g, discordfake.Member{UserID: strconv.Itoa(user), Username: fmt.Sprintf("member%d", user), Roles: roles[:m%3]})
		}
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestGuildMemoryChild$", "-test.bench=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d", memChildEnv, fake.APIURL(), n))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var heap uint64
	found := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "guild-memory heap "); ok {
			heap, err = strconv.ParseUint(v, 10, 64)
			found = err == nil
		} else {
			fmt.Fprintln(os.Stderr, sc.Text()) // the child's test output
		}
	}
	if err := cmd.Wait(); err != nil || !found {
		b.Fatalf("the child with %d guilds: %v (heap reported: %t)", n, err, found)
	}
	return heap
}

// TestGuildMemoryChild is BenchmarkGuildMemory's child process: it runs an
// adapter against the fake its environment names, waits until every guild
// has been announced and its members delivered, and prints the live heap.
// Run on its own, it has nothing to do.
func TestGuildMemoryChild(t *testing.T) {
	spec := os.Getenv(memChildEnv)
	if spec == "" {
		t.Skip("BenchmarkGuildMemory's child process")
	}
	api, ns, _ := strings.Cut(spec, " ")
	n, err := strconv.Atoi(ns)
	if err != nil {
		t.Fatalf("%s=%q: %v", memChildEnv, spec, err)
	}
	guilds := make([]string, n)
	for i := range guilds {
		guilds[i] = memGuildID(i)
	}
	h := &countingHandler{done: make(chan struct{}), want: int64(n)}
	a, err := discordbot.New(discordbot.Options{
		Token: "test-token", AppID: botID, APIURL: api, Guilds: guilds, Handler: h, RequestMembers: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case <-h.done:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Minute):
		t.Fatalf("after 5 minutes, %d of %d member counts and %d member lists delivered", h.counts.Load(), n, h.chunks.Load())
	}
	// The least of a few readings a moment apart: what is kept, not the
	// work (heartbeats, the last tasks) that happens to be in flight.
	var least uint64
	for i := range 5 {
		time.Sleep(200 * time.Millisecond)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if i == 0 || ms.HeapAlloc < least {
			least = ms.HeapAlloc
		}
	}
	fmt.Printf("guild-memory heap %d\n", least)
	if p := os.Getenv(memProfileEnv); p != "" {
		f, err := os.Create(fmt.Sprintf("%s.%d", p, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	runtime.KeepAlive(a)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// countingHandler counts the member counts and member lists delivered and
// closes done when both reached want.
type countingHandler struct {
	counts, chunks atomic.Int64
	want           int64
	done           chan struct{}
	closed         atomic.Bool
}

func (h *countingHandler) HandleEvent(_ context.Context, ev bot.Event) error {
	switch ev.(type) {
	case *bot.GuildCount:
		h.counts.Add(1)
	case *bot.MembersChunk:
		h.chunks.Add(1)
	}
	if h.counts.Load() >= h.want && h.chunks.Load() >= h.want && h.closed.CompareAndSwap(false, true) {
		close(h.done)
	}
	return nil
}

func (h *countingHandler) HandleCommand(context.Context, *bot.Command) (*bot.Reply, error) {
	return &bot.Reply{Text: "ok"}, nil
}

func (h *countingHandler) HandleAction(context.Context, *bot.Action) (*bot.Reply, error) {
	return &bot.Reply{Text: "ok"}, nil
}

func (h *countingHandler) HandleSubmission(context.Context, *bot.Submission) (*bot.Reply, error) {
	return &bot.Reply{Text: "ok"}, nil
}
