// Package nicechat holds the Nice Chat callback contract: the event
// envelope, its stable id, and lenient typed views of each event's data.
package nicechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// The event types the vendor documents. Others are accepted too: Nice Chat
// says its callbacks are still growing.
const (
	TypeNewVisitor   = "new_visitor"
	TypeNewChat      = "new_chat"
	TypeFirstMessage = "first_message"
	TypeUnanswered   = "unanswered"
	TypeNewOrder     = "new_order"
	TypePushForm     = "push_form"
)

// KnownTypes lists the documented event types in the vendor's order.
var KnownTypes = []string{TypeNewVisitor, TypeNewChat, TypeFirstMessage, TypeUnanswered, TypeNewOrder, TypePushForm}

// IsKnownType reports whether t is one of the documented event types.
func IsKnownType(t string) bool {
	for _, k := range KnownTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Event is a parsed callback. Raw is the body exactly as received: it is
// what travels on, so fields this package does not know are never lost.
type Event struct {
	Type   string
	DataID int64
	ID     string
	Raw    []byte
	Data   json.RawMessage
}

// ValidationError says what is wrong with a body and where (a JSON path
// such as "data.id"; empty when the body as a whole is at fault).
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Reason }

// invalid builds a ValidationError whose reason starts with the field's
// path, so it reads as a sentence on its own: "data.id is required".
func invalid(field, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	if field != "" {
		reason = field + " " + reason
	}
	return &ValidationError{Field: field, Reason: reason}
}

// Parse checks the envelope strictly: a JSON object whose "event" is a
// non-empty string and whose "data" is an object with an integer "id".
// The per-type fields are not checked here; they are read leniently by
// the typed views.
func Parse(raw []byte) (*Event, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, invalid("", "body is empty")
	}
	if !utf8.Valid(raw) {
		return nil, invalid("", "body is not valid UTF-8")
	}
	var envelope map[string]json.RawMessage
	if err := json.Unmarshal(raw, &envelope); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, invalid("", "body is not valid JSON: %s at byte %d", syntax.Error(), syntax.Offset)
		}
		return nil, invalid("", "body is not a JSON object")
	}
	if envelope == nil {
		return nil, invalid("", "body is not a JSON object")
	}

	var eventType string
	rawType, ok := envelope["event"]
	if !ok {
		return nil, invalid("event", "is required")
	}
	if err := json.Unmarshal(rawType, &eventType); err != nil || isNull(rawType) {
		return nil, invalid("event", "must be a string, got %s", jsonKind(rawType))
	}
	if eventType == "" {
		return nil, invalid("event", "must not be empty")
	}
	if len(eventType) > maxTypeLength {
		return nil, invalid("event", "is longer than %d characters", maxTypeLength)
	}
	if !validType(eventType) {
		return nil, invalid("event", "may only hold letters, digits and _ . : - (got %q)", eventType)
	}

	rawData, ok := envelope["data"]
	if !ok {
		return nil, invalid("data", "is required")
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(rawData, &data); err != nil || data == nil {
		return nil, invalid("data", "must be an object, got %s", jsonKind(rawData))
	}
	rawID, ok := data["id"]
	if !ok {
		return nil, invalid("data.id", "is required")
	}
	id, err := parseStrictInt(rawID)
	if err != nil {
		return nil, invalid("data.id", "%s", err)
	}

	return &Event{Type: eventType, DataID: id, ID: EventID(raw), Raw: raw, Data: rawData}, nil
}

// MaxDepth bounds how deep a callback's JSON nests, counting the body's
// own object as level 1 (data is level 2, a form's result 3, each field
// group two more). It is the one bound on nesting: ParseCallback (so
// ingest) refuses a body nesting deeper, Scan follows no deeper, and the
// typed views decode nothing deeper. The vendor's callbacks nest 6 levels;
// encoding/json allows 10000, which is where a body of a few kilobytes
// could make each level's work cost as much as the whole body's.
const MaxDepth = 64

// ParseCallback is Parse, and the bound on nesting (MaxDepth): what ingest
// accepts. A consumer parses with Parse, which still reads a body queued
// before the bound (its typed views leave out what lies deeper).
func ParseCallback(raw []byte) (*Event, error) {
	ev, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if field, deep := tooDeep(raw); deep {
		if field == "" {
			return nil, invalid("", "body nests deeper than %d levels", MaxDepth)
		}
		return nil, invalid(field, "nests deeper than %d levels", MaxDepth)
	}
	return ev, nil
}

// tooDeep reports whether raw, valid JSON, nests deeper than MaxDepth,
// and field, the path of the member of the body or of its data that does
// ("data.result"), as far as its keys are plain names.
func tooDeep(raw []byte) (field string, deep bool) {
	var (
		depth   int
		keys    [3][]byte // keys[d]: the latest key of the object at level d, quoted
		objects [3]bool   // objects[d]: the container at level d is an object
	)
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case '"':
			start := i
			for i++; i < len(raw) && raw[i] != '"'; i++ {
				if raw[i] == '\\' {
					i++
				}
			}
			if depth > 2 || !objects[depth] {
				continue
			}
			j := i + 1
			for j < len(raw) && (raw[j] == ' ' || raw[j] == '\t' || raw[j] == '\n' || raw[j] == '\r') {
				j++
			}
			if j < len(raw) && raw[j] == ':' {
				keys[depth] = raw[start : i+1]
			}
		case '{', '[':
			depth++
			if depth > MaxDepth {
				return nestingPath(keys, objects), true
			}
			if depth <= 2 {
				objects[depth], keys[depth] = c == '{', nil
			}
		case '}', ']':
			depth--
		}
	}
	return "", false
}

// nestingPath names the member of the body, or of its data, that nests
// too deep; "" when its key is not a plain name.
func nestingPath(keys [3][]byte, objects [3]bool) string {
	field := plainKey(keys[1])
	if field == "data" && objects[2] {
		if member := plainKey(keys[2]); member != "" {
			field += "." + member
		}
	}
	return field
}

// plainKey is the key a quoted JSON string decodes to when it is a plain
// name (letters, digits, _ and -, at most 64), which a field path can show
// as it is; "" otherwise.
func plainKey(quoted []byte) string {
	var key string
	if quoted == nil || json.Unmarshal(quoted, &key) != nil || key == "" || len(key) > 64 {
		return ""
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return ""
		}
	}
	return key
}

// maxTypeLength bounds an event type, which travels as an SQS attribute,
// an HTTP header and a metric dimension.
const maxTypeLength = 64

// validType keeps event types to the characters every place they travel
// to carries unchanged (the vendor's are snake_case).
func validType(t string) bool {
	for i := 0; i < len(t); i++ {
		if !typeChar(t[i]) {
			return false
		}
	}
	return true
}

// typeChar reports whether an event type may hold c; every such
// character is ASCII, so a byte of a longer UTF-8 sequence never is.
func typeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-'
}

// parseStrictInt accepts a JSON number without fraction or exponent.
func parseStrictInt(raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	if jsonKind(raw) != "a number" {
		return 0, fmt.Errorf("must be an integer, got %s", jsonKind(raw))
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("must be an integer, got %s", s)
	}
	return id, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// jsonKind names the JSON type of a (valid) value for error messages.
func jsonKind(raw json.RawMessage) string {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
