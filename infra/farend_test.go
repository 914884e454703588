package infra_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
)

// farEndAnswer answers a delivery as the far ends the channels speak to
// do: the Bot API (a path under /bot) with the message it sent, any other
// (a webhook, Slack's incoming webhook) with ok. A channel speaking
// another protocol fails its delivery here, naming itself.
func farEndAnswer(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if strings.HasPrefix(r.URL.Path, "/bot") {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1,"date":1700000000,"chat":{"id":-1001234567890,"type":"supergroup"},"text":"…"}}`)
		return
	}
	_, _ = io.WriteString(w, "ok")
}

// pointFarEnd points spec's far end (its Deploy.FarEnd) at the server at
// base: a parameter to base with its Example's path, in params; a
// variable to base itself, in env. It reports false for a channel that
// delivers through AWS (no FarEnd), which the caller must stand in for
// itself.
func pointFarEnd(spec channel.Spec, params, env map[string]string, base string) bool {
	far := spec.Deploy.FarEnd
	if far == "" {
		return false
	}
	for _, p := range spec.Deploy.Params {
		if p.Name() != far {
			continue
		}
		u, err := url.Parse(p.Example)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" {
			panic(spec.Name + "'s FarEnd " + far + " has no URL as its Example")
		}
		params[far] = base + u.RequestURI()
		return true
	}
	env[far] = base
	return true
}
