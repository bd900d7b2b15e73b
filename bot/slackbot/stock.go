package slackbot

import (
	"sync"

	"github.com/slack-go/slack"

	"github.com/liaison-bot/liaison/bot"
)

// stockReplies keeps the rendering of stock replies (bot.Reply.Stock): the
// message and its JSON, by the reply's text and audience. A help list is
// one of a handful of texts: rendered and encoded once, not on every
// /liaison help (a tenth of its CPU).
type stockReplies struct {
	mu sync.RWMutex
	m  map[stockKey]stockReply
}

type stockKey struct {
	text   string
	public bool
}

// stockReply is a rendering kept: shared by every answer that uses it, so
// never changed once made.
type stockReply struct {
	msg     *slack.WebhookMessage
	encoded []byte
}

// maxStock bounds the renderings kept; past it, a new one is made each
// time it is needed.
const maxStock = 256

// rendered returns r's message and its JSON, kept from an earlier reply
// with the same text and audience or made now. The JSON is nil when the
// message cannot be encoded (the answer is then written the long way,
// which reports it).
func (s *stockReplies) rendered(r *bot.Reply) (*slack.WebhookMessage, []byte) {
	k := stockKey{text: r.Text, public: r.Public}
	s.mu.RLock()
	kept, ok := s.m[k]
	s.mu.RUnlock()
	if ok {
		return kept.msg, kept.encoded
	}
	msg := replyMessage(r)
	encoded, err := encodeAnswer(msg)
	if err != nil {
		return msg, nil
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[stockKey]stockReply{}
	}
	if len(s.m) < maxStock {
		s.m[k] = stockReply{msg: msg, encoded: encoded}
	}
	s.mu.Unlock()
	return msg, encoded
}
