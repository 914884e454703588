package fixtures_test

import (
	"bytes"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

func TestForVisitorChatIsTheSameStoryAboutAnotherLead(t *testing.T) {
	const visitor, chat = 480213, 917341
	for _, tt := range []struct {
		typ  string
		chat func(*nicechat.Event) int64 // nil: the type names no chat
	}{
		{nicechat.TypeNewVisitor, nil},
		{nicechat.TypeNewChat, func(e *nicechat.Event) int64 { return e.DataID }},
		{nicechat.TypeFirstMessage, func(e *nicechat.Event) int64 { return e.DataID }},
		{nicechat.TypeUnanswered, func(e *nicechat.Event) int64 { return e.DataID }},
		{nicechat.TypeNewOrder, func(e *nicechat.Event) int64 { return e.Order().ChatID.Value }},
		{nicechat.TypePushForm, func(e *nicechat.Event) int64 { return e.Form().ChatID.Value }},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			body := fixtures.ForVisitorChat(tt.typ, visitor, chat)
			ev, err := nicechat.Parse(body)
			if err != nil || ev.Type != tt.typ {
				t.Fatalf("Parse = %+v, %v", ev, err)
			}
			if id, _ := ev.VisitorID(); id != visitor {
				t.Errorf("visitor %d, want %d", id, visitor)
			}
			if tt.chat != nil && tt.chat(ev) != chat {
				t.Errorf("chat %d, want %d", tt.chat(ev), chat)
			}
			if nicechat.EventID(body) == nicechat.EventID(fixtures.Body(tt.typ)) {
				t.Error("the body has the fixture's own event id")
			}
			if again := fixtures.ForVisitorChat(tt.typ, visitor+1, chat+1); bytes.Equal(again, body) {
				t.Error("another visitor and chat give the same body")
			}
		})
	}
}

func TestForVisitorChatKeepsTheFixturesNumbersAsWritten(t *testing.T) {
	body := fixtures.ForVisitorChat(nicechat.TypeNewOrder, 1, 2)
	for _, want := range []string{`"price":1000.00`, `"geoCountry":"Ukraine"`, `"id":23`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the body has no %s: %s", want, body)
		}
	}
}
