package config_test

import (
	"testing"

	"github.com/liaison-bot/liaison/bot/config"
)

const boardYAML = `slack:
  channels: {product: C01PRODUCT}
discord:
  guild: "998877665544332211"
  channels: {feedback: "1100000000000000001", general: "1100000000000000002", ideas-board: "1100000000000000006"}
`

func TestTheBoardIsAForumChannelWithAVoteThreshold(t *testing.T) {
	t.Parallel()
	c, err := config.Parse("liaison.yaml", []byte(boardYAML+`feedback:
  channels: [feedback]
  default_to: product
  board: discord:ideas-board
  board_min_votes: 5
`))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Feedback.Board; b.ID != "1100000000000000006" || b.Name != "ideas-board" || b.GuildID != "998877665544332211" || c.Feedback.BoardMinVotes != 5 {
		t.Errorf("board = %+v, min votes %d", b, c.Feedback.BoardMinVotes)
	}
	d, err := config.Parse("liaison.yaml", []byte(boardYAML+"feedback: {default_to: product}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Feedback.Board.ID != "" || d.Feedback.BoardMinVotes != 3 {
		t.Errorf("without board: board %+v, min votes %d; want none and 3", d.Feedback.Board, d.Feedback.BoardMinVotes)
	}
}

func TestABoardThatIsNotAForumIsRefused(t *testing.T) {
	t.Parallel()
	checkErrors(t, []byte(boardYAML+`feedback:
  channels: [feedback]
  default_to: product
  board: ideas-board
  board_min_votes: 0
`), []want{
		{9, 10, "feedback.board", `"ideas-board" is not a Discord channel: the board is a forum channel of your Discord server, written discord:NAME`},
		{10, 20, "feedback.board_min_votes", "expected a whole number of votes of at least 1"},
	})
	checkErrors(t, []byte(boardYAML+`feedback:
  channels: [feedback]
  default_to: product
  board: discord:ideas
`), []want{{9, 10, "feedback.board", `no Discord channel named "ideas"`}})
	checkErrors(t, []byte(boardYAML+`feedback:
  channels: [feedback]
  default_to: product
  board: discord:feedback
`), []want{{9, 10, "feedback.board", "discord:feedback is also under feedback.channels"}})
	// The console's file says which channels are forums: there a board
	// that is not one is known, and refused.
	checkErrors(t, []byte(boardYAML+`feedback:
  channels: [feedback]
  default_to: product
  board: discord:general
console:
  forums: [ideas-board]
`), []want{{9, 10, "feedback.board", "discord:general is not a forum channel (console.forums lists ideas-board): the board needs a forum"}})
}
