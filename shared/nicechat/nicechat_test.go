package nicechat_test

import (
	"regexp"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func fixture(t *testing.T, name string) *nicechat.Event {
	t.Helper()
	ev, err := nicechat.Parse(fixtures.Body(name))
	if err != nil {
		t.Fatalf("fixture %s does not parse: %v", name, err)
	}
	return ev
}

func TestEventIDIsStableURLSafeAndDistinct(t *testing.T) {
	format := regexp.MustCompile(`^evt_[a-z2-7]{26}$`)
	bodies := []string{`{"event":"new_chat","data":{"id":1}}`, `{"event":"new_chat","data":{"id":2}}`, `{"event":"new_chat","data":{"id":1}} `, ""}
	seen := map[string]string{}
	for _, b := range bodies {
		id := nicechat.EventID([]byte(b))
		if !format.MatchString(id) {
			t.Errorf("EventID(%q) = %q, want evt_ + 26 base32 characters", b, id)
		}
		if again := nicechat.EventID([]byte(b)); again != id {
			t.Errorf("EventID(%q) changed between calls: %s then %s", b, id, again)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("bodies %q and %q share the id %s", b, other, id)
		}
		seen[id] = b
	}
	// A known vector pins the derivation, so ids stay stable across releases.
	if got := nicechat.EventID([]byte(`{"event":"new_chat","data":{"id":1}}`)); got != "evt_sk5n5xiwcotkahxfmbqezd4knb" {
		t.Errorf("EventID derivation changed: %s", got)
	}
}

func TestParseReadsTheEnvelope(t *testing.T) {
	ev := fixture(t, "new_order")
	if ev.Type != "new_order" || ev.DataID != 23 || ev.ID != nicechat.EventID(ev.Raw) {
		t.Errorf("parsed %+v", ev)
	}
	if !nicechat.IsKnownType(ev.Type) || nicechat.IsKnownType("new_ordr") {
		t.Errorf("IsKnownType is wrong")
	}
}

func TestTypedViewsReadTheVendorExamples(t *testing.T) {
	visitor := fixture(t, "new_visitor").Visitor()
	if visitor.ClientName.Value != "Guest" || !visitor.VisitCount.Set || visitor.VisitCount.Value != 0 ||
		!visitor.FirstSeen.Value.Equal(time.Date(2017, 6, 13, 13, 53, 55, 0, time.UTC)) {
		t.Errorf("visitor = %+v", visitor)
	}
	chat := fixture(t, "first_message").Chat()
	if chat.City.Value != "Kryvyy Rih" || chat.Country.Value != "Ukraine" || chat.Browser.Value != "Chrome 59.0.3071.86" ||
		chat.TimeOffset.Value != -180 || chat.Closed.Set || !chat.Opened.Set {
		t.Errorf("chat = %+v", chat)
	}
	order := fixture(t, "new_order").Order()
	if len(order.Products) != 1 || order.Products[0].Title.Value != "Примет товара" || order.Products[0].Price.Value != 1000 ||
		order.Products[0].Currency.Value != "UAH" || len(order.Agents) != 1 || order.Agents[0].LastName.Value != "adminus" ||
		order.Detail.City.Value != "Kryvyy Rih" || order.OrderNum.Value != "n/a" {
		t.Errorf("order = %+v", order)
	}
	form := fixture(t, "push_form").Form()
	if form.Label.Value != "There are no operators available now" || len(form.Result) != 2 || len(form.Result[1].Data) != 2 ||
		form.Result[1].Data[0].Label.Value != "Name" || form.Result[1].Data[0].Value.Value != "My name is Test" {
		t.Errorf("form = %+v", form)
	}
}

func TestTypedViewsAreLenient(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		check func(t *testing.T, ev *nicechat.Event)
	}{
		{"numbers sent as strings", `{"id":1,"visit_count":"5","chat_count":" 2 ","client_name":42}`, func(t *testing.T, ev *nicechat.Event) {
			v := ev.Visitor()
			if v.VisitCount.Value != 5 || v.ChatCount.Value != 2 || v.ClientName.Value != "42" {
				t.Errorf("visitor = %+v", v)
			}
		}},
		{"nulls and odd types leave fields unset", `{"id":1,"visit_count":null,"first_ts":"yesterday","client_name":{"a":1},"chat_count":1.5}`, func(t *testing.T, ev *nicechat.Event) {
			v := ev.Visitor()
			if v.VisitCount.Set || v.FirstSeen.Set || v.ClientName.Set || v.ChatCount.Set {
				t.Errorf("visitor = %+v", v)
			}
		}},
		{"an odd field does not hide the others", `{"id":1,"products":"none","agents":[{"first_name":"Ann"},7],"product_detail":"x","qty":"3"}`, func(t *testing.T, ev *nicechat.Event) {
			o := ev.Order()
			if o.Products != nil || len(o.Agents) != 2 || o.Agents[0].FirstName.Value != "Ann" || o.Qty.Value != 3 || o.Detail.City.Set {
				t.Errorf("order = %+v", o)
			}
		}},
		{"prices as strings", `{"id":1,"products":[{"title":"T","price":"19.90","qty":"2"}]}`, func(t *testing.T, ev *nicechat.Event) {
			p := ev.Order().Products[0]
			if p.Price.Value != 19.9 || p.Qty.Value != 2 {
				t.Errorf("product = %+v", p)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := nicechat.Parse([]byte(`{"event":"x","data":` + tt.data + `}`))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, ev)
		})
	}
}

func TestVisitorIDIsWhereEachEventTypeNamesItsVisitor(t *testing.T) {
	tests := []struct {
		body   string
		want   int64
		wantOK bool
	}{
		{`{"event":"new_visitor","data":{"id":725}}`, 725, true},
		{`{"event":"new_chat","data":{"id":109,"client_id":725}}`, 725, true},
		{`{"event":"first_message","data":{"id":109,"client_id":"725"}}`, 725, true},
		{`{"event":"unanswered","data":{"id":109,"client_id":726}}`, 726, true},
		{`{"event":"new_order","data":{"id":23,"client":725}}`, 725, true},
		{`{"event":"push_form","data":{"id":10,"client":725}}`, 725, true},
		{`{"event":"new_chat","data":{"id":109}}`, 0, false},
		{`{"event":"new_order","data":{"id":23,"client":0}}`, 0, false},
		{`{"event":"push_form","data":{"id":10,"client":"someone"}}`, 0, false},
		{`{"event":"agent_joined","data":{"id":1,"client_id":725}}`, 0, false},
	}
	for _, tc := range tests {
		e, err := nicechat.Parse([]byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := e.VisitorID(); got != tc.want || ok != tc.wantOK {
			t.Errorf("%s: VisitorID = %d, %v; want %d, %v", tc.body, got, ok, tc.want, tc.wantOK)
		}
	}
}
