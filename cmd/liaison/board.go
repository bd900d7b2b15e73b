package main

import (
	"context"
	"errors"
	"time"

	"github.com/liaison-bot/liaison/bot"
)

// checkBoard says in the log, at start, when feedback.board is not a forum
// channel Liaison can see: config check cannot know (the file does not say
// which channels are forums), and until it is fixed each board post fails
// with the same words in liaison status.
func (a *App) checkBoard(ctx context.Context) {
	b := a.Config.Feedback.Board
	if b.ID == "" || a.Discord == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := a.Discord.CheckForum(ctx, b.ID)
	if err == nil || ctx.Err() != nil {
		return
	}
	msg := err.Error()
	if e := (*bot.Error)(nil); errors.As(err, &e) {
		msg = e.Message
	}
	a.Logger.Error("feedback.board: "+msg, "board", b.String(), "channel", b.ID)
}
