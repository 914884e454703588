package humanize_test

import (
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestStepIsTheEventInAFewWordsOfTheLanguage(t *testing.T) {
	tests := []struct {
		body []byte
		lang string
		want string
	}{
		{fixtures.Body("new_visitor"), "en", "visit"},
		{fixtures.Body("new_chat"), "en", "new chat"},
		{fixtures.Body("first_message"), "en", "first message"},
		{fixtures.Body("unanswered"), "en", "unanswered"},
		{fixtures.Body("new_order"), "en", "order 1,000.00 UAH"},
		{fixtures.Body("push_form"), "en", "form There are no operators available now"},
		{fixtures.Body("new_order"), "uk", "замовлення 1\u00a0000,00 UAH"},
		{fixtures.Body("unanswered"), "pl", "bez odpowiedzi"},
		{fixtures.Body("new_visitor"), "uk", "новий відвідувач"},
		{fixtures.Body("push_form"), "uk", "заявка «There are no operators available now»"},
		{fixtures.Body("push_form"), "pl", "zgłoszenie „There are no operators available now”"},
		{[]byte(`{"event":"push_form","data":{"id":1}}`), "uk", "заявка з форми"},
		{[]byte(`{"event":"push_form","data":{"id":1,"label":" "}}`), "pl", "zgłoszenie z formularza"},
		{[]byte(`{"event":"new_order","data":{"id":1,"products":[]}}`), "en", "order"},
		{[]byte(`{"event":"push_form","data":{"id":1,"label":"Call me back\nplease, now, right now, without delay, today"}}`), "en", "form Call me back please, now, right now, wi…"},
		{[]byte(`{"event":"agent_joined","data":{"id":1}}`), "uk", "agent_joined"},
		{[]byte(`{"event":"new_order","data":{"id":1,"products":[{"price":1,"currency":"` + strings.Repeat("Ж", 5000) + `"},{"price":2,"currency":"USD"}]}}`), "en",
			"order 1.00 " + strings.Repeat("Ж", 74) + "…"},
	}
	for _, tc := range tests {
		e, err := nicechat.Parse(tc.body)
		if err != nil {
			t.Fatal(err)
		}
		if got := humanize.Step(e, humanize.Options{Language: tc.lang}); got != tc.want {
			t.Errorf("%s in %s = %q, want %q", e.Type, tc.lang, got, tc.want)
		}
	}
}
