package slackbot

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/slack-go/slack"
)

// formCommand is how a slash command was read before parseSlashCommand:
// url.ParseQuery, then the first value of each field.
func formCommand(body string) (*slack.SlashCommand, error) {
	f, err := url.ParseQuery(body)
	if err != nil {
		return nil, err
	}
	return &slack.SlashCommand{
		Token: f.Get("token"), TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"),
		EnterpriseID: f.Get("enterprise_id"), EnterpriseName: f.Get("enterprise_name"),
		IsEnterpriseInstall: f.Get("is_enterprise_install") == "true",
		ChannelID:           f.Get("channel_id"), ChannelName: f.Get("channel_name"),
		UserID: f.Get("user_id"), UserName: f.Get("user_name"),
		Command: f.Get("command"), Text: f.Get("text"), ResponseURL: f.Get("response_url"),
		TriggerID: f.Get("trigger_id"), APIAppID: f.Get("api_app_id"),
	}, nil
}

var slashForms = []string{
	"token=x&team_id=T0LIAISON&team_domain=acme&enterprise_id=E1&enterprise_name=Acme+Inc&is_enterprise_install=true" +
		"&channel_id=C01PRODUCT&channel_name=product&user_id=U01CAROL&user_name=carol&command=%2Fliaison" +
		"&text=feedback+log+%22the+export+%26+import%22+100%25&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1" +
		"&trigger_id=1.2.abc&api_app_id=A1",
	"command=%2Ffeedback&text=first&text=second&user_id=&user_id=U2",
	"command=/liaison&&text&=x&unknown=%41",
	"command=%2Fliaison&text=100%",         // a bad escape
	"command=%2Fliaison;text=help",         // a semicolon
	"command=%2Fliaison&t%zzext=help",      // a bad escape in a key
	"is_enterprise_install=TRUE&command=x", // only "true" is true
	"",
}

// parseSlashCommand reads every form as url.ParseQuery and Get did: the
// same command, or an error where they gave one.
func TestParseSlashCommandReadsAsParseQueryDid(t *testing.T) {
	t.Parallel()
	for _, body := range slashForms {
		sameAsParseQuery(t, body)
	}
}

func FuzzParseSlashCommand(f *testing.F) {
	for _, body := range slashForms {
		f.Add(body)
	}
	f.Fuzz(sameAsParseQuery)
}

func sameAsParseQuery(t *testing.T, body string) {
	want, wantErr := formCommand(body)
	got, err := parseSlashCommand(body)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("form %q: error %v, url.ParseQuery's %v", body, err, wantErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("form %q:\n got %+v\nwant %+v", body, got, want)
	}
}
