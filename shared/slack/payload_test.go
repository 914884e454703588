package slack

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/golden"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func parse(t *testing.T, body []byte) *nicechat.Event {
	t.Helper()
	e, err := nicechat.Parse(body)
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return e
}

var linkOpts = humanize.Options{ChatURLTemplate: "https://example.test/chats/{chat_id}?a=1&b=2"}

var htmlUnescape = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// TestPayloadMatchesGoldenJSON keeps English's files at the top of
// testdata/ and every other language's in testdata/<language>/.
func TestPayloadMatchesGoldenJSON(t *testing.T) {
	bodies := map[string][]byte{
		"unknown": []byte(`{"event":"new_review","data":{"id":5,"chat_id":77,"rating":5,"comment":"Great <b>shop</b> & more"}}`),
	}
	for _, typ := range nicechat.KnownTypes {
		bodies[typ] = fixtures.Body(typ)
	}
	for _, lang := range humanize.Languages() {
		opts, dir := linkOpts, ""
		if lang != "en" {
			opts.Language, opts.Location, dir = lang, humanizetest.Location(t, lang), lang+"/"
		}
		for name, body := range bodies {
			t.Run(lang+"/"+name, func(t *testing.T) {
				raw, err := json.MarshalIndent(Payload(parse(t, body), opts), "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				// encoding/json always escapes <, > and & as HTML; the golden
				// file shows them as Slack reads them.
				got := []byte(htmlUnescape.Replace(string(raw)) + "\n")
				golden.Check(t, dir+name+".json", got)
			})
		}
	}
}

// texts collects every text object of a payload as Slack would read it,
// by decoding the JSON sent rather than trusting the Go values.
type text struct{ kind, text string }

// checkLimits checks a payload against the limits Slack enforces and
// returns its texts.
func checkLimits(t *testing.T, raw []byte) []text {
	t.Helper()
	fallback, blocks, texts := payloadTexts(t, raw)
	if blocks > maxBlocks {
		t.Errorf("%d blocks, Slack allows %d", blocks, maxBlocks)
	}
	if n := utf8.RuneCountInString(fallback); n > maxFallback {
		t.Errorf("fallback text has %d characters, Slack allows %d", n, maxFallback)
	}
	for _, tx := range texts {
		limit := maxSectionText
		if tx.kind == "header/plain_text" {
			limit = maxHeaderText
		}
		if n := utf8.RuneCountInString(tx.text); n > limit || n == 0 {
			t.Errorf("%s text has %d characters, want 1..%d", tx.kind, n, limit)
		}
	}
	return texts
}

func payloadTexts(t *testing.T, raw []byte) (fallback string, blocks int, texts []text) {
	t.Helper()
	var p struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, raw)
	}
	for _, b := range p.Blocks {
		var block struct {
			Type     string `json:"type"`
			Text     *struct{ Type, Text string }
			Elements []struct{ Type, Text string }
		}
		if err := json.Unmarshal(b, &block); err != nil {
			t.Fatalf("block is not JSON: %v", err)
		}
		if block.Text != nil {
			texts = append(texts, text{block.Type + "/" + block.Text.Type, block.Text.Text})
		}
		for _, el := range block.Elements {
			texts = append(texts, text{block.Type + "/" + el.Type, el.Text})
		}
	}
	return p.Text, len(p.Blocks), texts
}

// chatLink matches the chat link built from linkOpts, in lang.
func chatLink(t testing.TB, lang string) *regexp.Regexp {
	t.Helper()
	c, err := humanize.CatalogFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`^<https://example\.test/chats/[0-9]+\?a=1&amp;b=2\|` + regexp.QuoteMeta(c.Text(humanize.KeyOpenChat, escape)) + `>$`)
}

func TestPayloadEscapesVisitorText(t *testing.T) {
	hostile := []string{"<!channel>", "<@U123>", "<https://evil|bank>", "<!here|here>", "Tom & Jerry"}
	tests := []struct {
		name string
		body string
	}{
		{"client name", `{"event":"first_message","data":{"id":109,"client_name":"<!channel> <@U123> Tom & Jerry","geoCity":"<https://evil|bank>","sys_browser":"<!here|here>"}}`},
		{"form values and labels", `{"event":"push_form","data":{"id":10,"chat_id":172,"label":"<!channel>","result":[` +
			`{"label":"Bank","value":"<https://evil|bank>"},{"label":"<@U123>","value":"Tom & Jerry"},{"label":"x","value":"<!here|here>"}]}}`},
		{"order products and agents", `{"event":"new_order","data":{"id":23,"chat_id":170,"order_num":"<!channel>","products":[` +
			`{"title":"<https://evil|bank>","price":1,"currency":"<@U123>"}],"agents":[{"first_name":"Tom & Jerry","email":"<!here|here>"}]}}`},
		{"unknown event", `{"event":"agent_joined","data":{"id":1,"a":"<https://evil|bank>","b":"<@U123>","c":"Tom & Jerry","d":"<!here|here>","e":"<!channel>"}}`},
	}
	for _, lang := range humanize.Languages() {
		opts := linkOpts
		opts.Language = lang
		link := chatLink(t, lang)
		for _, tc := range tests {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				checkEscaped(t, tc.body, opts, link, hostile)
			})
		}
	}
}

func checkEscaped(t *testing.T, body string, opts humanize.Options, chatLink *regexp.Regexp, hostile []string) {
	t.Helper()
	raw, err := json.Marshal(Payload(parse(t, []byte(body)), opts))
	if err != nil {
		t.Fatal(err)
	}
	fallback, _, texts := payloadTexts(t, raw)
	all := append(texts, text{"fallback", fallback})
	var joined strings.Builder
	for _, tx := range all {
		joined.WriteString(tx.text + "\n")
		if tx.kind == "header/plain_text" {
			continue // plain text is never parsed for mentions or links
		}
		// The only markup allowed is the chat link this package builds.
		rest := chatLink.ReplaceAllString(tx.text, "")
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("%s text carries markup: %q", tx.kind, tx.text)
		}
		if strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(tx.text), "&") {
			t.Errorf("%s text has an unescaped &: %q", tx.kind, tx.text)
		}
	}
	for _, h := range hostile {
		if esc := escape(h); !strings.Contains(joined.String(), esc) {
			t.Errorf("%q is not shown as text (want %q in the payload)", h, esc)
		}
	}
}

func TestPayloadMarksMrkdwnVerbatim(t *testing.T) {
	// Verbatim stops Slack from turning a plain "@here" or "#general" in
	// visitor text into a mention or channel link.
	p := Payload(parse(t, []byte(`{"event":"first_message","data":{"id":1,"client_name":"@here #general"}}`)), humanize.Options{})
	for _, b := range p.Blocks.BlockSet {
		if s, ok := b.(*slackapi.SectionBlock); ok && !s.Text.Verbatim {
			t.Errorf("section %q is not verbatim", s.Text.Text)
		}
	}
}

func TestPayloadStaysWithinSlackLimits(t *testing.T) {
	big := strings.Repeat("x", 10<<10)
	amps := strings.Repeat("&", 5000)
	var fields []string
	for i := range 200 {
		fields = append(fields, `{"type":"text","label":"Field `+string(rune('A'+i%26))+`","value":"`+big+`"}`)
	}
	tests := []struct {
		name string
		body string
	}{
		{"200 fields of 10 KB", `{"event":"push_form","data":{"id":10,"chat_id":1,"label":"` + big + `","result":[` + strings.Join(fields, ",") + `]}}`},
		{"a value that is all ampersands", `{"event":"push_form","data":{"id":10,"result":[{"label":"A","value":"` + amps + `"}]}}`},
		{"a long Cyrillic name", `{"event":"new_chat","data":{"id":1,"client_name":"` + strings.Repeat("Ж", 4000) + `"}}`},
		{"many products", `{"event":"new_order","data":{"id":1,"chat_id":2,"products":[` + strings.Repeat(`{"title":"`+big[:2000]+`","price":1},`, 120) + `{"title":"last"}]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(Payload(parse(t, []byte(tc.body)), linkOpts))
			if err != nil {
				t.Fatal(err)
			}
			texts := checkLimits(t, raw)
			for _, tx := range texts {
				if strings.Contains(strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(tx.text), "&") {
					t.Errorf("%s text ends in a split escape: …%q", tx.kind, tx.text[max(0, len(tx.text)-12):])
				}
			}
			if last := texts[len(texts)-1]; last.kind != "context/mrkdwn" || !strings.Contains(last.text, "evt_") {
				t.Errorf("the context line with the event id was cut: last text %q", last.text)
			}
		})
	}
}

func BenchmarkPayloadForm(b *testing.B) {
	e, err := nicechat.Parse([]byte(`{"event":"push_form","data":{"id":10,"chat_id":1,"label":"Call me","result":[` +
		`{"label":"Name","value":"<!channel> Olena & co"},{"label":"Message","value":"` + strings.Repeat("long text ", 500) + `"}]}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(Payload(e, linkOpts)); err != nil {
			b.Fatal(err)
		}
	}
}
