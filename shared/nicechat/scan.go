package nicechat

import (
	"strconv"
	"unicode/utf8"
)

// Envelope is what Scan reads of a body: the fields routing needs.
type Envelope struct {
	Type   string // the event type; a substring of the body unless it was escaped
	DataID int64
}

// Scan reads the envelope of a body in one pass over it, without copying
// it. It reports true only for a body Parse accepts, with Parse's Type and
// DataID, and whose every character SQS carries (no U+FFFE, no U+FFFF:
// the only characters valid UTF-8 JSON can hold that SQS refuses). It
// reports false for every other body, and for one nesting deeper than
// MaxDepth: the caller then runs ParseCallback, which says what is wrong.
// It reports true for exactly the bodies ParseCallback accepts and SQS
// carries.
//
// It checks what ParseCallback checks: JSON grammar as json.Valid does, UTF-8,
// and the envelope, where duplicate keys count as encoding/json counts
// them (the last one wins) and escaped keys and event types as they
// decode.
func Scan(body string) (Envelope, bool) {
	sc := scanner{s: body}
	return sc.envelope()
}

// scanner reads JSON text in s. Scan's refuses every character SQS
// does not carry; the typed views' (anyText) takes any byte in a string,
// as encoding/json does, and only looks for its end.
type scanner struct {
	s       string
	anyText bool
}

// unbounded is the nesting limit of a value that is skipped, not read:
// its bit stack grows with it (a bit a level).
const unbounded = int(^uint(0) >> 1)

// stopsString marks the bytes a string's fast loop stops at: the quote,
// the backslash, control characters (refused) and the bytes of multi-byte
// characters (checked).
var stopsString = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80
	}
	return t
}()

func (sc *scanner) ws(i int) int {
	for i < len(sc.s) {
		switch sc.s[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// envelope scans the top-level object and its "event" and "data" members.
func (sc *scanner) envelope() (Envelope, bool) {
	s := sc.s
	i := sc.ws(0)
	if i >= len(s) || s[i] != '{' {
		return Envelope{}, false
	}
	var env Envelope
	// The last "event" and "data" members count, as in a map.
	var typeOK, typeSeen, dataOK, dataSeen bool
	i = sc.ws(i + 1)
	if i < len(s) && s[i] == '}' {
		return Envelope{}, false // no event
	}
	for {
		keyStart := i
		end, escaped := sc.str(i)
		if end < 0 {
			return Envelope{}, false
		}
		key := s[keyStart+1 : end-1]
		i = sc.ws(end)
		if i >= len(s) || s[i] != ':' {
			return Envelope{}, false
		}
		i = sc.ws(i + 1)
		if i >= len(s) {
			return Envelope{}, false
		}
		switch {
		case keyIs(key, escaped, "event"):
			typeSeen = true
			if s[i] != '"' {
				typeOK = false
				if i = sc.value(i, MaxDepth-1); i < 0 {
					return Envelope{}, false
				}
				break
			}
			end, escaped := sc.str(i)
			if end < 0 {
				return Envelope{}, false
			}
			env.Type, typeOK = eventType(s[i+1:end-1], escaped)
			i = end
		case keyIs(key, escaped, "data"):
			dataSeen = true
			if s[i] != '{' {
				dataOK = false
				if i = sc.value(i, MaxDepth-1); i < 0 {
					return Envelope{}, false
				}
				break
			}
			var id int64
			if i, id, dataOK = sc.data(i); i < 0 {
				return Envelope{}, false
			}
			env.DataID = id
		default:
			if i = sc.value(i, MaxDepth-1); i < 0 {
				return Envelope{}, false
			}
		}
		i = sc.ws(i)
		if i >= len(s) {
			return Envelope{}, false
		}
		if s[i] == '}' {
			i++
			break
		}
		if s[i] != ',' {
			return Envelope{}, false
		}
		i = sc.ws(i + 1)
	}
	if sc.ws(i) != len(s) || !typeSeen || !typeOK || !dataSeen || !dataOK {
		return Envelope{}, false
	}
	return env, true
}

// data scans the object at s[i] and its "id" member. ok is false when the
// last "id" is missing or not an integer Parse accepts.
func (sc *scanner) data(i int) (end int, id int64, ok bool) {
	s := sc.s
	i = sc.ws(i + 1)
	if i < len(s) && s[i] == '}' {
		return i + 1, 0, false
	}
	for {
		keyStart := i
		end, escaped := sc.str(i)
		if end < 0 {
			return -1, 0, false
		}
		isID := keyIs(s[keyStart+1:end-1], escaped, "id")
		i = sc.ws(end)
		if i >= len(s) || s[i] != ':' {
			return -1, 0, false
		}
		i = sc.ws(i + 1)
		if i >= len(s) {
			return -1, 0, false
		}
		if isID {
			start := i
			i = sc.value(i, MaxDepth-2)
			if i < 0 {
				return -1, 0, false
			}
			id, ok = integer(s[start:i])
		} else if i = sc.value(i, MaxDepth-2); i < 0 {
			return -1, 0, false
		}
		i = sc.ws(i)
		if i >= len(s) {
			return -1, 0, false
		}
		if s[i] == '}' {
			return i + 1, id, ok
		}
		if s[i] != ',' {
			return -1, 0, false
		}
		i = sc.ws(i + 1)
	}
}

// integer reads a JSON value (already scanned) as Parse's data.id: a
// number without fraction or exponent that fits an int64.
func integer(v string) (int64, bool) {
	if v == "" || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return 0, false
	}
	for j := 0; j < len(v); j++ {
		if c := v[j]; c == '.' || c == 'e' || c == 'E' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// value scans the JSON value at s[i] and returns the index after it, or
// -1 when it is not valid JSON, not valid UTF-8, holds a character SQS
// refuses (unless anyText), or nests more than limit levels of its own.
func (sc *scanner) value(i, limit int) int {
	s := sc.s
	// One bit per open container: 1 for an array, 0 for an object. Up to
	// MaxDepth it is on the goroutine's stack.
	var small [MaxDepth/64 + 1]uint64
	stack := small[:]
	depth := 0
	for {
		// A value starts at s[i].
		if i >= len(s) {
			return -1
		}
		switch c := s[i]; c {
		case '"':
			if i, _ = sc.str(i); i < 0 {
				return -1
			}
		case '{', '[':
			if depth == limit {
				return -1
			}
			if depth/64 == len(stack) {
				stack = append(stack, 0)
			}
			j := sc.ws(i + 1)
			if j < len(s) && (c == '{' && s[j] == '}' || c == '[' && s[j] == ']') {
				i = j + 1
				break
			}
			if c == '[' {
				stack[depth/64] |= 1 << (depth % 64)
			} else {
				stack[depth/64] &^= 1 << (depth % 64)
			}
			depth++
			if c == '[' {
				i = j
				continue
			}
			if i = sc.member(j); i < 0 {
				return -1
			}
			continue
		case 't':
			if !hasPrefix(s[i:], "true") {
				return -1
			}
			i += 4
		case 'f':
			if !hasPrefix(s[i:], "false") {
				return -1
			}
			i += 5
		case 'n':
			if !hasPrefix(s[i:], "null") {
				return -1
			}
			i += 4
		default:
			if i = sc.number(i); i < 0 {
				return -1
			}
		}
		// A value ended at s[i]: close the containers it ends.
		for {
			if depth == 0 {
				return i
			}
			i = sc.ws(i)
			if i >= len(s) {
				return -1
			}
			inArray := stack[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			if s[i] == ',' {
				i = sc.ws(i + 1)
				if !inArray {
					if i = sc.member(i); i < 0 {
						return -1
					}
				}
				break
			}
			if inArray && s[i] == ']' || !inArray && s[i] == '}' {
				i++
				depth--
				continue
			}
			return -1
		}
	}
}

// member scans an object member's key and colon at s[i] and returns where
// its value starts.
func (sc *scanner) member(i int) int {
	s := sc.s
	if i >= len(s) || s[i] != '"' {
		return -1
	}
	if i, _ = sc.str(i); i < 0 {
		return -1
	}
	i = sc.ws(i)
	if i >= len(s) || s[i] != ':' {
		return -1
	}
	return sc.ws(i + 1)
}

// str scans the string whose opening quote is s[i] and returns the index
// after its closing quote, or -1; escaped says whether it holds escapes.
func (sc *scanner) str(i int) (end int, escaped bool) {
	s := sc.s
	if i >= len(s) || s[i] != '"' {
		return -1, false
	}
	i++
	for {
		for i < len(s) && !stopsString[s[i]] {
			i++
		}
		if i >= len(s) {
			return -1, false
		}
		switch c := s[i]; {
		case c == '"':
			return i + 1, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(s) {
				return -1, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return -1, false
				}
				i += 6
			default:
				return -1, false
			}
		case c < 0x20:
			return -1, false
		case sc.anyText:
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				return -1, false
			}
			i += size
		}
	}
}

// number scans the JSON number at s[i].
func (sc *scanner) number(i int) int {
	s := sc.s
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(s, i+1)
	default:
		return -1
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// keyIs reports whether the raw text of a key (between its quotes,
// already scanned) decodes to want, which is plain ASCII.
func keyIs(raw string, escaped bool, want string) bool {
	if !escaped {
		return raw == want
	}
	n := 0
	for i := 0; i < len(raw); {
		c, next, ok := unescapeASCII(raw, i)
		if !ok || n >= len(want) || c != want[n] {
			return false
		}
		n, i = n+1, next
	}
	return n == len(want)
}

// eventType reads the raw text of the event's string value (already
// scanned) and applies Parse's rule to it.
func eventType(raw string, escaped bool) (string, bool) {
	if !escaped {
		return raw, raw != "" && len(raw) <= maxTypeLength && validType(raw)
	}
	var buf [maxTypeLength]byte
	n := 0
	for i := 0; i < len(raw); {
		c, next, ok := unescapeASCII(raw, i)
		// Every character a type may hold is ASCII: anything else
		// makes it invalid, whatever it decodes to.
		if !ok || n == maxTypeLength || !typeChar(c) {
			return "", false
		}
		buf[n] = c
		n, i = n+1, next
	}
	return string(buf[:n]), n > 0
}

// unescapeASCII decodes the character at raw[i] of a scanned string when
// it is ASCII, plain or escaped; ok is false for any other character.
func unescapeASCII(raw string, i int) (c byte, next int, ok bool) {
	if raw[i] != '\\' {
		return raw[i], i + 1, raw[i] < utf8.RuneSelf
	}
	switch raw[i+1] {
	case 'u':
		v, err := strconv.ParseUint(raw[i+2:i+6], 16, 16)
		return byte(v), i + 6, err == nil && v < utf8.RuneSelf
	case '"', '\\', '/':
		return raw[i+1], i + 2, true
	case 'b':
		return '\b', i + 2, true
	case 'f':
		return '\f', i + 2, true
	case 'n':
		return '\n', i + 2, true
	case 'r':
		return '\r', i + 2, true
	case 't':
		return '\t', i + 2, true
	}
	return 0, i + 1, false
}
