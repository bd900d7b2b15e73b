package handlers

import (
	"sync"

	"github.com/liaison-bot/liaison/bot"
)

// shingleCache remembers the shingles of the items the Merge form
// compares an item with, by id, with the text they were made of: the same
// open items come back as candidates, and making their shingles again was
// most of the scoring's time (intake scores from the similarity index's
// own shingles). A changed text (an edit) is a miss. Bounded: two
// generations of at most shingleCacheSize items, the older dropped whole
// when the newer fills (what is still used is copied forward on its next
// hit).
type shingleCache struct {
	mu       sync.Mutex
	cur, old map[int64]cachedShingles
}

type cachedShingles struct {
	text string
	sh   bot.Shingles
}

const shingleCacheSize = 2048

// of returns the shingles of item id, whose text is text.
func (c *shingleCache) of(id int64, text string) bot.Shingles {
	c.mu.Lock()
	e, ok := c.cur[id]
	if !ok {
		if e, ok = c.old[id]; ok && e.text == text {
			c.putLocked(id, e)
		}
	}
	c.mu.Unlock()
	if ok && e.text == text {
		return e.sh
	}
	sh := bot.ShinglesOf(text)
	c.mu.Lock()
	c.putLocked(id, cachedShingles{text: text, sh: sh})
	c.mu.Unlock()
	return sh
}

func (c *shingleCache) putLocked(id int64, e cachedShingles) {
	if c.cur == nil || len(c.cur) >= shingleCacheSize {
		c.old, c.cur = c.cur, make(map[int64]cachedShingles, shingleCacheSize)
	}
	c.cur[id] = e
}
