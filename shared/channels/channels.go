// Package channels is the one list of the relay's channels. Ingest routes
// to them, the local relay runs them, relayctl finds their queues, and the
// template's tests hold template.yaml to them, all by looping over All.
//
// Adding a channel: its package under shared/ exporting a channel.Spec
// (with its Deploy), its functions/<name>/main.go, one entry here, then
// make generate, which writes its share of template.yaml, ingest's routes,
// the settings the relay knows (shared/settings/channels_gen.go) and the
// README's channel tables from this list; the infra tests' scenarios
// turn it on with its parameters' Examples.
package channels

import (
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/email"
	"github.com/nicechat-relay/nicechat-relay/shared/slack"
	"github.com/nicechat-relay/nicechat-relay/shared/telegram"
	"github.com/nicechat-relay/nicechat-relay/shared/webhook"
)

// All lists the channels in routing order.
var All = []channel.Spec{
	webhook.Spec,
	email.Spec,
	slack.Spec,
	telegram.Spec,
}

// Find returns the channel called name; false for an unknown one.
func Find(name string) (channel.Spec, bool) {
	for _, s := range All {
		if s.Name == name {
			return s, true
		}
	}
	return channel.Spec{}, false
}

// Names lists the channels' names in order.
func Names() []string {
	names := make([]string, len(All))
	for i, s := range All {
		names[i] = s.Name
	}
	return names
}
