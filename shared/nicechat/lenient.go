package nicechat

import (
	"math"
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

func (s *String) UnmarshalJSON(b []byte) error { decodeView(b, s, 1); return nil }

func (s *String) decodeScalar(kind byte, text string) {
	*s = String{}
	if kind != 'n' {
		*s = String{Value: text, Set: true}
	}
}

// Present reports whether the field holds a non-blank text.
func (s String) Present() bool { return s.Set && strings.TrimSpace(s.Value) != "" }

// Int is a whole number; "12" and 12.0 are accepted as 12. An integer
// written as one (or with a zero fraction) is read exactly, whatever its
// size within int64: visitor ids above 2^53 stay distinct.
type Int struct {
	Value int64
	Set   bool
}

func (n *Int) UnmarshalJSON(b []byte) error { decodeView(b, n, 1); return nil }

func (n *Int) decodeScalar(kind byte, text string) {
	*n = Int{}
	if kind != '0' && kind != '"' {
		return
	}
	text = strings.TrimSpace(text)
	if v, ok := exactInt(text); ok {
		*n = Int{Value: v, Set: true}
		return
	}
	// Other notations (1e3) are read as a float64, whole and in range.
	if f, ok := number(kind, text); ok && f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
		*n = Int{Value: int64(f), Set: true}
	}
}

// exactInt reads a decimal integer, also one with a zero fraction
// ("12.00"), without going through float64.
func exactInt(text string) (int64, bool) {
	if whole, frac, ok := strings.Cut(text, "."); ok {
		if strings.Trim(frac, "0") != "" || whole == "" || whole == "-" || whole == "+" {
			return 0, false
		}
		text = whole
	}
	v, err := strconv.ParseInt(text, 10, 64)
	return v, err == nil
}

// Float is a number; "1000.00" is accepted as 1000.
type Float struct {
	Value float64
	Set   bool
}

func (n *Float) UnmarshalJSON(b []byte) error { decodeView(b, n, 1); return nil }

func (n *Float) decodeScalar(kind byte, text string) {
	*n = Float{}
	if f, ok := number(kind, text); ok {
		*n = Float{Value: f, Set: true}
	}
}

// number reads a JSON number, or a string holding one.
func number(kind byte, text string) (float64, bool) {
	if kind != '0' && kind != '"' {
		return 0, false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	return f, err == nil
}

// Time is an RFC 3339 timestamp (Nice Chat sends "2017-06-13T13:53:55+00:00").
type Time struct {
	Value time.Time
	Set   bool
}

func (t *Time) UnmarshalJSON(b []byte) error { decodeView(b, t, 1); return nil }

func (t *Time) decodeScalar(kind byte, s string) {
	*t = Time{}
	if kind != '"' {
		return
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if v, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			*t = Time{Value: v, Set: true}
			return
		}
	}
}
