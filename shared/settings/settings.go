// Package settings knows the name of every environment variable the relay
// reads, so that a start-up can warn about one that looks like a setting
// but is none: HUMANIZE_LANGAUGE=uk would otherwise start in English,
// WEBHOOK_SECERT unsigned and RELAY_ADR on the default port, all silently.
package settings

import (
	"log/slog"
	"slices"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/secrets"
)

// Names are the settings of every function, of the local relay and of
// relayctl, as the README documents them (a test holds the two together,
// and the channel list's queue and event variables to these). It is one
// list for all: the local relay reads every function's settings from one
// environment, so a setting of another function is no mistake. Each
// channel's own (its event lists, queues, parameters' variables and other
// settings) come from its description: make generate writes them to
// channels_gen.go, as ingest, which reads this list, must not link the
// channels' code.
var Names = slices.Concat([]string{
	// ingest
	"CALLBACK_TOKEN", "CALLBACK_TOKEN_PREVIOUS", "MAX_BODY_BYTES", "QUARANTINE_QUEUE_URL",
	// every consumer
	"QUEUE_URL", "DLQ_URL", "MAX_ATTEMPTS", "IDEMPOTENCY_TABLE", "IDEMPOTENCY_WINDOW", "STACK_NAME",
	// the humane channels' messages
	"DISPLAY_TIMEZONE", "HUMANIZE_LANGUAGE", "HUMANIZE_SHOW_IP", "CHAT_URL_TEMPLATE",
	// the local relay, make demo and relayctl
	"RELAY_ADDR", "RELAY_ADMIN_ADDR", "RELAY_DATA_DIR", "RELAY_EMAIL", "RELAY_SHUTDOWN_GRACE", "RELAY_URL",
}, channelNames)

// SecretNames are the settings that may come from Secrets Manager as
// <NAME>_SECRET_ARN (see package secrets): ingest's and the channels'.
var SecretNames = slices.Concat([]string{"CALLBACK_TOKEN", "CALLBACK_TOKEN_PREVIOUS"}, channelSecrets)

// Mistake is a variable that looks like a setting but is none, and the
// setting it most likely meant.
type Mistake struct {
	Name    string
	Closest string
}

func (m Mistake) String() string {
	return m.Name + " is not a setting; did you mean " + m.Closest + "?"
}

// Mistakes returns the variables of environ ("NAME=value", as os.Environ
// gives them) that begin with a setting's first word (HUMANIZE_,
// WEBHOOK_, RELAY_, ...), are not settings, and are a typo away from one:
// at most two edits (three for a long name), a swap of neighbours
// counting as one. The closest setting is named; the values are never
// looked at, as they may be secrets.
func Mistakes(environ []string) []Mistake {
	known := known()
	prefixes := map[string]bool{}
	for name := range known {
		if word, _, ok := strings.Cut(name, "_"); ok {
			prefixes[word+"_"] = true
		}
	}
	var out []Mistake
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		word, _, ok := strings.Cut(name, "_")
		if !ok || !prefixes[word+"_"] || known[name] {
			continue
		}
		closest, best := "", -1
		for k := range known {
			if d := distance(name, k); best < 0 || d < best || d == best && k < closest {
				closest, best = k, d
			}
		}
		if best <= allowed(name) {
			out = append(out, Mistake{Name: name, Closest: closest})
		}
	}
	slices.SortFunc(out, func(a, b Mistake) int { return strings.Compare(a.Name, b.Name) })
	return slices.CompactFunc(out, func(a, b Mistake) bool { return a.Name == b.Name })
}

// Warn logs each of environ's mistakes as a WARN line naming the variable
// and the setting it likely meant, never its value.
func Warn(log *slog.Logger, environ []string) {
	for _, m := range Mistakes(environ) {
		log.Warn(m.String(), "variable", m.Name, "did_you_mean", m.Closest)
	}
}

func known() map[string]bool {
	k := make(map[string]bool, len(Names)+len(SecretNames))
	for _, n := range Names {
		k[n] = true
	}
	for _, n := range SecretNames {
		k[n+secrets.Suffix] = true
	}
	return k
}

// allowed is how many edits still make a typo: names are long and
// alike, and other tools' standard variables lie a few edits from ours
// (SLACK_APP_TOKEN and SLACK_BOT_TOKEN, TELEGRAM_API_ID and
// TELEGRAM_API_URL), so a short name gets one and a long one two.
func allowed(name string) int {
	if len(name) >= 12 {
		return 2
	}
	return 1
}

// distance is the optimal string alignment distance of a and b: the
// insertions, deletions, substitutions and swaps of neighbours that turn
// one into the other.
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// Known reports whether name is a setting (or a secret setting's
// <NAME>_SECRET_ARN).
func Known(name string) bool { return known()[name] }
