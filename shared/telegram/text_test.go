package telegram

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/golden"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func parse(t testing.TB, body []byte) *nicechat.Event {
	t.Helper()
	e, err := nicechat.Parse(body)
	if err != nil {
		t.Fatalf("parse %.200s: %v", body, err)
	}
	return e
}

var kyiv = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Kyiv")
	if err != nil {
		panic(err)
	}
	return loc
}()

// goldenOpts renders as a deployment in Ukraine would, with a chat link
// whose query needs escaping in an href.
var goldenOpts = humanize.Options{Location: kyiv, ChatURLTemplate: "https://example.test/chats/{chat_id}?a=1&b=2"}

const chatLink = `<a href="https://example.test/chats/%d?a=1&amp;b=2">Open the chat</a>`

// tags are the only tags Text writes.
var tags = []string{"<b>", "</b>", `<a href="`, "</a>", "<code>", "</code>"}

// checkHTML checks s is a text Telegram accepts in parse_mode HTML and
// shows as Text meant: within the length limit, valid UTF-8, every < one
// of tags, tags balanced and not nested, every & an entity, and the only
// href the chat link. It returns the text as Telegram shows it.
func checkHTML(t testing.TB, s string) string {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("text is not valid UTF-8: %q", s)
	}
	if n := utf16Len(s); n > maxTextUnits {
		t.Errorf("text is %d UTF-16 units, Telegram takes %d", n, maxTextUnits)
	}
	var shown strings.Builder
	open := ""
	for i := 0; i < len(s); {
		switch s[i] {
		case '<':
			tag := ""
			for _, tg := range tags {
				if strings.HasPrefix(s[i:], tg) {
					tag = tg
				}
			}
			switch {
			case tag == "":
				t.Fatalf("markup Text does not write at byte %d: %q", i, s[i:min(len(s), i+40)])
			case strings.HasPrefix(tag, "</"):
				if want := "<" + tag[2:]; open != want && (tag != "</a>" || open != `<a href="`) {
					t.Fatalf("%s closes %q at byte %d", tag, open, i)
				}
				open = ""
			case open != "":
				t.Fatalf("%s opens inside %s at byte %d", tag, open, i)
			default:
				open = tag
			}
			i += len(tag)
			if tag == `<a href="` {
				end := strings.Index(s[i:], `">`)
				if end < 0 {
					t.Fatalf("an href is never closed: %q", s[i:])
				}
				href := s[i : i+end]
				if strings.ContainsAny(href, `<>"`) || !validEntities(href) {
					t.Fatalf("href %q is not escaped", href)
				}
				if !strings.HasPrefix(html.UnescapeString(href), "https://example.test/chats/") {
					t.Fatalf("a link other than the chat's: %q", href)
				}
				i += end + 2
			}
		case '>':
			t.Fatalf("a bare > at byte %d: %q", i, s[max(0, i-40):i+1])
		case '&':
			if !validEntities(s[i:]) {
				t.Fatalf("a bare & at byte %d: %q", i, s[i:min(len(s), i+10)])
			}
			end := strings.IndexByte(s[i:], ';')
			shown.WriteString(html.UnescapeString(s[i : i+end+1]))
			i += end + 1
		default:
			shown.WriteByte(s[i])
			i++
		}
	}
	if open != "" {
		t.Fatalf("%s is never closed", open)
	}
	return shown.String()
}

// validEntities reports whether every & in s starts an entity Telegram
// knows.
func validEntities(s string) bool {
	for i := strings.IndexByte(s, '&'); i >= 0; i = strings.IndexByte(s, '&') {
		s = s[i:]
		ok := false
		for _, e := range []string{"&amp;", "&lt;", "&gt;", "&quot;"} {
			if strings.HasPrefix(s, e) {
				ok = true
			}
		}
		if !ok {
			return false
		}
		s = s[1:]
	}
	return true
}

// TestTextMatchesGoldenHTML keeps English's files at the top of testdata/
// and every other language's in testdata/<language>/.
func TestTextMatchesGoldenHTML(t *testing.T) {
	for _, lang := range humanize.Languages() {
		opts, dir := goldenOpts, ""
		if lang != "en" {
			opts.Language, opts.Location, dir = lang, humanizetest.Location(t, lang), lang+"/"
		}
		for _, typ := range nicechat.KnownTypes {
			t.Run(lang+"/"+typ, func(t *testing.T) {
				text := Text(parse(t, fixtures.Body(typ)), opts)
				checkHTML(t, text)
				golden.Check(t, dir+typ+".html", []byte(text+"\n"))
			})
		}
	}
}

func TestTextLaysOutAnEvent(t *testing.T) {
	body := fixtures.Body(nicechat.TypeNewOrder)
	e := parse(t, body)
	lines := strings.Split(Text(e, goldenOpts), "\n")
	if got, want := lines[0], "<b>New order #23: 1,000.00 UAH</b>"; got != want {
		t.Errorf("first line = %q, want the headline %q", got, want)
	}
	if lines[1] != "" {
		t.Errorf("no blank line after the headline: %q", lines[1])
	}
	for _, want := range []string{"<b>Order:</b> #23", "<b>Products</b>", "• Примет товара — 1,000.00 UAH", "<b>Placed:</b> 2017-06-13 16:54 Kyiv time"} {
		if !contains(lines, want) {
			t.Errorf("no line %q in\n%s", want, strings.Join(lines, "\n"))
		}
	}
	if got, want := lines[len(lines)-2], fmt.Sprintf(chatLink, 170); got != want {
		t.Errorf("next to last line = %q, want the chat link %q", got, want)
	}
	if got, want := lines[len(lines)-1], "Nice Chat · new order · <code>"+nicechat.EventID(body)+"</code>"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
}

func TestTextWithoutALinkTemplateHasNoLink(t *testing.T) {
	text := Text(parse(t, fixtures.Body(nicechat.TypeNewChat)), humanize.Options{})
	checkHTML(t, text)
	if strings.Contains(text, "<a ") {
		t.Errorf("a link without CHAT_URL_TEMPLATE:\n%s", text)
	}
	if !strings.HasSuffix(text, "</code>") {
		t.Errorf("the event id line is not last:\n%s", text)
	}
}

func TestTextKeepsTheVisitorsLanguage(t *testing.T) {
	const message = "Добрий день! Чи є ця сукня в розмірі M? 👗\nДякую 🙏"
	body := `{"event":"push_form","data":{"id":10,"chat_id":172,"label":"Зворотний дзвінок","result":[` +
		`{"type":"text","label":"Ім'я","value":"Олена Іваненко"},{"type":"textarea","label":"Повідомлення","value":` + jsonString(message) + `}]}}`
	text := Text(parse(t, []byte(body)), goldenOpts)
	shown := checkHTML(t, text)
	for _, want := range []string{"Form filled: Зворотний дзвінок", "Ім'я: Олена Іваненко", "Повідомлення: Добрий день! Чи є ця сукня в розмірі M? 👗\nДякую 🙏"} {
		if !strings.Contains(shown, want) {
			t.Errorf("%q is not shown as sent; the message reads\n%s", want, shown)
		}
	}
}

func TestTextEscapesVisitorText(t *testing.T) {
	hostile := []string{"<b>x</b>", `<a href="javascript:alert(1)">bank</a>`, "&amp;", `Tom & "Jerry"`, "</code><i>", "&#60;b&#62;"}
	tests := []struct {
		name string
		body string
	}{
		{"client name and place", `{"event":"first_message","data":{"id":109,"client_name":"<b>x</b> &amp;","geoCity":"<a href=\"javascript:alert(1)\">bank</a>",` +
			`"geoCountry":"Tom & \"Jerry\"","sys_browser":"</code><i>","sys_os":"&#60;b&#62;"}}`},
		{"form values and labels", `{"event":"push_form","data":{"id":10,"chat_id":172,"label":"<b>x</b>","result":[` +
			`{"label":"Bank","value":"<a href=\"javascript:alert(1)\">bank</a>"},{"label":"&amp;","value":"Tom & \"Jerry\"\n</code><i>"},{"label":"&#60;b&#62;","value":"&#60;b&#62;"}]}}`},
		{"order products and agents", `{"event":"new_order","data":{"id":23,"chat_id":170,"order_num":"<b>x</b>","products":[` +
			`{"title":"<a href=\"javascript:alert(1)\">bank</a>","price":1,"currency":"&amp;"}],"agents":[{"first_name":"Tom & \"Jerry\"","email":"</code><i>"}],` +
			`"shipping_address":{"street":"&#60;b&#62;"}}}`},
		{"unknown event", `{"event":"agent_joined","data":{"id":1,"chat_id":5,"a":"<b>x</b>","b":"<a href=\"javascript:alert(1)\">bank</a>","c":"&amp;","d":"Tom & \"Jerry\"","e":"</code><i>","f":"&#60;b&#62;"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := Text(parse(t, []byte(tc.body)), goldenOpts)
			shown := checkHTML(t, text)
			for _, h := range hostile {
				if !strings.Contains(shown, h) {
					t.Errorf("%q is not shown as typed; the message reads\n%s", h, shown)
				}
			}
		})
	}
}

func TestTextEscapesQuotesInTheLink(t *testing.T) {
	opts := humanize.Options{ChatURLTemplate: `https://example.test/chats/{chat_id}?q="><b>x</b>&r=<`}
	text := Text(parse(t, fixtures.Body(nicechat.TypePushForm)), opts)
	checkHTML(t, text)
	if want := `<a href="https://example.test/chats/172?q=&quot;&gt;&lt;b&gt;x&lt;/b&gt;&amp;r=&lt;">Open the chat</a>`; !strings.Contains(text, want) {
		t.Errorf("link is not escaped as an attribute; want %q in\n%s", want, text)
	}
}

func TestTextStaysWithinTelegramsLimit(t *testing.T) {
	big := strings.Repeat("x", 10<<10)
	var fields []string
	for i := range 200 {
		fields = append(fields, fmt.Sprintf(`{"type":"text","label":"Field %d","value":"value %d"}`, i, i))
	}
	tests := []struct {
		name string
		body string
		cut  bool   // the text must say it was cut
		keep string // a line that must be kept whole
	}{
		{name: "a huge form", cut: true, keep: "<b>Field 0:</b> value 0",
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"label":"Big","result":[` + strings.Join(fields, ",") + `]}}`},
		{name: "one huge message", cut: true,
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"Message","value":"` + big + `"}]}}`},
		{name: "a message of ampersands and brackets", cut: true,
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"A","value":` + jsonString(strings.Repeat(`&<>"`, 3000)) + `}]}}`},
		{name: "emoji count twice", cut: true,
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"A","value":"` + strings.Repeat("🙂", 3000) + `"}]}}`},
		{name: "a long multi-line message", cut: true,
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"A","value":"` + strings.Repeat(`line \u0026 line\n`, 800) + `"}]}}`},
		{name: "huge labels and a huge name",
			body: `{"event":"push_form","data":{"id":10,"chat_id":172,"label":"` + strings.Repeat("&", 5000) + `","result":[{"label":"` + big + `","value":"v"}]}}`},
		{name: "a long Cyrillic client name", cut: true, body: `{"event":"new_chat","data":{"id":1,"client_name":"` + strings.Repeat("Ж", 5000) + `"}}`},
		{name: "many products", cut: true, keep: "<b>Products</b>",
			body: `{"event":"new_order","data":{"id":1,"chat_id":2,"products":[` + strings.Repeat(`{"title":"`+big[:200]+`","price":1},`, 120) + `{"title":"last"}]}}`},
		{name: "exactly at the limit", body: atTheLimit(t)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := parse(t, []byte(tc.body))
			text := Text(e, goldenOpts)
			checkHTML(t, text)
			lines := strings.Split(text, "\n")
			if last := lines[len(lines)-1]; last != "Nice Chat · "+goldenOpts.Catalog().EventName(e.Type)+" · <code>"+e.ID+"</code>" {
				t.Errorf("the event id line was cut: last line %q", last)
			}
			if link := lines[len(lines)-2]; !strings.HasPrefix(link, `<a href="https://example.test/chats/`) {
				t.Errorf("the chat link was cut: next to last line %q", link)
			}
			if cut := contains(lines, cutNotice(goldenOpts.Catalog())); cut != tc.cut {
				t.Errorf("cut notice shown: %v, want %v", cut, tc.cut)
			}
			if tc.keep != "" && !contains(lines, tc.keep) {
				t.Errorf("line %q was dropped", tc.keep)
			}
			if tc.cut && utf16Len(text) < maxTextUnits-200 {
				t.Errorf("text was cut to %d units, leaving most of the %d unused", utf16Len(text), maxTextUnits)
			}
		})
	}
}

// atTheLimit is a form whose text is exactly maxTextUnits long, which
// Telegram takes as it is.
func atTheLimit(t *testing.T) string {
	form := func(n int) string {
		return `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"A","value":"` + strings.Repeat("y", n) + `"}]}}`
	}
	// An empty value is left out, line and all: measure with one letter.
	base := utf16Len(Text(parse(t, []byte(form(1))), goldenOpts))
	body := form(1 + maxTextUnits - base)
	if n := utf16Len(Text(parse(t, []byte(body)), goldenOpts)); n != maxTextUnits {
		t.Fatalf("the form's text is %d units, want %d", n, maxTextUnits)
	}
	return body
}

func TestTextCutsAnOverLongLineOnARuneBoundary(t *testing.T) {
	// Multi-byte runes and escapes throughout: a cut by bytes or after
	// escaping would split one.
	value := strings.Repeat("Ї&🙂<", 2000)
	body := `{"event":"push_form","data":{"id":10,"chat_id":172,"result":[{"label":"Message","value":` + jsonString(value) + `}]}}`
	text := Text(parse(t, []byte(body)), goldenOpts)
	shown := checkHTML(t, text)
	_, after, _ := strings.Cut(shown, "Message: ")
	kept, _, _ := strings.Cut(after, "\n")
	if !strings.HasSuffix(kept, "…") || !strings.HasPrefix(value, strings.TrimSuffix(kept, "…")) || len(kept) < 1000 {
		t.Errorf("the message line reads %q…, want a long start of the value then …", kept[:min(len(kept), 60)])
	}
}

func TestTextLeavesOutALinkTooLongForTheMessage(t *testing.T) {
	opts := humanize.Options{ChatURLTemplate: "https://example.test/chats/{chat_id}?pad=" + strings.Repeat("p", 2000)}
	text := Text(parse(t, fixtures.Body(nicechat.TypePushForm)), opts)
	checkHTML(t, text)
	if strings.Contains(text, "<a ") {
		t.Errorf("a %d-character link was kept", len(opts.ChatURLTemplate))
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func BenchmarkTextForm(b *testing.B) {
	e := parse(b, []byte(`{"event":"push_form","data":{"id":10,"chat_id":1,"label":"Call me","result":[`+
		`{"label":"Name","value":"<b>Olena</b> & co"},{"label":"Message","value":"`+strings.Repeat("long text ", 1000)+`"}]}}`))
	b.ReportAllocs()
	for b.Loop() {
		_ = Text(e, goldenOpts)
	}
}
