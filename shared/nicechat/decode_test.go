package nicechat_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
)

// lenientAsBefore is the views' reading as it was written before they
// took one pass (issue 21): each level decoded by encoding/json into a map
// of raw members, then each known member decoded on its own, which reads
// a nested value again at every level. It is the reference the one-pass
// reading must agree with, nesting bound included; small inputs only.
func lenientAsBefore(raw json.RawMessage, v reflect.Value, depth int) {
	v.SetZero()
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') && depth > nicechat.MaxDepth {
		return
	}
	t := v.Type()
	switch {
	case t.PkgPath() == "github.com/nicechat-relay/nicechat-relay/shared/nicechat" && t.NumField() == 2 && t.Field(1).Name == "Set":
		// A leaf (String, Int, Float, Time): its own UnmarshalJSON.
		_ = json.Unmarshal(raw, v.Addr().Interface())
	case t.Kind() == reflect.Struct:
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			return
		}
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if member, ok := fields[name]; ok {
				lenientAsBefore(member, v.Field(i), depth+1)
			}
		}
	case t.Kind() == reflect.Slice:
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil || elems == nil {
			return
		}
		v.Set(reflect.MakeSlice(t, len(elems), len(elems)))
		for i, e := range elems {
			lenientAsBefore(e, v.Index(i), depth+1)
		}
	case t.Kind() == reflect.Map && t.Elem() == reflect.TypeFor[json.RawMessage]():
		_ = json.Unmarshal(raw, v.Addr().Interface())
	case t.Kind() == reflect.Map:
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil || members == nil {
			return
		}
		v.Set(reflect.MakeMap(t))
		for k, member := range members {
			elem := reflect.New(t.Elem()).Elem()
			lenientAsBefore(member, elem, depth+1)
			v.SetMapIndex(reflect.ValueOf(k), elem)
		}
	default:
		panic("lenientAsBefore: " + t.String())
	}
}

// views are the typed views of an event, each with the reference's
// reading of the same data.
func views(e *nicechat.Event) []struct{ got, want any } {
	ref := func(dst any) any {
		lenientAsBefore(e.Data, reflect.ValueOf(dst).Elem(), 2)
		return reflect.ValueOf(dst).Elem().Interface()
	}
	return []struct{ got, want any }{
		{e.Visitor(), ref(&nicechat.Visitor{})},
		{e.Chat(), ref(&nicechat.Chat{})},
		{e.Order(), ref(&nicechat.Order{})},
		{e.Form(), ref(&nicechat.Form{})},
	}
}

// FuzzViewsReadTheDataAsBefore holds the one-pass reading of the views
// to the one it replaced, on any data: the same fields, lists and maps,
// the same leniency, and nothing below MaxDepth.
func FuzzViewsReadTheDataAsBefore(f *testing.F) {
	for _, b := range seedBodies() {
		f.Add(b)
	}
	f.Add([]byte(`{"event":"push_form","data":{"id":1,"result":[{"data":[{"label":"a","value":1,"label":"b"}],"data":null},7,{"type":"flat","data":{}}]}}`))
	f.Add([]byte(`{"event":"new_order","data":{"id":1,"products":[],"agents":{},"billing_address":{"a":[1, {"b":2}],"a":" x "},"page_utm":{"s":{},"s":"\u0065"}}}`))
	f.Add([]byte(`{"event":"new_chat","data":{"id":1,"client_id":"9007199254740993","geo_lat":"1e3","ts_open":" 2017-06-13 13:53:55 ","sys_time":-0.0}}`))
	f.Add([]byte(`{"event":"push_form","data":{"id":1,"result":` + strings.Repeat(`[{"data":`, 40) + `[]` + strings.Repeat(`}]`, 40) + `}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := nicechat.Parse(b)
		if err != nil {
			return
		}
		for _, v := range views(e) {
			if !reflect.DeepEqual(v.got, v.want) {
				t.Fatalf("%T read as\n%+v\nwant, as before,\n%+v\nfrom %q", v.got, v.got, v.want, e.Data)
			}
		}
	})
}

func TestViewsLeaveOutWhatNestsDeeperThanMaxDepth(t *testing.T) {
	// groups(n) is a form whose result holds n field groups, each inside
	// the previous one's data, the innermost holding one answer: its
	// object is at level 2+2n.
	groups := func(n int) []byte {
		return []byte(`{"event":"push_form","data":{"id":1,"label":"L","result":` +
			strings.Repeat(`[{"data":`, n-1) + `[{"label":"Name","value":"Olena"}]` + strings.Repeat(`}]`, n-1) + `}}`)
	}
	innermost := func(f nicechat.Form) (levels int, answer string) {
		fields := f.Result
		for len(fields) > 0 {
			levels++
			if len(fields[0].Data) == 0 {
				return levels, fields[0].Value.Value
			}
			fields = fields[0].Data
		}
		return levels, ""
	}
	deepest := (nicechat.MaxDepth - 2) / 2
	tests := []struct {
		name       string
		groups     int
		wantLevels int
		wantAnswer string
	}{
		{"a form as deep as the bound is read whole", deepest, deepest, "Olena"},
		{"a form a group deeper loses the group beyond the bound", deepest + 1, deepest, ""},
		{"a form thousands of groups deep keeps what lies within the bound", 3000, deepest, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := nicechat.Parse(groups(tt.groups))
			if err != nil {
				t.Fatal(err)
			}
			f := e.Form()
			if levels, answer := innermost(f); levels != tt.wantLevels || answer != tt.wantAnswer || f.Label.Value != "L" {
				t.Errorf("read %d levels, innermost answer %q, label %q; want %d, %q, \"L\"", levels, answer, f.Label.Value, tt.wantLevels, tt.wantAnswer)
			}
		})
	}
}

// viewBudget is what reading the four views of a body may allocate: a
// bound linear in its size. The costliest byte is in a list of empty
// products: "{}," is a Product of 152 bytes, held twice while its list is
// read (once in the chunks, once in the list).
func viewBudget(bodyBytes int) uint64 { return 64<<10 + 128*uint64(bodyBytes) }

// shapes are bodies up to the largest ingest accepts, deep and wide.
func shapes() []struct {
	name string
	body []byte
} {
	wide := func(head, item, tail string, size int) []byte {
		n := (size - len(head) - len(tail)) / (len(item) + 1)
		return []byte(head + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + tail)
	}
	return []struct {
		name string
		body []byte
	}{
		{"the 55 KB poison form (thousands of nested groups)", nicechattest.DeepForm(55 << 10)},
		{"the 250 KB poison form", nicechattest.DeepForm(250 << 10)},
		{"a 250 KB form of one-letter answers", wide(`{"event":"push_form","data":{"id":1,"result":[`, `{"label":"a","value":"b"}`, `]}}`, 250<<10)},
		{"a 250 KB order of untitled products", wide(`{"event":"new_order","data":{"id":1,"products":[`, `{}`, `]}}`, 250<<10)},
		{"a 250 KB chat of UTM tags", wide(`{"event":"new_chat","data":{"id":1,"page_utm":{`, `"k":"v"`, `}}}`, 250<<10)},
	}
}

func TestViewsTakeMemoryLinearInTheBodysSize(t *testing.T) {
	for _, tt := range shapes() {
		t.Run(tt.name, func(t *testing.T) {
			e, err := nicechat.Parse(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			got := nicechattest.Allocated(func() { _, _, _, _ = e.Visitor(), e.Chat(), e.Order(), e.Form() })
			t.Logf("%d bytes allocated for a %d-byte body", got, len(tt.body))
			if budget := viewBudget(len(tt.body)); got > budget {
				t.Errorf("the four views of %d bytes allocated %d bytes, over the budget of %d", len(tt.body), got, budget)
			}
		})
	}
}

func TestParseCallbackRefusesNestingDeeperThanMaxDepth(t *testing.T) {
	arrays := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name   string
		body   string
		reason string // "" when accepted
		field  string
	}{
		{"a body as deep as the bound", `{"event":"e","data":{"id":1,"x":` + arrays(nicechat.MaxDepth-2) + `}}`, "", ""},
		{"a level deeper in data", `{"event":"e","data":{"id":1,"x":` + arrays(nicechat.MaxDepth-1) + `}}`, "data.x nests deeper than 64 levels", "data.x"},
		{"a level deeper beside data", `{"event":"e","data":{"id":1},"y":` + arrays(nicechat.MaxDepth) + `}`, "y nests deeper than 64 levels", "y"},
		{"under a key that is no plain name", `{"event":"e","data":{"id":1,"a b":` + arrays(nicechat.MaxDepth) + `}}`, "data nests deeper than 64 levels", "data"},
		{"under an escaped key", `{"event":"e","data":{"id":1,"\u0072esult":` + arrays(nicechat.MaxDepth) + `}}`, "data.result nests deeper than 64 levels", "data.result"},
		{"in a data that a later one replaces", `{"event":"e","data":{"x":` + arrays(nicechat.MaxDepth) + `},"data":{"id":1}}`, "data.x nests deeper than 64 levels", "data.x"},
		{"under a top-level key that is no plain name", `{"event":"e","data":{"id":1},"\"":` + arrays(nicechat.MaxDepth) + `}`, "body nests deeper than 64 levels", ""},
		{"the poison form", string(nicechattest.DeepForm(55 << 10)), "data.result nests deeper than 64 levels", "data.result"},
		{"a bracket in a string is no level", `{"event":"e","data":{"id":1,"x":"` + strings.Repeat("[", 100) + `\"` + `"}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := nicechat.Parse([]byte(tt.body)); err != nil {
				t.Fatalf("Parse refuses it: %v", err)
			}
			_, err := nicechat.ParseCallback([]byte(tt.body))
			if tt.reason == "" {
				if err != nil {
					t.Errorf("ParseCallback: %v, want it accepted", err)
				}
				return
			}
			ve, ok := err.(*nicechat.ValidationError)
			if !ok || ve.Reason != tt.reason || ve.Field != tt.field {
				t.Errorf("ParseCallback: %#v, want %q in field %q", err, tt.reason, tt.field)
			}
		})
	}
}

func TestVisitorIDsAboveTwoToThe53StayExact(t *testing.T) {
	ids := []string{"9007199254740993", "9007199254740992", "9223372036854775807", "9223372036854775806"}
	tests := []struct {
		name  string
		write func(id string) string // the id as the body writes it
	}{
		{"a number", func(id string) string { return id }},
		{"a string", func(id string) string { return strconv.Quote(id) }},
		{"a number with a zero fraction", func(id string) string { return id + ".0" }},
		{"a string with spaces and a zero fraction", func(id string) string { return `" ` + id + `.00 "` }},
	}
	for _, typ := range nicechat.KnownTypes {
		for _, tt := range tests {
			if typ == nicechat.TypeNewVisitor && tt.name != "a number" {
				continue // its visitor is data.id, which is strictly a number
			}
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				seen := map[int64]string{}
				for _, id := range ids {
					e, err := nicechat.Parse(withVisitor(t, typ, tt.write(id)))
					if err != nil {
						t.Fatal(err)
					}
					got, ok := e.VisitorID()
					if !ok || strconv.FormatInt(got, 10) != id {
						t.Errorf("visitor %s read as %d, %v", id, got, ok)
					}
					if other, dup := seen[got]; dup {
						t.Errorf("visitors %s and %s are both %d", id, other, got)
					}
					seen[got] = id
				}
			})
		}
	}
}

// withVisitor is the fixture of typ with its visitor's number written as
// id, a JSON value.
func withVisitor(t *testing.T, typ, id string) []byte {
	t.Helper()
	field := map[string]string{
		nicechat.TypeNewVisitor: "id", nicechat.TypeNewChat: "client_id", nicechat.TypeFirstMessage: "client_id",
		nicechat.TypeUnanswered: "client_id", nicechat.TypeNewOrder: "client", nicechat.TypePushForm: "client",
	}[typ]
	var ev map[string]json.RawMessage
	var data map[string]json.RawMessage
	if json.Unmarshal(fixtures.Body(typ), &ev) != nil || json.Unmarshal(ev["data"], &data) != nil {
		t.Fatalf("fixture %s", typ)
	}
	data[field] = json.RawMessage(id)
	ev["data"], _ = json.Marshal(data)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIntReadsWholeNumbersExactly(t *testing.T) {
	tests := []struct {
		json string
		want int64
		set  bool
	}{
		{"9007199254740993", 9007199254740993, true},
		{"9007199254740992", 9007199254740992, true},
		{"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"9223372036854775808", 0, false},
		{`"9007199254740993"`, 9007199254740993, true},
		{"9007199254740993.000", 9007199254740993, true},
		{"12.0", 12, true},
		{"1e3", 1000, true},
		{"-0.0", 0, true},
		{"1.5", 0, false},
		{"1e400", 0, false},
		{`"NaN"`, 0, false},
		{`" 42 "`, 42, true},
		{"true", 0, false},
		{"null", 0, false},
		{"[1]", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			var n nicechat.Int
			if err := json.Unmarshal([]byte(tt.json), &n); err != nil {
				t.Fatal(err)
			}
			if n.Value != tt.want || n.Set != tt.set {
				t.Errorf("read %s as %+v, want %d (set %v)", tt.json, n, tt.want, tt.set)
			}
		})
	}
}
