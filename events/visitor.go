package fixtures

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// WithVisitorText returns body with every string of its data replaced by
// a and b in turn, and a key a holding b added to every object, so every
// text a renderer can show is the caller's (a fuzzer's): names, cities,
// form labels and values, products, address and UTM keys. Keys are visited
// in order, so the same input always gives the same body. It returns body
// unchanged when a and b are both empty or body has no data object.
func WithVisitorText(body []byte, a, b string) []byte {
	var ev map[string]any
	if a == "" && b == "" || json.Unmarshal(body, &ev) != nil {
		return body
	}
	data, ok := ev["data"].(map[string]any)
	if !ok {
		return body
	}
	texts, n := []string{a, b}, 0
	var replace func(v any) any
	replace = func(v any) any {
		switch v := v.(type) {
		case string:
			n++
			return texts[n%2]
		case []any:
			for i := range v {
				v[i] = replace(v[i])
			}
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				v[k] = replace(v[k])
			}
			v[a] = b
		}
		return v
	}
	replace(data)
	out, _ := json.Marshal(ev)
	return out
}

// Variant is fixture name's body made unique by copy number n: an extra
// data field, which the relay carries like any field it does not know, so
// each copy has its own event id. It panics like Request when the fixture
// has no data object.
func Variant(name string, n int) []byte {
	body := Body(name)
	out := bytes.Replace(body, []byte(`"data": {`), fmt.Appendf(nil, "\"data\": {\n      \"relay_test_copy\": %d,", n), 1)
	if bytes.Equal(out, body) {
		panic("fixtures: " + name + " has no data object to vary")
	}
	return out
}

// visitorField is where each event type names its visitor (see
// nicechat.Event.VisitorID).
var visitorField = map[string]string{
	"new_visitor":   "id",
	"new_chat":      "client_id",
	"first_message": "client_id",
	"unanswered":    "client_id",
	"new_order":     "client",
	"push_form":     "client",
}

// ForVisitor is fixture name's body about visitor number visitor instead
// of the fixtures' own (725), for tests of what the relay does per
// visitor, such as Slack's threads.
func ForVisitor(name string, visitor int64) []byte {
	field, ok := visitorField[name]
	if !ok {
		panic("fixtures: " + name + " names no visitor")
	}
	var ev map[string]any
	if err := json.Unmarshal(Body(name), &ev); err != nil {
		panic("fixtures: " + name + ": " + err.Error())
	}
	ev["data"].(map[string]any)[field] = visitor
	out, _ := json.Marshal(ev)
	return out
}

// chatField is where each event type names its chat: a chat's own events
// by their id, an order or a form by the chat it came from.
var chatField = map[string]string{
	"new_chat":      "id",
	"first_message": "id",
	"unanswered":    "id",
	"new_order":     "chat_id",
	"push_form":     "chat_id",
}

// ForVisitorChat is fixture name's body about visitor number visitor and
// chat number chat instead of the fixtures' own: the same story about
// another lead, with event ids of its own, which the local relay's demo
// posts on each run. new_visitor names no chat, so chat leaves it as
// ForVisitor does. The other numbers stay as the fixture writes them
// (1000.00 is not made 1000). It panics like Request.
func ForVisitorChat(name string, visitor, chat int64) []byte {
	field, ok := visitorField[name]
	if !ok {
		panic("fixtures: " + name + " names no visitor")
	}
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(Body(name)))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		panic("fixtures: " + name + ": " + err.Error())
	}
	data := ev["data"].(map[string]any)
	data[field] = visitor
	if field, ok := chatField[name]; ok {
		data[field] = chat
	}
	out, _ := json.Marshal(ev)
	return out
}
