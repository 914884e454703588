// Package humanizetest helps the humane channels' tests check that a
// message is wholly in the language asked for. It is for tests only.
package humanizetest

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
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
// show the times its owner would read: Europe/Kyiv for uk, Europe/Warsaw
// for pl, else UTC.
func Location(t testing.TB, lang string) *time.Location {
	t.Helper()
	zone, ok := map[string]string{"uk": "Europe/Kyiv", "pl": "Europe/Warsaw"}[lang]
	if !ok {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	return loc
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
