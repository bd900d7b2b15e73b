package discordbot

import (
	"strconv"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/liaison-bot/liaison/bot"
)

// Discord ids are snowflakes: 64-bit numbers, in decimal, whose high bits
// are the millisecond they were made. Ordering ids orders messages, and a
// time gives the smallest id made at or after it.

// discordEpoch is the first millisecond of 2015, where snowflakes count from.
const discordEpoch = bot.DiscordEpochMS

// snowflakeAt returns the smallest snowflake of the millisecond t.
func snowflakeAt(t time.Time) string {
	ms := max(t.UnixMilli()-discordEpoch, 0)
	return strconv.FormatInt(ms<<22, 10)
}

// snowflakeLess orders ids numerically. Ids as Discord writes them (no
// leading zero) are compared as text, shorter first: the catch-up cursor
// compares every message handled with those still queued.
func snowflakeLess(a, b string) bool {
	if !leadingZero(a) && !leadingZero(b) {
		return len(a) < len(b) || (len(a) == len(b) && a < b)
	}
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	if errA != nil || errB != nil {
		return len(a) < len(b) || (len(a) == len(b) && a < b)
	}
	return x < y
}

func leadingZero(id string) bool { return len(id) > 1 && id[0] == '0' }

// compareSnowflakes orders ids numerically, for slices.SortFunc: oldest
// first.
func compareSnowflakes(a, b string) int {
	switch {
	case snowflakeLess(a, b):
		return -1
	case snowflakeLess(b, a):
		return 1
	}
	return 0
}

// snowflakeBefore returns the id just before id.
func snowflakeBefore(id string) string {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return id
	}
	return strconv.FormatUint(n-1, 10)
}

// snowflakeTime returns the time encoded in a Discord id.
func snowflakeTime(id string) time.Time {
	t, err := discordgo.SnowflakeTimestamp(id)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
