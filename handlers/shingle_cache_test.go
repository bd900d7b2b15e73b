package handlers

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/liaison-bot/liaison/bot"
)

func TestTheShingleCacheFollowsEditsAndStaysBounded(t *testing.T) {
	var c shingleCache
	text := "the export button does nothing on Safari"
	if got, want := c.of(7, text), bot.ShinglesOf(text); !reflect.DeepEqual(got, want) {
		t.Fatalf("first: %v, want %v", got, want)
	}
	if got, want := c.of(7, text), bot.ShinglesOf(text); !reflect.DeepEqual(got, want) {
		t.Fatalf("cached: %v, want %v", got, want)
	}
	edited := "the import button does nothing on Firefox"
	if got, want := c.of(7, edited), bot.ShinglesOf(edited); !reflect.DeepEqual(got, want) {
		t.Errorf("after an edit: %v, want the new text's %v", got, want)
	}
	for i := range 3 * shingleCacheSize {
		c.of(int64(100+i), fmt.Sprint("item ", i))
	}
	if n := len(c.cur) + len(c.old); n > 2*shingleCacheSize {
		t.Errorf("%d items kept, want at most %d", n, 2*shingleCacheSize)
	}
	// The newest are still there, and right.
	last := 100 + 3*shingleCacheSize - 1
	if e, ok := c.cur[int64(last)]; !ok || e.text != fmt.Sprint("item ", 3*shingleCacheSize-1) {
		t.Errorf("the newest item is not kept: %v %q", ok, e.text)
	}
}
