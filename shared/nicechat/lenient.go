package nicechat

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The leaf types below never fail to decode: a value of an odd type or a
// null leaves them unset (Set false), so one odd field never hides the rest
// of an event from the reader.

// String is a text field; numbers and booleans are kept as their text.
type String struct {
	Value string
	Set   bool
}

func (s *String) UnmarshalJSON(b []byte) error {
	*s = String{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if json.Unmarshal(b, &v) == nil {
			*s = String{Value: v, Set: true}
		}
	case 't', 'f':
		*s = String{Value: string(b), Set: true}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		*s = String{Value: string(b), Set: true}
	}
	return nil
}

// Present reports whether the field holds a non-blank text.
func (s String) Present() bool { return s.Set && strings.TrimSpace(s.Value) != "" }

// Int is a whole number; "12" and 12.0 are accepted as 12.
type Int struct {
	Value int64
	Set   bool
}

func (n *Int) UnmarshalJSON(b []byte) error {
	*n = Int{}
	if f, ok := number(b); ok && f == float64(int64(f)) {
		*n = Int{Value: int64(f), Set: true}
	}
	return nil
}

// Float is a number; "1000.00" is accepted as 1000.
type Float struct {
	Value float64
	Set   bool
}

func (n *Float) UnmarshalJSON(b []byte) error {
	*n = Float{}
	if f, ok := number(b); ok {
		*n = Float{Value: f, Set: true}
	}
	return nil
}

func number(b []byte) (float64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return 0, false
	}
	text := string(b)
	if b[0] == '"' {
		if json.Unmarshal(b, &text) != nil {
			return 0, false
		}
		text = strings.TrimSpace(text)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// Time is an RFC 3339 timestamp (Nice Chat sends "2017-06-13T13:53:55+00:00").
type Time struct {
	Value time.Time
	Set   bool
}

func (t *Time) UnmarshalJSON(b []byte) error {
	*t = Time{}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			*t = Time{Value: v, Set: true}
			return nil
		}
	}
	return nil
}

// decodeLenient fills the struct dst points to from a JSON object, field by
// field: a field whose value has the wrong shape is left zero instead of
// failing the whole object. A body that is not an object leaves dst zero.
func decodeLenient(b []byte, dst any) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(b, &fields) != nil {
		return
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		raw, ok := fields[name]
		if !ok {
			continue
		}
		field := v.Field(i)
		if err := json.Unmarshal(raw, field.Addr().Interface()); err != nil {
			field.Set(reflect.Zero(field.Type()))
		}
	}
}
