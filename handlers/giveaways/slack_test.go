package giveaways

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSlackOptionsReadNamesQuotesAndWords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in    string
		named map[string]string
		words []string
		err   bool
	}{
		{in: `prize:"a Steam key" duration:3d winners:2`, named: map[string]string{"prize": "a Steam key", "duration": "3d", "winners": "2"}},
		{in: `7 reason:“broke the rules”`, named: map[string]string{"reason": "broke the rules"}, words: []string{"7"}},
		{in: `reason:"url: https://x.y/z" 7`, named: map[string]string{"reason": "url: https://x.y/z"}, words: []string{"7"}},
		{in: `prize:"unclosed`, err: true},
		{in: `winners:1 winners:2`, err: true},
	} {
		o, err := splitOptions(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("splitOptions(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if tt.err {
			continue
		}
		if diff := cmp.Diff(tt.named, o.named); diff != "" {
			t.Errorf("splitOptions(%q) named (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.words, o.words); diff != "" {
			t.Errorf("splitOptions(%q) words (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestStartOptionsRefuseBadInput(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"prize": "x", "duration": "0"}, "A giveaway runs from 1m to 60d (0s given)"},
		{map[string]string{"prize": "x", "duration": "30s"}, "A giveaway runs from 1m to 60d (30s given)"},
		{map[string]string{"prize": "x", "duration": "61d"}, "A giveaway runs from 1m to 60d"},
		{map[string]string{"prize": "", "duration": "1h"}, "Give the prize"},
		{map[string]string{"prize": "x", "duration": "1h", "winners": "0"}, "winners must be from 1 to 50 (0 given)"},
		{map[string]string{"prize": "x", "duration": "1h", "winners": "51"}, "winners must be from 1 to 50 (51 given)"},
		{map[string]string{"prize": "x", "duration": "1h", "bonus_tickets": "3"}, "bonus_tickets goes with bonus_role"},
		{map[string]string{"prize": "x", "duration": "1h", "bonus_role": "1", "bonus_tickets": "1"}, "bonus_tickets must be from 2 to 100"},
		{map[string]string{"prize": "x", "duration": "soon"}, "is not a duration"},
	} {
		_, err := readStart(func(k string) string { return tt.opts[k] }, "c1")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("readStart(%v) = %v, want %q", tt.opts, err, tt.want)
		}
	}
	req, err := readStart(func(k string) string { return map[string]string{"prize": "x", "duration": "2h"}[k] }, "c1")
	if err != nil || req.Winners != 1 || req.ChannelID != "c1" || req.Duration.Hours() != 2 {
		t.Errorf("readStart defaults = %+v, %v", req, err)
	}
}
