package nicechat_test

import (
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// fullPath is what ingest checks when Scan says nothing: ParseCallback,
// then the characters SQS carries.
func fullPath(body []byte) (*nicechat.Event, bool) {
	ev, err := nicechat.ParseCallback(body)
	if err != nil {
		return nil, false
	}
	if _, bad := message.Unsendable(body); bad {
		return nil, false
	}
	return ev, true
}

// FuzzScanAgreesWithParse is the differential test of ingest's fast path:
// on every body, Scan accepts exactly what ParseCallback and the SQS
// character check accept, and reads the same type and data.id.
func FuzzScanAgreesWithParse(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	for _, tt := range scanCases {
		f.Add([]byte(tt.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, fast := nicechat.Scan(string(b))
		ev, full := fullPath(b)
		switch {
		case fast && !full:
			t.Fatalf("Scan accepts %q, which Parse or SQS refuses", b)
		case fast && (env.Type != ev.Type || env.DataID != ev.DataID):
			t.Fatalf("Scan reads %q/%d, Parse %q/%d, from %q", env.Type, env.DataID, ev.Type, ev.DataID, b)
		case !fast && full:
			t.Fatalf("Scan leaves %q to Parse, which accepts it", b)
		}
	})
}

var scanCases = []struct {
	name string
	body string
	ok   bool
	typ  string
	id   int64
}{
	{"a plain envelope", `{"event":"new_chat","data":{"id":7}}`, true, "new_chat", 7},
	{"whitespace around and between", " \t{ \"data\" : { \"id\" : -3 } ,\r\n\"event\" : \"x\" }\n", true, "x", -3},
	{"unknown fields of every kind", `{"event":"a.b:c-d_9","data":{"x":[1,-0.5e+3,true,false,null,{"y":[]},"\u00e9\"\\\/\b\f\n\r\t"],"id":0},"z":{}}`, true, "a.b:c-d_9", 0},
	{"the smallest and largest int64", `{"event":"e","data":{"id":-9223372036854775808},"x":{"data":{"id":9223372036854775807}}}`, true, "e", -9223372036854775808},
	{"the last of duplicate keys counts", `{"event":5,"data":{"id":"1","id":2},"event":"late","data":{"id":3}}`, true, "late", 3},
	{"a duplicate that breaks it", `{"event":"e","data":{"id":1},"data":null}`, false, "", 0},
	{"an id that is overwritten by a bad one", `{"event":"e","data":{"id":1,"id":1.5}}`, false, "", 0},
	{"escaped keys decode", `{"\u0065vent":"e","d\u0061ta":{"\u0069d":4}}`, true, "e", 4},
	{"an escaped type decodes", `{"event":"new\u005fchat","data":{"id":1}}`, true, "new_chat", 1},
	{"an escaped character a type may not hold", `{"event":"new\u0020chat","data":{"id":1}}`, false, "", 0},
	{"a key that only looks like event", `{"event ":"e","event":"f","data":{"id":1},"\u0065vent\u0000":1}`, true, "f", 1},
	{"Cyrillic and emoji", `{"event":"e","data":{"id":1,"n":"Примет 🎉"}}`, true, "e", 1},
	{"U+FFFF, which SQS refuses", "{\"event\":\"e\",\"data\":{\"id\":1,\"n\":\"\uffff\"}}", false, "", 0},
	{"U+FFFE, which SQS refuses", "{\"event\":\"e\",\"data\":{\"id\":1,\"n\":\"\ufffe\"}}", false, "", 0},
	{"U+FFFF escaped, which travels as text", `{"event":"e","data":{"id":1,"n":"\uffff"}}`, true, "e", 1},
	{"invalid UTF-8", "{\"event\":\"e\",\"data\":{\"id\":1,\"n\":\"\xff\"}}", false, "", 0},
	{"a raw control character", "{\"event\":\"e\",\"data\":{\"id\":1,\"n\":\"\x01\"}}", false, "", 0},
	{"trailing garbage", `{"event":"e","data":{"id":1}} x`, false, "", 0},
	{"a leading zero", `{"event":"e","data":{"id":01}}`, false, "", 0},
	{"an id beyond int64", `{"event":"e","data":{"id":9223372036854775808}}`, false, "", 0},
	{"an exponent", `{"event":"e","data":{"id":1e2}}`, false, "", 0},
	{"a type of 64 characters", `{"event":"` + strings.Repeat("t", 64) + `","data":{"id":1}}`, true, strings.Repeat("t", 64), 1},
	{"a type of 65 characters", `{"event":"` + strings.Repeat("t", 65) + `","data":{"id":1}}`, false, "", 0},
	{"an empty type", `{"event":"","data":{"id":1}}`, false, "", 0},
	{"no data", `{"event":"e"}`, false, "", 0},
	{"an empty object", `{}`, false, "", 0},
	{"an array", `[{"event":"e","data":{"id":1}}]`, false, "", 0},
	{"nesting MaxDepth levels in data", `{"event":"e","data":{"id":1,"x":` + strings.Repeat("[", nicechat.MaxDepth-2) + strings.Repeat("]", nicechat.MaxDepth-2) + `}}`, true, "e", 1},
	{"nesting a level deeper in data", `{"event":"e","data":{"id":1,"x":` + strings.Repeat("[", nicechat.MaxDepth-1) + strings.Repeat("]", nicechat.MaxDepth-1) + `}}`, false, "", 0},
	{"nesting MaxDepth levels beside data", `{"event":"e","data":{"id":1},"x":` + strings.Repeat(`{"a":`, nicechat.MaxDepth-1) + "0" + strings.Repeat("}", nicechat.MaxDepth-1) + `}`, true, "e", 1},
	{"nesting a level deeper beside data", `{"event":"e","data":{"id":1},"x":` + strings.Repeat(`{"a":`, nicechat.MaxDepth) + "0" + strings.Repeat("}", nicechat.MaxDepth) + `}`, false, "", 0},
	{"an event nesting a level too deep", `{"data":{"id":1},"event":` + strings.Repeat("[", nicechat.MaxDepth) + strings.Repeat("]", nicechat.MaxDepth) + `,"event":"e"}`, false, "", 0},
	{"an unclosed array", `{"event":"e","data":{"id":1,"x":[1,2}}`, false, "", 0},
	{"a trailing comma", `{"event":"e","data":{"id":1,}}`, false, "", 0},
}

func TestScanReadsTheEnvelopeOrLeavesTheBodyToParse(t *testing.T) {
	for _, tt := range scanCases {
		t.Run(tt.name, func(t *testing.T) {
			env, ok := nicechat.Scan(tt.body)
			if ok != tt.ok || env.Type != tt.typ || env.DataID != tt.id {
				t.Errorf("Scan = %+v, %v; want %q, %d, %v", env, ok, tt.typ, tt.id, tt.ok)
			}
			ev, full := fullPath([]byte(tt.body))
			if ok && (!full || ev.Type != env.Type || ev.DataID != env.DataID) {
				t.Errorf("Parse disagrees: %+v, %v", ev, full)
			}
		})
	}
}

func TestScanAcceptsTheVendorExamplesAndRefusesTheMalformedOnes(t *testing.T) {
	for _, b := range seedBodies() {
		env, ok := nicechat.Scan(string(b))
		ev, full := fullPath(b)
		if ok != full || ok && (env.Type != ev.Type || env.DataID != ev.DataID) {
			t.Errorf("Scan = %+v, %v; Parse = %+v, %v for %.60q", env, ok, ev, full, b)
		}
	}
}

func TestEventIDStringIsEventID(t *testing.T) {
	for _, b := range seedBodies() {
		if got, want := nicechat.EventIDString(string(b)), nicechat.EventID(b); got != want {
			t.Errorf("EventIDString = %s, EventID = %s", got, want)
		}
	}
}
