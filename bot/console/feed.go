package console

import (
	"context"
	"errors"
	"fmt"

	"github.com/liaison-bot/liaison/bot/watch"
)

// webPlatform is the transcript's name for the open web: a fed item prints
// as [web hn] w1 jdoe: TITLE <URL>.
const webPlatform = "web"

// feed hands one item to the watch as if its source had fetched it, after
// printing it.
func (c *Console) feed(ctx context.Context, in *Input) error {
	if c.watch == nil || !c.cfg.Watch.Enabled {
		return errors.New("the watch is not set up in this world: add a watch: section with a query to the configuration")
	}
	c.mu.Lock()
	c.counters[webPlatform]++
	ref := fmt.Sprintf("w%d", c.counters[webPlatform])
	now := c.clock.Now()
	line := in.Title
	if line == "" {
		line = in.Text
	}
	c.emit(entry{platform: webPlatform, channel: in.Source, ref: ref, author: in.Person, lines: []string{line + " <" + in.URL + ">"}})
	c.mu.Unlock()
	item := watch.Item{Source: in.Source, ID: fmt.Sprintf("console:%d:%s", c.ids.run, ref), URL: in.URL, Author: in.Person,
		Title: in.Title, Text: in.Text, Published: now}
	if err := c.watch(ctx, []watch.Item{item}); err != nil {
		c.logInternal(err)
		return errors.New("the watch could not take the item in (see the log)")
	}
	return nil
}
