package slack

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func FuzzSlackPayload(f *testing.F) {
	hostile := []string{"<!channel> <@U123> <#C1|general>", "<https://evil.example|bank> &lt;!here&gt; & \u202e"}
	for _, typ := range nicechat.KnownTypes {
		f.Add(fixtures.Body(typ), "", "")
		f.Add(fixtures.Body(typ), hostile[0], hostile[1])
	}
	f.Add(fixtures.Body("invalid_new_order"), "", "")
	f.Add(fixtures.Body("invalid_push_form"), "", "")
	f.Add([]byte(`{"event":"agent_joined","data":{"id":1,"chat_id":2}}`), hostile[1], hostile[0])
	// Every input is rendered in every language: the catalogs' words are
	// escaped like the visitor's, and a longer translation must still fit.
	langs := humanize.Languages()
	links := make([]*regexp.Regexp, len(langs))
	for i, lang := range langs {
		links[i] = chatLink(f, lang)
	}
	f.Fuzz(func(t *testing.T, body []byte, a, b string) {
		e, err := nicechat.Parse(fixtures.WithVisitorText(body, a, b))
		if err != nil {
			return
		}
		for i, lang := range langs {
			opts := linkOpts
			opts.ShowIP, opts.Language = true, lang
			checkFuzzedPayload(t, e, opts, links[i])
			// The event as a step of a thread's summary line, beside
			// steps labelled with the fuzzer's text.
			th := thread{Steps: []step{
				{Event: "fuzzed", Type: e.Type, Label: humanize.Step(e, opts)},
				{Event: "a", Type: nicechat.TypePushForm, Label: a},
				{Event: "b", Type: "custom", Label: b},
			}}
			checkSummary(t, &th, opts)
		}
	})
}

// checkSummary checks a thread's summary line as FuzzSlackPayload checks
// a payload: no markup of any kind, every & escaped, within Slack's
// limits.
func checkSummary(t *testing.T, th *thread, opts humanize.Options) {
	t.Helper()
	sum := summary(th, opts.Catalog())
	raw, err := json.Marshal(sum)
	if err != nil {
		t.Fatalf("%s summary does not encode: %v", opts.Language, err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	walkStrings(v, false, func(s string, _ bool) {
		if strings.Contains(s, "<") {
			t.Errorf("%s: a step reaches Slack as markup: %q", opts.Language, s)
		}
		if strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(s), "&") {
			t.Errorf("%s: the summary has an unescaped or split &: %q", opts.Language, s)
		}
	})
	blocks, _ := json.Marshal(map[string]any{"text": sum.Fallback, "blocks": sum.Blocks})
	checkLimits(t, blocks)
}

// checkFuzzedPayload checks what FuzzSlackPayload promises of one
// rendering.
func checkFuzzedPayload(t *testing.T, e *nicechat.Event, opts humanize.Options, chatLink *regexp.Regexp) {
	t.Helper()
	raw, err := json.Marshal(Payload(e, opts))
	if err != nil {
		t.Fatalf("%s payload does not encode: %v", opts.Language, err)
	}
	var payload any
	if err := json.Unmarshal(raw, &payload); err != nil {
		t.Fatalf("payload is not JSON: %v", err)
	}
	walkStrings(payload, false, func(s string, plain bool) {
		if plain {
			return // plain_text is never parsed for mentions or links
		}
		// Every < starts Slack markup; the only markup allowed is the
		// chat link this package builds from CHAT_URL_TEMPLATE.
		if rest := chatLink.ReplaceAllString(s, ""); strings.Contains(rest, "<") {
			t.Errorf("%s: visitor text reaches Slack as markup: %q", opts.Language, s)
		}
		if strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(s), "&") {
			t.Errorf("%s: text has an unescaped or split &: %q", opts.Language, s)
		}
	})
	checkLimits(t, raw)
}

// walkStrings calls fn with every string in v, saying whether it is the
// text of a plain_text object.
func walkStrings(v any, plain bool, fn func(s string, plain bool)) {
	switch v := v.(type) {
	case string:
		fn(v, plain)
	case []any:
		for _, e := range v {
			walkStrings(e, false, fn)
		}
	case map[string]any:
		for k, e := range v {
			walkStrings(e, k == "text" && v["type"] == "plain_text", fn)
		}
	}
}
