// Package humanizetest helps the humane channels' tests check that a
// message is wholly in the language asked for. It is for tests only.
package humanizetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Event is a body to render, named for the test.
type Event struct {
	Name string
	Body []byte
}

// Events cover every text of the catalogs a message of humanize can show:
// each event type with every field set, and without the name, place or
// label that a fallback text stands in for. Every visitor string in them
// is Ukrainian (or a number, a date or an address), so any Latin word a
// rendering of them holds comes from the catalog, the event's type and id,
// or the chat link.
func Events() []Event {
	var events []Event
	add := func(name, body string) { events = append(events, Event{name, []byte(body)}) }

	add("new_visitor", `{"event":"new_visitor","data":{"id":725,"client_name":"Олена Бондар","visit_count":3,"chat_count":1,`+
		`"purchase_count":12345,"first_ts":"2017-06-13T13:53:55+00:00","last_activity_ts":"2017-06-14T09:00:00+00:00"}}`)
	add("new_visitor_nameless", `{"event":"new_visitor","data":{"id":7}}`)
	for _, typ := range []string{"new_chat", "first_message", "unanswered"} {
		add(typ, `{"event":"`+typ+`","data":{"id":109,"client_id":725,"client_name":"Олена","geoCity":"Київ","geoCountry":"Україна",`+
			`"sys_lang_full":"українська","sys_browser":"Хром","sys_os":"Андроїд","sys_ip":"193.151.12.99","page_ref":"пошук",`+
			`"page_utm":{"джерело":"розсилка"},"ts_open":"2017-06-13T18:21:29+00:00","ts_close":"2017-06-13T18:40:00+00:00"}}`)
	}
	add("new_chat_numbered", `{"event":"new_chat","data":{"id":7,"client_id":9,"geoCountry":"Польща"}}`)
	add("unanswered_anonymous", `{"event":"unanswered","data":{"id":7}}`)
	add("new_order", `{"event":"new_order","data":{"id":23,"chat_id":170,"order_num":"Б-17","qty":3,"order_date":"2017-06-13T13:54:45+00:00",`+
		`"products":[{"title":"Сукня","price":2648.99,"currency":"PLN","qty":2},{"price":100,"currency":"PLN"}],`+
		`"agents":[{"first_name":"Ірина","last_name":"Коваль","email":"iryna@example.com"}],`+
		`"product_detail":{"geoCity":"Львів","geoCountry":"Україна","sysLangFull":"українська","sysBrowser":"Хром","sysOs":"Андроїд","sysIp":"193.151.12.99"},`+
		`"shipping_address":{"місто":"Львів"},"billing_address":{"місто":"Київ"}}}`)
	add("new_order_unnumbered", `{"event":"new_order","data":{"id":24,"order_num":"n/a","qty":1}}`)
	add("push_form", `{"event":"push_form","data":{"id":10,"chat_id":172,"created":"2017-06-13T18:25:53+00:00","label":"Зворотний дзвінок",`+
		`"result":[{"type":"text","label":"Ім'я","value":"Олена"},{"value":"без підпису"}]}}`)
	add("push_form_unlabelled", `{"event":"push_form","data":{"id":11}}`)
	add("unknown_type", `{"event":"new_review","data":{"id":5,"оцінка":5,"":"порожній ключ"}}`)

	// A form too long for any channel, so Slack and Telegram say what they
	// left out.
	var fields []string
	for range 120 {
		fields = append(fields, `{"type":"textarea","label":"Повідомлення","value":"`+strings.Repeat("ж", 2990)+`"}`)
	}
	add("push_form_huge", `{"event":"push_form","data":{"id":12,"chat_id":173,"label":"Анкета","result":[`+strings.Join(fields, ",")+`]}}`)
	return events
}

// Location is where a shop writing in lang most likely is, so golden files
// show the times its owner would read: the zone its catalog gives when
// DISPLAY_TIMEZONE is unset (Europe/Kyiv for uk, Europe/Warsaw for pl,
// UTC for en).
func Location(t testing.TB, lang string) *time.Location {
	t.Helper()
	c, err := humanize.CatalogFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	return c.Zone()
}

// Fixtures are the events/ fixtures, one per event type as Nice Chat
// sends it (its own words in them: a visitor named "Guest", a referrer
// "(direct)", a browser language "uk"), and the chat of a visitor whose
// browser is in German and whose visit had no referrer at all.
func Fixtures() []Event {
	var events []Event
	for _, typ := range nicechat.KnownTypes {
		events = append(events, Event{typ, fixtures.Body(typ)})
	}
	var chat map[string]any
	if err := json.Unmarshal(fixtures.Body(nicechat.TypeFirstMessage), &chat); err != nil {
		panic(err)
	}
	data := chat["data"].(map[string]any)
	data["sys_lang"], data["sys_lang_full"] = "de", "de-DE"
	delete(data, "page_ref")
	body, _ := json.Marshal(chat)
	return append(events, Event{"first_message_german_no_referrer", body})
}

// vendorWords are what Nice Chat writes in an event's data for what it
// does not know: the message says them in its own language, so
// DataTexts keeps them for Untranslated to find.
var vendorWords = []string{"Guest", "(direct)"}

// DataTexts are the texts of body's data, its keys and string values at
// every depth (names, messages, URLs, product titles, form labels): what
// a message shows as sent, to be cut out before looking for words the
// relay left untranslated. The vendor's own words are left in.
func DataTexts(body []byte) []string {
	var ev struct{ Data any }
	if err := json.Unmarshal(body, &ev); err != nil {
		panic(err)
	}
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if !slices.Contains(vendorWords, strings.TrimSpace(v)) {
				texts = append(texts, v)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				texts = append(texts, k)
				walk(x)
			}
		}
	}
	walk(ev.Data)
	return texts
}

// AllowedLatin are the words of Latin letters a message in any language
// may hold: the brands it names, the currencies, and UTC.
var AllowedLatin = []string{"Nice", "Chat", "Slack", "Telegram", "UTM", "UTC", "UAH", "PLN", "USD", "EUR"}

// Untranslated returns what text, a message in lang, shows that is neither
// lang's nor the event's: the name of any event type (new_chat, …), and
// each word of three or more ASCII letters that AllowedLatin does not
// hold and lang's catalog does not use (a word English uses too does not
// count as lang's: a Polish "lead" is English). strip are cut out of text
// first, longest first: what came from the event (DataTexts), its id, the
// chat link.
func Untranslated(t testing.TB, lang, text string, strip ...string) []string {
	t.Helper()
	var found []string
	for _, typ := range nicechat.KnownTypes {
		if strings.Contains(text, typ) {
			found = append(found, typ)
		}
	}
	allowed := map[string]bool{}
	for _, w := range AllowedLatin {
		allowed[strings.ToLower(w)] = true
	}
	if lang != "en" {
		english := catalogWords(t, "en")
		for w := range catalogWords(t, lang) {
			if !english[w] {
				allowed[w] = true
			}
		}
	}
	strip = slices.Clone(strip)
	slices.SortFunc(strip, func(a, b string) int { return len(b) - len(a) })
	for _, x := range strip {
		text = cutWhole(text, x)
	}
	for _, w := range words(text) {
		if len(w) >= 3 && isASCII(w) && !allowed[w] && !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	return found
}

// cutWhole cuts x out of text where it is not part of a longer word: a
// visitor's language "uk" goes, the "uk" in "Produkty" stays.
func cutWhole(text, x string) string {
	if x == "" {
		return text
	}
	first, size := utf8.DecodeRuneInString(x)
	last, _ := utf8.DecodeLastRuneInString(x)
	var b strings.Builder
	kept := 0 // text[:kept] is written
	for from := 0; ; {
		i := strings.Index(text[from:], x)
		if i < 0 {
			break
		}
		i += from
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(x):])
		if unicode.IsLetter(first) && unicode.IsLetter(before) || unicode.IsLetter(last) && unicode.IsLetter(after) {
			from = i + size
			continue
		}
		b.WriteString(text[kept:i])
		b.WriteByte(' ')
		kept = i + len(x)
		from = kept
	}
	b.WriteString(text[kept:])
	return b.String()
}

// catalogWords are the lower-cased words of lang's catalog.
func catalogWords(t testing.TB, lang string) map[string]bool {
	t.Helper()
	c, err := humanize.CatalogFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	ws := map[string]bool{}
	for _, s := range c.Texts() {
		for _, w := range words(withoutPlaceholders(s)) {
			ws[w] = true
		}
	}
	return ws
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Translations are the languages other than English.
func Translations() []string {
	return slices.DeleteFunc(humanize.Languages(), func(l string) bool { return l == "en" })
}

// EnglishWords returns the words of English's catalog that text holds but
// lang's catalog never uses: the words a translation left in English.
// Words are runs of letters, compared without case; a word both catalogs
// use ("Slack", "Telegram", "UTM", "IP", "Nice Chat") does not count.
// exclude are cut from text first: the event's type and id, the chat link.
func EnglishWords(t testing.TB, lang, text string, exclude ...string) []string {
	t.Helper()
	en, err := humanize.CatalogFor("en")
	if err != nil {
		t.Fatal(err)
	}
	other, err := humanize.CatalogFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	english := map[string]bool{}
	for _, s := range en.Texts() {
		for _, w := range words(withoutPlaceholders(s)) {
			english[w] = true
		}
	}
	for _, s := range other.Texts() {
		for _, w := range words(withoutPlaceholders(s)) {
			delete(english, w)
		}
	}
	for _, x := range exclude {
		if x != "" {
			text = strings.ReplaceAll(text, x, " ")
		}
	}
	var found []string
	for _, w := range words(text) {
		if english[w] && !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	return found
}

// words are the lower-cased runs of letters of s.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
}

// withoutPlaceholders is a catalog text with its {names} cut out.
func withoutPlaceholders(s string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(s, '{')
		end := strings.IndexByte(s, '}')
		if open < 0 || end < open {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:open])
		b.WriteByte(' ')
		s = s[end+1:]
	}
}
