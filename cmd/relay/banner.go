package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
	"github.com/nicechat-relay/nicechat-relay/shared/terminal"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// banner tells the person at the terminal where to point Nice Chat, what
// the messages will look like, and what waits for them. It holds the
// token, so it goes to the terminal and never to the log.
func (r *relay) banner(w io.Writer) {
	prefix := ""
	if r.settings != "" {
		prefix = r.settings + " "
	}
	fmt.Fprintf(w, `
  nicechat-relay is running (data in %s)
    callback URL  %s/callback/%s
    status        %s/  (this machine only; relayctl's --relay)
    channels      %s
    language      %s
    webhooks      %s
%s  Stop with Ctrl-C; '%smake demo' posts new example events and says what became of them;
  '%sgo run ./cmd/relayctl dlq list --channel webhook' lists the webhook's dead letters.

`, r.dataDir, r.base, r.token, r.admin, r.describeChannels(), r.language, r.signing, r.describePauses(), prefix, prefix)
}

// describePauses is a paragraph per paused channel: a relay restarted
// while one is paused keeps it paused, and nothing else on the terminal
// would say so.
func (r *relay) describePauses() string {
	var b strings.Builder
	for _, p := range r.pausedChannels() {
		// The reason quotes a far end's answer: written by others, escaped.
		fmt.Fprintf(&b, "  PAUSED: the %s channel, since %s: %s\n", p.Channel, p.Since.UTC().Format(time.RFC3339), terminal.Line(p.Reason))
		fmt.Fprintf(&b, "    Its events wait in its queue. Fix the cause (restart the relay with the setting fixed), then:\n")
		fmt.Fprintf(&b, "    %s\n", p.Resume)
	}
	return b.String()
}

// describeLanguage is the language and time zone of the humane messages,
// as the channels read them (humanize.OptionsFromEnv): "Ukrainian (uk),
// times in Europe/Kyiv".
func describeLanguage(getenv func(string) string) string {
	opts, err := humanize.OptionsFromEnv(getenv, "")
	if err != nil {
		return err.Error()
	}
	lang := opts.Catalog().Language()
	zone := "UTC"
	if opts.Location != nil {
		zone = opts.Location.String()
	}
	name := display.English.Languages().Name(language.Make(lang))
	if name == "" {
		return fmt.Sprintf("%s, times in %s", lang, zone)
	}
	return fmt.Sprintf("%s (%s), times in %s", name, lang, zone)
}

// describeSigning says whether the webhook's deliveries are signed, and
// by which setting.
func describeSigning(getenv func(string) string, webhookOn bool) string {
	arn := webhook.EnvSecret + secrets.Suffix
	switch v := strings.TrimSpace(getenv(webhook.EnvSecret)); {
	case !webhookOn:
		return "the webhook channel is off"
	case len(strings.Fields(v)) > 1:
		return "signed with two secrets while one is rotated (" + webhook.EnvSecret + ")"
	case v != "":
		return "signed (" + webhook.EnvSecret + " is set)"
	case strings.TrimSpace(getenv(arn)) != "":
		return "signed (the secret " + arn + " names)"
	}
	return "unsigned: set " + webhook.EnvSecret + " (whsec_…) to sign them"
}
