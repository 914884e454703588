package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
)

// bannerOf is what the relay prints at the terminal when it starts.
func bannerOf(r *testRelay) string {
	var b bytes.Buffer
	r.banner(&b)
	return b.String()
}

func TestBannerShowsTheLanguageTheTimeZoneAndWhetherWebhooksAreSigned(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		language string // the language as the banner names it
		signing  string
	}{
		{"the defaults", map[string]string{}, "English (en)", "unsigned: set WEBHOOK_SECRET"},
		{"the shop owner's language", map[string]string{"HUMANIZE_LANGUAGE": "uk"}, "Ukrainian (uk)", "unsigned"},
		{"a language and a time zone", map[string]string{"HUMANIZE_LANGUAGE": "pl", "DISPLAY_TIMEZONE": "America/New_York"}, "Polish (pl)", "unsigned"},
		{"a signing secret", map[string]string{"WEBHOOK_SECRET": testSecret}, "English (en)", "signed (WEBHOOK_SECRET is set)"},
		{"two secrets while rotating", map[string]string{"WEBHOOK_SECRET": testSecret + " " + testSecret}, "English (en)", "signed with two secrets"},
		{"the webhook off", map[string]string{"WEBHOOK_EVENTS": ""}, "English (en)", "the webhook channel is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CALLBACK_TOKEN": testToken}
			for k, v := range tt.env {
				env[k] = v
			}
			// The zone is whatever the channels' humanize options decide
			// (DISPLAY_TIMEZONE, else the language's default).
			opts, err := humanize.OptionsFromEnv(func(k string) string { return env[k] }, "")
			if err != nil {
				t.Fatal(err)
			}
			zone := opts.Location.String()
			banner := bannerOf(startRelay(t, env))
			for _, want := range []string{
				"language      " + tt.language + ", times in " + zone + "\n",
				"webhooks      " + tt.signing,
			} {
				if !strings.Contains(banner, want) {
					t.Errorf("the banner does not show %q:\n%s", want, banner)
				}
			}
			if strings.Contains(banner, "PAUSED") {
				t.Errorf("the banner says a channel is paused; none is:\n%s", banner)
			}
		})
	}
}

// A paused channel stays paused across a restart, as a disabled event
// source mapping does; the restarted relay's terminal says so, why, and
// how to resume it.
func TestARelayRestartedWhileAChannelIsPausedSaysSoInItsBanner(t *testing.T) {
	env := map[string]string{"CALLBACK_TOKEN": testToken, "RELAY_DATA_DIR": t.TempDir()}
	r := startRelay(t, env)
	resp, err := http.Post(r.admin+"/api/channels/webhook/pause", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pause answered %d", resp.StatusCode)
	}
	r.stop()

	r = startRelay(t, env)
	reason := ""
	for _, c := range r.apiStatus(t).Channels {
		if c.Channel == "webhook" {
			reason = c.PausedReason
		}
	}
	if reason == "" {
		t.Fatal("after a restart the webhook channel is not paused, or has no reason")
	}
	banner := bannerOf(r)
	for _, want := range []string{
		"PAUSED: the webhook channel",
		reason,
		"go run ./cmd/relayctl channel resume --relay " + r.admin + " --channel webhook\n",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("the banner does not show %q:\n%s", want, banner)
		}
	}
	if strings.Contains(banner, "the email channel") {
		t.Errorf("the banner names the email channel, which is not paused:\n%s", banner)
	}
}

// A pause's reason quotes a far end's answer: the banner prints it with
// every character a terminal acts on escaped.
func TestTheBannerEscapesAPauseReasonWrittenByAFarEnd(t *testing.T) {
	tests := []struct {
		name, reason, shown string
	}{
		{"a plain reason", "HTTP 401: invalid_token", "HTTP 401: invalid_token"},
		{"a bidirectional override", "HTTP 401: \u202egnp.exe", `HTTP 401: \u202egnp.exe`},
		{"a CSI that clears the screen", "HTTP 401: \x1b[2J", `HTTP 401: \x1b[2J`},
		{"a line that looks like the banner's", "bad\n  PAUSED: nothing", `bad\n  PAUSED: nothing`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := startRelay(t, map[string]string{"CALLBACK_TOKEN": testToken})
			if _, err := r.pauses.set("webhook", true, tt.reason); err != nil {
				t.Fatal(err)
			}
			banner := bannerOf(r)
			if !strings.Contains(banner, ": "+tt.shown+"\n") {
				t.Errorf("the banner does not show the reason as %q:\n%s", tt.shown, banner)
			}
			if strings.ContainsAny(banner, "\u202e\x1b") {
				t.Errorf("the banner carries a raw control character: %q", banner)
			}
		})
	}
}
