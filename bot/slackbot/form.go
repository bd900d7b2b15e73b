package slackbot

import (
	"errors"
	"net/url"
	"strings"

	"github.com/slack-go/slack"
)

// errFormSemicolon is url.ParseQuery's refusal of a ';' in a form.
var errFormSemicolon = errors.New("invalid semicolon separator in query")

// parseSlashCommand reads a slash command's form, as slashCommand does
// from url.ParseQuery's values: the first value of each field, the others
// ignored, and an error for any malformed pair (a bad escape, a ';'). It
// keeps no map: the values are slices of the body's text, copied only when
// they must be unescaped (a fifth of /liaison help's allocations were the
// form's map and its slices).
func parseSlashCommand(body string) (*slack.SlashCommand, error) {
	sc := &slack.SlashCommand{}
	var set uint32 // the fields given already (slashField's bits)
	var enterpriseInstall string
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if strings.Contains(pair, ";") {
			return nil, errFormSemicolon
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return nil, err
		}
		dst, bit := slashField(sc, &enterpriseInstall, k)
		if dst == nil || set&bit != 0 {
			continue
		}
		set |= bit
		*dst = v
	}
	sc.IsEnterpriseInstall = enterpriseInstall == "true"
	return sc, nil
}

// slashField is where form field k of a slash command goes in sc (the
// enterprise install flag in install, as text), and its bit among the
// fields; nil for a field not read.
func slashField(sc *slack.SlashCommand, install *string, k string) (*string, uint32) {
	switch k {
	case "token":
		return &sc.Token, 1 << 0
	case "team_id":
		return &sc.TeamID, 1 << 1
	case "team_domain":
		return &sc.TeamDomain, 1 << 2
	case "enterprise_id":
		return &sc.EnterpriseID, 1 << 3
	case "enterprise_name":
		return &sc.EnterpriseName, 1 << 4
	case "is_enterprise_install":
		return install, 1 << 5
	case "channel_id":
		return &sc.ChannelID, 1 << 6
	case "channel_name":
		return &sc.ChannelName, 1 << 7
	case "user_id":
		return &sc.UserID, 1 << 8
	case "user_name":
		return &sc.UserName, 1 << 9
	case "command":
		return &sc.Command, 1 << 10
	case "text":
		return &sc.Text, 1 << 11
	case "response_url":
		return &sc.ResponseURL, 1 << 12
	case "trigger_id":
		return &sc.TriggerID, 1 << 13
	case "api_app_id":
		return &sc.APIAppID, 1 << 14
	}
	return nil, 0
}
