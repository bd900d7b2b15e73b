package bot

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Giveaways: the draw anyone can check. The procedure is documented in the
// README ("Giveaways: checking a draw"); this file is its reference
// implementation, and `liaison giveaway verify` runs exactly this code.
//
//  1. At the start, a 32-byte secret seed is picked and its commitment,
//     sha256(seed), is published on the giveaway message.
//  2. At the end, the entrants are frozen as a text file: one line
//     "<user id> <tickets>\n" per entrant, sorted by user id as a number.
//     entrants_hash = sha256(file bytes).
//  3. A ChaCha8 stream (Go's math/rand/v2 ChaCha8, the C2SP chacha8rand
//     specification) is seeded with key = sha256(seed || entrants_hash),
//     the 32 seed bytes followed by the 32 hash bytes.
//  4. Positions are drawn one by one until no entrant is left: with T the
//     tickets of the entrants still in, take x = the generator's next
//     64-bit output (Uint64), rejecting x while x >= 2^64 - (2^64 mod T);
//     r = x mod T. Walk the remaining entrants in file order subtracting
//     their tickets from r; the first whose tickets exceed r is drawn and
//     leaves the list. The order drawn is the whole result: the first N are
//     the winners, the next ones the reserves, in order.

// Entrant is one person in a giveaway's frozen entrant list.
type Entrant struct {
	UserID  string // a Discord user id (a snowflake: digits)
	Tickets int    // 1, plus bonus tickets
}

// Giveaway limits.
const (
	MaxGiveawayWinners = 50
	MaxGiveawayTickets = 1000
)

// GiveawaySeedSize is the size of a giveaway seed in bytes.
const GiveawaySeedSize = 32

// Commitment returns sha256(seed): what the giveaway message publishes
// before the draw.
func Commitment(seed []byte) []byte {
	h := sha256.Sum256(seed)
	return h[:]
}

// compareUserIDs orders user ids as numbers: a shorter id (no leading
// zeros) is smaller; ids of one length compare as text.
func compareUserIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// SortEntrants sorts entrants by user id as a number, in place.
func SortEntrants(es []Entrant) {
	slices.SortFunc(es, func(a, b Entrant) int { return compareUserIDs(a.UserID, b.UserID) })
}

// EntrantsFile returns the frozen entrant list as the file the result
// attaches: one line "<user id> <tickets>\n" per entrant, sorted by user
// id as a number. es is not modified.
func EntrantsFile(es []Entrant) []byte {
	s := slices.Clone(es)
	SortEntrants(s)
	var b bytes.Buffer
	for _, e := range s {
		fmt.Fprintf(&b, "%s %d\n", e.UserID, e.Tickets)
	}
	return b.Bytes()
}

// ParseEntrantsFile reads an entrant list file, refusing anything
// EntrantsFile would not have written (so the hash of what is read is the
// hash of what was published).
func ParseEntrantsFile(data []byte) ([]Entrant, error) {
	var out []Entrant
	text := string(data)
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, Errorf(EInvalid, "the entrant list must end with a line break, as published")
	}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if text == "" {
			break
		}
		id, t, ok := strings.Cut(line, " ")
		if !ok || !isSnowflake(id) {
			return nil, Errorf(EInvalid, "line %d (%q) is not \"<user id> <tickets>\"", i+1, line)
		}
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 || strconv.Itoa(n) != t {
			return nil, Errorf(EInvalid, "line %d (%q): tickets must be a whole number of at least 1", i+1, line)
		}
		if len(out) > 0 && compareUserIDs(out[len(out)-1].UserID, id) >= 0 {
			return nil, Errorf(EInvalid, "line %d (%q): the list must be sorted by user id as a number, each once", i+1, line)
		}
		out = append(out, Entrant{UserID: id, Tickets: n})
	}
	return out, nil
}

func isSnowflake(s string) bool {
	return s != "" && len(s) <= 20 && strings.Trim(s, "0123456789") == "" && (s == "0" || s[0] != '0')
}

// EntrantsHash is sha256 of the entrant list file.
func EntrantsHash(file []byte) []byte {
	h := sha256.Sum256(file)
	return h[:]
}

// DrawKey is the ChaCha8 key of a draw: sha256(seed || entrants_hash).
func DrawKey(seed, entrantsHash []byte) [32]byte {
	return sha256.Sum256(append(slices.Clone(seed), entrantsHash...))
}

// DrawOrder draws the whole order of the entrants (winners first, then the
// reserves) from seed and the entrant list, as the procedure above says.
// es need not be sorted; the draw uses the list as the file has it.
func DrawOrder(seed []byte, es []Entrant) []Entrant {
	s := slices.Clone(es)
	SortEntrants(s)
	hash := EntrantsHash(EntrantsFile(s))
	return drawFrom(DrawKey(seed, hash), s)
}

// drawFrom draws every entrant of s (in file order) with the stream keyed
// by key. A Fenwick tree finds the entrant the linear walk of the
// procedure would find, in log time.
func drawFrom(key [32]byte, s []Entrant) []Entrant {
	rng := rand.NewChaCha8(key)
	n := len(s)
	tree := make([]uint64, n+1)
	var total uint64
	for i, e := range s {
		total += uint64(e.Tickets)
		for j := i + 1; j <= n; j += j & -j {
			tree[j] += uint64(e.Tickets)
		}
	}
	top := 1
	for top*2 <= n {
		top *= 2
	}
	out := make([]Entrant, 0, n)
	for range n {
		r := uniform(rng, total)
		// The first index whose prefix sum exceeds r.
		pos := 0
		for step := top; step > 0; step /= 2 {
			if next := pos + step; next <= n && tree[next] <= r {
				pos = next
				r -= tree[next]
			}
		}
		e := s[pos] // pos is 0-based index of the drawn entrant
		out = append(out, e)
		total -= uint64(e.Tickets)
		for j := pos + 1; j <= n; j += j & -j {
			tree[j] -= uint64(e.Tickets)
		}
	}
	return out
}

// uniform returns a uniform number in [0, n) from the stream: the next
// Uint64, rejected while it falls in the incomplete last block of 2^64.
func uniform(rng *rand.ChaCha8, n uint64) uint64 {
	// 2^64 mod n, computed without overflow.
	rem := (-n) % n
	for {
		x := rng.Uint64()
		if x <= ^uint64(0)-rem { // x < 2^64 - rem
			return x % n
		}
	}
}

// Hex is lowercase hex, how seeds and hashes are shown everywhere.
func Hex(b []byte) string { return hex.EncodeToString(b) }

// ParseHex32 reads 32 bytes written as 64 hex digits (either case).
func ParseHex32(s, what string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != 32 {
		return nil, Errorf(EInvalid, "the %s must be 64 hex digits (32 bytes), as published", what)
	}
	return b, nil
}

// DrawCheck is a draw recomputed from its published inputs.
type DrawCheck struct {
	Entrants     []Entrant
	Tickets      int
	EntrantsHash []byte
	Order        []Entrant
}

// CheckDraw recomputes a draw from the entrant list file and the seed, and
// checks the seed against commitment when one is given (nil: not checked).
func CheckDraw(file, seed, commitment []byte) (*DrawCheck, error) {
	if len(seed) != GiveawaySeedSize {
		return nil, Errorf(EInvalid, "the seed must be 32 bytes (64 hex digits)")
	}
	if commitment != nil && !bytes.Equal(Commitment(seed), commitment) {
		return nil, Errorf(EInvalid, "the commitment does not match: sha256(seed) is %s, not %s. This seed is not the one committed to.", Hex(Commitment(seed)), Hex(commitment))
	}
	es, err := ParseEntrantsFile(file)
	if err != nil {
		return nil, err
	}
	c := &DrawCheck{Entrants: es, EntrantsHash: EntrantsHash(file)}
	for _, e := range es {
		c.Tickets += e.Tickets
	}
	c.Order = drawFrom(DrawKey(seed, c.EntrantsHash), es)
	return c, nil
}

// SnowflakeTime returns when a Discord id was made (an account's creation
// for a user id), in Unix milliseconds; ok is false for what is not an id.
func SnowflakeTime(id string) (ms int64, ok bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0, false
	}
	return int64(n>>22) + DiscordEpochMS, true
}

// DiscordEpochMS is the first millisecond of 2015, where Discord's ids
// begin, in Unix milliseconds.
const DiscordEpochMS = 1420070400000

// Giveaway states.
const (
	GiveawayOpen      = "open"      // taking entries until EndsAt
	GiveawayDrawn     = "drawn"     // the draw is committed; entries are frozen
	GiveawayCancelled = "cancelled" // ended without a draw
)

// Giveaway is a community giveaway: a prize, who may enter, and the draw
// that ends it.
type Giveaway struct {
	ID            int64
	GuildID       string
	ChannelID     string
	Prize         string
	Description   string
	Winners       int
	RequiresRole  string        // a role id entrants must hold, "" for none
	RequiresName  string        // its name when the giveaway started
	MinAccountAge time.Duration // how old an entrant's Discord account must be
	MinMemberFor  time.Duration // how long an entrant must have been on the server
	BonusRole     string        // a role id whose holders get BonusTickets tickets
	BonusName     string        // its name when the giveaway started
	BonusTickets  int
	HostID        string // the Discord id of who started it
	HostName      string
	Source        string // SourceDiscord or SourceSlack
	State         string
	CancelReason  string
	Seed          string // 32 bytes, lowercase hex: secret until the draw
	Commitment    string // sha256(seed), lowercase hex
	EntrantsHash  string // set by the draw
	MessageKey    string // the outbox key of the giveaway message
	MessageID     string // its Discord id once sent, "" before
	EndsAt        time.Time
	DrawnAt       time.Time
	LateReason    string // why it was drawn after EndsAt, when it was
	CreatedAt     time.Time
	Entries       int // how many people entered (reads fill it)
}

// GiveawayPick is one place in a drawn giveaway's order.
type GiveawayPick struct {
	Position    int // 1 is the first drawn
	UserID      string
	UserName    string
	Tickets     int
	WonRound    int // the round that made them a winner; -1 while a reserve
	ClaimedAt   time.Time
	ForfeitedAt time.Time // a reroll replaced them
}

// Winner reports whether the pick is a winner who has not been replaced.
func (p GiveawayPick) Winner() bool { return p.WonRound >= 0 && p.ForfeitedAt.IsZero() }

// GiveawayRound is the draw (round 0) or a reroll: who made it, why, and
// until when its winners may claim.
type GiveawayRound struct {
	GiveawayID      int64
	Round           int
	Reason          string
	Actor           string
	AnnouncementKey string
	ClaimUntil      time.Time
	UnclaimedAt     time.Time
	CreatedAt       time.Time
	// Waits is the hash of the announcement text (a notice template) the
	// round's announcement waits for the approval of; "" once it is sent
	// (in the outbox).
	Waits string
}
