package discordfake_test

import (
	"errors"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestDirectMessagesOpenAChannelAndClosedDMsAnswer50007(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := newSession(t, b.fake)
	ch, err := s.UserChannelCreate(aliceID)
	if err != nil {
		t.Fatalf("UserChannelCreate: %v", err)
	}
	if ch.Type != discordgo.ChannelTypeDM || len(ch.Recipients) != 1 || ch.Recipients[0].ID != aliceID {
		t.Fatalf("DM channel = %+v", ch)
	}
	again, _ := s.UserChannelCreate(aliceID)
	if again == nil || again.ID != ch.ID {
		t.Fatalf("a second UserChannelCreate opened %+v, want the same channel %s", again, ch.ID)
	}
	if _, err := s.ChannelMessageSend(ch.ID, "you won"); err != nil {
		t.Fatalf("ChannelMessageSend: %v", err)
	}
	if id := b.fake.DMChannel(aliceID); id != ch.ID || len(b.fake.Messages(id)) != 1 {
		t.Fatalf("DMChannel = %q; messages %v", id, b.fake.Messages(id))
	}
	b.fake.BlockBot(aliceID, true)
	_, err = s.ChannelMessageSend(ch.ID, "you won again")
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Message == nil || re.Message.Code != discordgo.ErrCodeCannotSendMessagesToThisUser {
		t.Fatalf("a DM to someone who closed theirs: %v, want code 50007", err)
	}
}
