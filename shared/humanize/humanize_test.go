package humanize

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/golden"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func parse(t *testing.T, body string) *nicechat.Event {
	t.Helper()
	e, err := nicechat.Parse([]byte(body))
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	return e
}

func location(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

type renderCase struct {
	name string
	body string
	opts Options
}

// renderCases is every golden case: each fixture event type as the vendor
// documents it, then the odd, hostile and optional renderings.
func renderCases(t *testing.T) []renderCase {
	var cases []renderCase
	for _, typ := range nicechat.KnownTypes {
		cases = append(cases, renderCase{name: typ, body: string(fixtures.Body(typ))})
		cases = append(cases, renderCase{name: "minimal_" + typ, body: `{"event":"` + typ + `","data":{"id":1}}`})
	}
	return append(cases,
		renderCase{name: "unknown_type", opts: Options{ChatURLTemplate: "https://example.test/chats/{chat_id}"},
			body: `{"event":"new_review","data":{"id":5,"chat_id":77,"rating":5,"comment":"Great <b>shop</b>\nreally","first_name":"Olena",` +
				`"nested":{"a":1},"tags":[1],"nothing":null,"is_spam":false,"ім'я":"Олена"}}`},
		renderCase{name: "unknown_type_bare", body: `{"event":"agent.left","data":{"id":5}}`},
		renderCase{name: "show_ip", body: string(fixtures.Body(nicechat.TypeNewChat)), opts: Options{ShowIP: true}},
		renderCase{name: "show_ip_order", body: string(fixtures.Body(nicechat.TypeNewOrder)), opts: Options{ShowIP: true}},
		renderCase{name: "europe_kyiv", body: string(fixtures.Body(nicechat.TypeFirstMessage)), opts: Options{Location: location(t, "Europe/Kyiv")}},
		renderCase{name: "chat_link_chat", body: string(fixtures.Body(nicechat.TypeUnanswered)), opts: Options{ChatURLTemplate: "https://example.test/chats/{chat_id}?tab=1"}},
		renderCase{name: "chat_link_order", body: string(fixtures.Body(nicechat.TypeNewOrder)), opts: Options{ChatURLTemplate: "https://example.test/chats/{chat_id}"}},
		renderCase{name: "chat_link_form", body: string(fixtures.Body(nicechat.TypePushForm)), opts: Options{ChatURLTemplate: "https://example.test/chats/{chat_id}"}},
		renderCase{name: "odd_types_chat", opts: Options{ShowIP: true},
			body: `{"event":"new_chat","data":{"id":109,"client_id":"725","client_name":null,"geoCity":123,"geoCountry":["UA"],` +
				`"sys_browser":true,"sys_os":{},"sys_ip":193,"sys_lang":"","ts_open":"not a time","ts_close":"0001-01-01T00:00:00Z",` +
				`"page_ref":"  ","page_utm":{"utm_source":"google","utm_medium":5,"utm_campaign":null,"utm_term":[]}}}`},
		renderCase{name: "nulls_visitor",
			body: `{"event":"new_visitor","data":{"id":725,"client_name":null,"visit_count":null,"chat_count":"3","purchase_count":1.5,` +
				`"first_ts":null,"last_activity_ts":12}}`},
		renderCase{name: "wrong_shapes_order",
			body: `{"event":"new_order","data":{"id":23,"order_num":"","products":{"title":"x"},"agents":"Admin",` +
				`"product_detail":[1],"order_date":5,"qty":"many","chat_id":"170","billing_address":[],"shipping_address":"street"}}`},
		renderCase{name: "order_multi_currency",
			body: `{"event":"new_order","data":{"id":24,"order_num":"A-1001","qty":"4","order_date":"2024-07-01T09:30:00Z","products":[` +
				`{"title":"Mug","price":"12.50","currency":"USD","qty":2},` +
				`{"title":"Tea","price":300,"currency":"UAH"},` +
				`{"title":"Spoon","price":1.25,"currency":"USD","qty":"1"},` +
				`{"title":"Gift wrap"},` +
				`{"price":"NaN","currency":"EUR"},` +
				`{"title":"Sticker","price":0.5}],` +
				`"agents":[{"first_name":"Iryna"},{"email":"ops@example.com"},{},{"last_name":"Koval","email":null}],` +
				`"shipping_address":{"city":"Lviv","street":"Shevchenka 1","zip":79000,"phone":null,"extra":{"x":1}}}}`},
		renderCase{name: "order_thousands",
			body: `{"event":"new_order","data":{"id":25,"order_num":"2024-118","qty":"5","order_date":"2024-12-30T21:05:00Z","products":[` +
				`{"title":"Сукня лляна","price":"2648.99","currency":"PLN","qty":2},` +
				`{"title":"Пасок","price":1250,"currency":"PLN","qty":3}]}}`},
		renderCase{name: "form_nested_groups",
			body: `{"event":"push_form","data":{"id":11,"chat_id":"abc","created":"2024-07-01T09:30:00+03:00","label":"Call me back","result":[` +
				`{"type":"title","label":"Call me back"},` +
				`{"type":"text","label":"Name","value":"Olena"},` +
				`{"type":"flat","label":"Contacts","data":[` +
				`{"type":"phone","label":"Phone","value":"+380 44 000 0000"},` +
				`{"type":"flat","label":"default","data":[{"type":"email","label":"Email","value":"o@example.com"}]}]},` +
				`{"type":"textarea","label":"Message","value":"line one\r\nline two\n\nName: forged"},` +
				`{"type":"text","label":"Empty","value":""},` +
				`{"type":"number","label":"Age","value":42},` +
				`{"type":"checkbox","label":"Topics","value":["a","b"]},` +
				`{"type":"email","value":"nolabel@example.com"},` +
				`{"value":"neither"},` +
				`"not an object",` +
				`{"type":"flat","label":"default","data":"wrong"}]}}`},
		renderCase{name: "control_characters", opts: Options{ShowIP: true},
			body: `{"event":"first_message","data":{"id":109,"client_name":"Evil\u0007 \u202eName\r\nInjected: yes","geoCity":"Kyiv\u0000",` +
				`"sys_ip":"1.2.3.4\r\nBcc: x@example.com","sys_browser":"Chrome\ttabbed"}}`},
	)
}

func TestRenderMatchesGoldenText(t *testing.T) {
	for _, tc := range renderCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			got := Render(parse(t, tc.body), tc.opts).Text()
			golden.Check(t, tc.name+".txt", []byte(got))
		})
	}
}

// translatedCases are the golden cases rendered in the other languages
// too: each event type, and the renderings whose words or numbers differ
// from those.
var translatedCases = []string{
	nicechat.TypeNewVisitor, nicechat.TypeNewChat, nicechat.TypeFirstMessage, nicechat.TypeUnanswered, nicechat.TypeNewOrder, nicechat.TypePushForm,
	"minimal_new_visitor", "minimal_new_chat", "minimal_new_order", "minimal_push_form", "unknown_type", "unknown_type_bare",
	"show_ip", "chat_link_order", "order_multi_currency", "order_thousands", "form_nested_groups",
}

func TestRenderMatchesGoldenTextInEachLanguage(t *testing.T) {
	for _, lang := range Languages() {
		if lang == baseLanguage {
			continue // TestRenderMatchesGoldenText
		}
		for _, tc := range renderCases(t) {
			if !slices.Contains(translatedCases, tc.name) {
				continue
			}
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				opts := tc.opts
				opts.Language = lang
				if opts.Location == nil {
					// The times the shop's owner reads, as with
					// HUMANIZE_LANGUAGE and no DISPLAY_TIMEZONE.
					opts.Location = catalog(t, lang).Zone()
				}
				got := Render(parse(t, tc.body), opts).Text()
				golden.Check(t, lang+"/"+tc.name+".txt", []byte(got))
			})
		}
	}
}

func TestRenderHeadlinesInEachLanguage(t *testing.T) {
	tests := []struct {
		lang string
		body string
		want string
	}{
		{"uk", string(fixtures.Body(nicechat.TypeNewVisitor)), "Новий відвідувач на сайті: Гість №\u00a0725"},
		{"uk", string(fixtures.Body(nicechat.TypeNewChat)), "Новий чат: Гість №\u00a0725 (Kryvyy Rih)"},
		{"uk", string(fixtures.Body(nicechat.TypeFirstMessage)), "Клієнт написав у чат: Гість №\u00a0725 (Kryvyy Rih)"},
		{"uk", string(fixtures.Body(nicechat.TypeUnanswered)), "Клієнт чекає на відповідь: Гість №\u00a0725 (Kryvyy Rih)"},
		{"uk", string(fixtures.Body(nicechat.TypeNewOrder)), "Нове замовлення №\u00a023: 1\u00a0000,00 UAH"},
		{"uk", string(fixtures.Body(nicechat.TypePushForm)), "Нова заявка з форми «There are no operators available now»"},
		{"uk", `{"event":"new_visitor","data":{"id":7,"client_name":"Олена"}}`, "Новий відвідувач на сайті: Олена"},
		{"uk", `{"event":"new_chat","data":{"id":7,"client_id":9,"geoCountry":"Poland"}}`, "Новий чат: Гість №\u00a09 (Poland)"},
		{"uk", `{"event":"unanswered","data":{"id":7}}`, "Клієнт чекає на відповідь: Гість"},
		{"uk", `{"event":"push_form","data":{"id":7}}`, "Нова заявка з форми"},
		{"uk", `{"event":"refund","data":{"id":7}}`, "Подія Nice Chat: refund"},
		{"pl", string(fixtures.Body(nicechat.TypeNewVisitor)), "Nowy odwiedzający na stronie: Gość nr\u00a0725"},
		{"pl", string(fixtures.Body(nicechat.TypeNewChat)), "Nowy czat: Gość nr\u00a0725 (Kryvyy Rih)"},
		{"pl", string(fixtures.Body(nicechat.TypeFirstMessage)), "Klient napisał na czacie: Gość nr\u00a0725 (Kryvyy Rih)"},
		{"pl", string(fixtures.Body(nicechat.TypeUnanswered)), "Klient czeka na odpowiedź: Gość nr\u00a0725 (Kryvyy Rih)"},
		{"pl", string(fixtures.Body(nicechat.TypeNewOrder)), "Nowe zamówienie nr\u00a023: 1\u00a0000,00 UAH"},
		{"pl", string(fixtures.Body(nicechat.TypePushForm)), "Nowe zgłoszenie z formularza „There are no operators available now”"},
		{"pl", `{"event":"new_visitor","data":{"id":7}}`, "Nowy odwiedzający na stronie: Gość nr\u00a07"},
		{"pl", `{"event":"unanswered","data":{"id":7}}`, "Klient czeka na odpowiedź: Gość"},
		{"pl", `{"event":"push_form","data":{"id":7}}`, "Nowe zgłoszenie z formularza"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.want, func(t *testing.T) {
			if got := Render(parse(t, tc.body), Options{Language: tc.lang}).Headline; got != tc.want {
				t.Errorf("headline = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRenderSaysTheVendorsOwnWordsInTheLanguage: what Nice Chat fills in
// for what it does not know (a visitor's name, a referrer) and a browser's
// language code are the message's words, not the visitor's.
func TestRenderSaysTheVendorsOwnWordsInTheLanguage(t *testing.T) {
	chat := func(fields string) string {
		return `{"event":"first_message","data":{"id":109,"client_id":725,` + fields + `}}`
	}
	tests := []struct {
		name, lang, body string
		want, notWant    []string
	}{
		{"a guest is a nameless visitor", "uk", chat(`"client_name":"Guest"`),
			[]string{"Клієнт написав у чат: Гість №\u00a0725\n"}, []string{"Guest", "Клієнт:"}},
		{"a guest in any case", "pl", chat(`"client_name":" guest "`), []string{": Gość nr\u00a0725\n"}, []string{"uest"}},
		{"a name is kept", "uk", chat(`"client_name":"Guestina"`), []string{"Клієнт: Guestina\n"}, nil},
		{"a direct visit", "uk", chat(`"page_ref":"(direct)"`), []string{"Джерело переходу: немає (прямий захід)\n"}, []string{"direct"}},
		{"a direct visit", "pl", chat(`"page_ref":"(Direct)"`), []string{"Źródło wejścia: brak (adres wpisany ręcznie lub z zakładki)\n"}, []string{"irect"}},
		{"a direct visit", "en", chat(`"page_ref":"(direct)"`), []string{"Referrer: none (a direct visit)\n"}, nil},
		{"a referrer is kept", "uk", chat(`"page_ref":"https://google.com/"`), []string{"Джерело переходу: https://google.com/\n"}, nil},
		{"a language code", "uk", chat(`"sys_lang":"uk","sys_lang_full":"uk"`), []string{"Мова браузера: українська\n"}, nil},
		{"a language tag with a region", "pl", chat(`"sys_lang_full":"de-DE"`), []string{"Język przeglądarki: niemiecki\n"}, nil},
		{"an Accept-Language list", "uk", chat(`"sys_lang_full":"ru-RU,ru;q=0.9,en;q=0.8"`), []string{"Мова браузера: російська\n"}, nil},
		{"the short code when the full one is missing", "pl", chat(`"sys_lang":"CS"`), []string{"Język przeglądarki: czeski\n"}, nil},
		{"a language the catalogs do not name stays a code", "uk", chat(`"sys_lang_full":"sw"`), []string{"Мова браузера: sw\n"}, nil},
		{"Brazilian Portuguese in Ukrainian", "uk", chat(`"sys_lang_full":"pt-BR"`), []string{"Мова браузера: португальська\n"}, nil},
		{"Brazilian Portuguese in Polish", "pl", chat(`"sys_lang_full":"pt-BR,pt;q=0.9"`), []string{"Język przeglądarki: portugalski\n"}, nil},
		{"Japanese", "uk", chat(`"sys_lang_full":"ja"`), []string{"Мова браузера: японська\n"}, nil},
		{"Norwegian Bokmål", "pl", chat(`"sys_lang_full":"nb-NO"`), []string{"Język przeglądarki: norweski (bokmål)\n"}, nil},
		{"Simplified Chinese", "pl", chat(`"sys_lang_full":"zh-Hans-CN"`), []string{"Język przeglądarki: chiński\n"}, nil},
		{"a language's name stays as sent", "pl", chat(`"sys_lang_full":"українська"`), []string{"Język przeglądarki: українська\n"}, nil},
		{"an order's browser language", "uk", `{"event":"new_order","data":{"id":1,"product_detail":{"sysLangFull":"en-GB"}}}`, []string{"Мова браузера: англійська\n"}, nil},
		{"every language the catalogs name", "uk", chat(`"sys_lang_full":"kk"`), []string{"Мова браузера: казахська\n"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.name, func(t *testing.T) {
			text := Render(parse(t, tc.body), Options{Language: tc.lang}).Text()
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("%q is not in:\n%s", w, text)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(text, w) {
					t.Errorf("%q is in:\n%s", w, text)
				}
			}
		})
	}
}

var emptyField = regexp.MustCompile(`(?m)^[^ \-\n][^:\n]*:[ \t]*$`)

func TestRenderNeverShowsPlaceholders(t *testing.T) {
	for _, tc := range renderCases(t) {
		for _, lang := range Languages() {
			t.Run(lang+"/"+tc.name, func(t *testing.T) {
				opts := tc.opts
				opts.Language = lang
				checkNoPlaceholders(t, Render(parse(t, tc.body), opts))
			})
		}
	}
}

func checkNoPlaceholders(t *testing.T, m Message) {
	t.Helper()
	text := m.Text()
	if strings.Contains(text, "0001-01-01") || strings.Contains(text, "01.01.0001") {
		t.Errorf("a zero time is shown:\n%s", text)
	}
	for _, f := range m.Fields {
		if strings.TrimSpace(f.Value) == "" {
			t.Errorf("field %q has no value", f.Label)
		}
	}
	for _, s := range m.Sections {
		if len(s.Lines) == 0 {
			t.Errorf("section %q has no lines", s.Title)
		}
	}
	// Section titles end with ":" on their own line; any other
	// line ending in ":" is a field without a value.
	titles := map[string]bool{}
	for _, s := range m.Sections {
		titles[s.Title+":"] = true
	}
	for _, l := range emptyField.FindAllString(text, -1) {
		if !titles[l] {
			t.Errorf("line %q has a label and no value", l)
		}
	}
	if m.Headline == "" || strings.ContainsAny(m.Headline, "\r\n\x00") {
		t.Errorf("headline %q is empty or spans lines", m.Headline)
	}
	// The catalogs' placeholders are all filled.
	if strings.ContainsAny(text, "{}") {
		t.Errorf("a placeholder is left in:\n%s", text)
	}
}

func TestRenderHeadlines(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{string(fixtures.Body(nicechat.TypeNewVisitor)), "Cold lead: Visitor #725"},
		{string(fixtures.Body(nicechat.TypeNewChat)), "Warm lead: Visitor #725 from Kryvyy Rih"},
		{string(fixtures.Body(nicechat.TypeFirstMessage)), "Hot lead: Visitor #725 from Kryvyy Rih"},
		{string(fixtures.Body(nicechat.TypeUnanswered)), "Angry lead: Visitor #725 from Kryvyy Rih"},
		{string(fixtures.Body(nicechat.TypeNewOrder)), "New order #23: 1,000.00 UAH"},
		{string(fixtures.Body(nicechat.TypePushForm)), "Form filled: There are no operators available now"},
		{`{"event":"new_visitor","data":{"id":7}}`, "Cold lead: Visitor #7"},
		{`{"event":"new_chat","data":{"id":7,"client_id":9,"geoCountry":"Poland"}}`, "Warm lead: Visitor #9 from Poland"},
		{`{"event":"new_order","data":{"id":7,"order_num":"N-1"}}`, "New order #N-1"},
		{`{"event":"push_form","data":{"id":7}}`, "Form filled"},
		{`{"event":"refund","data":{"id":7}}`, "Nice Chat event: refund"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := Render(parse(t, tc.body), Options{}).Headline; got != tc.want {
				t.Errorf("headline = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderShowsTheClientIPOnlyWhenAsked(t *testing.T) {
	for _, typ := range []string{nicechat.TypeNewChat, nicechat.TypeFirstMessage, nicechat.TypeUnanswered, nicechat.TypeNewOrder} {
		e := parse(t, string(fixtures.Body(typ)))
		if text := Render(e, Options{}).Text(); strings.Contains(text, "193.151.12.99") {
			t.Errorf("%s: IP shown without ShowIP:\n%s", typ, text)
		}
		if text := Render(e, Options{ShowIP: true}).Text(); !strings.Contains(text, "IP: 193.151.12.99") {
			t.Errorf("%s: IP missing with ShowIP:\n%s", typ, text)
		}
	}
}

func TestRenderKeepsVisitorTextRawButStripsControlCharacters(t *testing.T) {
	e := parse(t, `{"event":"push_form","data":{"id":1,"result":[{"label":"Note","value":"<!channel> & <https://evil|bank>\u0000\u001b[31m\n\tok"}]}}`)
	got := Render(e, Options{}).Fields[0].Value
	if want := "<!channel> & <https://evil|bank>[31m\n\tok"; got != want {
		t.Errorf("value = %q, want %q", got, want)
	}
}

func TestOptionsFromEnv(t *testing.T) {
	kyiv, warsaw := location(t, "Europe/Kyiv"), location(t, "Europe/Warsaw")
	tests := []struct {
		name        string
		env         map[string]string
		languageEnv string // the channel's own language variable
		want        Options
		wantErr     string
		wantErrToo  string
	}{
		{name: "defaults to UTC, no IP, no link, English", env: nil, want: Options{Location: time.UTC, Language: "en"}},
		{name: "reads every option",
			env:  map[string]string{"DISPLAY_TIMEZONE": "Europe/Kyiv", "HUMANIZE_SHOW_IP": "true", "CHAT_URL_TEMPLATE": "https://example.test/chats/{chat_id}", "HUMANIZE_LANGUAGE": "uk"},
			want: Options{Location: kyiv, ShowIP: true, ChatURLTemplate: "https://example.test/chats/{chat_id}", Language: "uk"}},
		{name: "accepts false", env: map[string]string{"HUMANIZE_SHOW_IP": "false"}, want: Options{Location: time.UTC, Language: "en"}},
		{name: "reads the language in any case, spaces aside", env: map[string]string{"HUMANIZE_LANGUAGE": " PL "}, want: Options{Location: warsaw, Language: "pl"}},
		{name: "without a zone, a shop in Ukrainian reads Kyiv's times", env: map[string]string{"HUMANIZE_LANGUAGE": "uk"}, want: Options{Location: kyiv, Language: "uk"}},
		{name: "without a zone, a shop in Polish reads Warsaw's times", env: map[string]string{"HUMANIZE_LANGUAGE": "pl"}, want: Options{Location: warsaw, Language: "pl"}},
		{name: "DISPLAY_TIMEZONE wins over the language's zone", env: map[string]string{"HUMANIZE_LANGUAGE": "uk", "DISPLAY_TIMEZONE": "UTC"}, want: Options{Location: time.UTC, Language: "uk"}},
		{name: "an old zone name loads under the new one", env: map[string]string{"DISPLAY_TIMEZONE": " Europe/Kiev "}, want: Options{Location: kyiv, Language: "en"}},
		{name: "the channel's language wins over HUMANIZE_LANGUAGE; the zone stays the shop's", languageEnv: "SLACK_LANGUAGE",
			env: map[string]string{"HUMANIZE_LANGUAGE": "uk", "SLACK_LANGUAGE": "en"}, want: Options{Location: kyiv, Language: "en"}},
		{name: "a channel in Ukrainian for a shop in English keeps UTC", languageEnv: "TELEGRAM_LANGUAGE",
			env: map[string]string{"TELEGRAM_LANGUAGE": "uk"}, want: Options{Location: time.UTC, Language: "uk"}},
		{name: "an empty channel language leaves HUMANIZE_LANGUAGE's", languageEnv: "SLACK_LANGUAGE",
			env: map[string]string{"HUMANIZE_LANGUAGE": "uk", "SLACK_LANGUAGE": " "}, want: Options{Location: kyiv, Language: "uk"}},
		{name: "another channel's language is not read", languageEnv: "EMAIL_LANGUAGE",
			env: map[string]string{"HUMANIZE_LANGUAGE": "pl", "SLACK_LANGUAGE": "uk"}, want: Options{Location: warsaw, Language: "pl"}},
		{name: "rejects an unknown language, listing the available ones", env: map[string]string{"HUMANIZE_LANGUAGE": "ua"},
			wantErr: "HUMANIZE_LANGUAGE", wantErrToo: "available: " + strings.Join(Languages(), ", ")},
		{name: "rejects an unknown channel language, naming its variable", languageEnv: "TELEGRAM_LANGUAGE",
			env: map[string]string{"HUMANIZE_LANGUAGE": "uk", "TELEGRAM_LANGUAGE": "de"}, wantErr: "TELEGRAM_LANGUAGE", wantErrToo: "available: " + strings.Join(Languages(), ", ")},
		{name: "rejects an unknown HUMANIZE_LANGUAGE even when the channel sets its own", languageEnv: "EMAIL_LANGUAGE",
			env: map[string]string{"HUMANIZE_LANGUAGE": "english", "EMAIL_LANGUAGE": "en"}, wantErr: "HUMANIZE_LANGUAGE"},
		{name: "rejects an unknown zone", env: map[string]string{"DISPLAY_TIMEZONE": "Mars/Olympus"}, wantErr: "DISPLAY_TIMEZONE"},
		{name: "rejects a city, suggesting its zone", env: map[string]string{"DISPLAY_TIMEZONE": "Kyiv"}, wantErr: "DISPLAY_TIMEZONE", wantErrToo: "did you mean Europe/Kyiv?"},
		{name: "rejects a city's old name, suggesting its zone's current one", env: map[string]string{"DISPLAY_TIMEZONE": "Kiev"}, wantErr: "DISPLAY_TIMEZONE", wantErrToo: "did you mean Europe/Kyiv?"},
		{name: "rejects a non-boolean IP switch", env: map[string]string{"HUMANIZE_SHOW_IP": "yes please"}, wantErr: "HUMANIZE_SHOW_IP"},
		{name: "rejects a template without the placeholder", env: map[string]string{"CHAT_URL_TEMPLATE": "https://example.test/chats"}, wantErr: "CHAT_URL_TEMPLATE"},
		{name: "rejects a template that is not http(s)", env: map[string]string{"CHAT_URL_TEMPLATE": "javascript:alert({chat_id})"}, wantErr: "CHAT_URL_TEMPLATE"},
		{name: "rejects a template with a bidirectional override", env: map[string]string{"CHAT_URL_TEMPLATE": "https://example.test/\u202echats/{chat_id}"}, wantErr: "CHAT_URL_TEMPLATE"},
		{name: "rejects a template with a C1 control", env: map[string]string{"CHAT_URL_TEMPLATE": "https://example.test/\u0085chats/{chat_id}"}, wantErr: "CHAT_URL_TEMPLATE"},
		{name: "rejects a template with a line break", env: map[string]string{"CHAT_URL_TEMPLATE": "https://example.test/chats/{chat_id}\r\nX: y"}, wantErr: "CHAT_URL_TEMPLATE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := OptionsFromEnv(func(k string) string { return tc.env[k] }, tc.languageEnv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wantErrToo) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, tc.wantErr, tc.wantErrToo)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Location.String() != tc.want.Location.String() || got.ShowIP != tc.want.ShowIP || got.ChatURLTemplate != tc.want.ChatURLTemplate ||
				got.Language != tc.want.Language {
				t.Errorf("options = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func BenchmarkRenderOrder(b *testing.B) {
	e, err := nicechat.Parse(fixtures.Body(nicechat.TypeNewOrder))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Render(e, Options{}).Text()
	}
}
