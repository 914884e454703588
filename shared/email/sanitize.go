package email

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// headerText makes s safe for a header such as the subject: every control
// character (CR, LF and NUL included) and Unicode line separator becomes a
// space, bidirectional overrides are dropped, runs of white space collapse
// to one, and the result is cut to at most max characters with an
// ellipsis. Visitor text passed through it can neither end the header nor
// start another.
func headerText(s string, max int) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.Is(unicode.Bidi_Control, r) {
			continue // would let a subject read backwards
		}
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return cut(b.String(), max)
}

// cut keeps at most max characters, the last being an ellipsis when s was
// longer.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRight(s[:i], " ") + "…"
		}
		n++
	}
	return s
}

// bodyText drops the control characters a plain-text body has no use for
// (NUL above all), keeping line feeds and tabs.
func bodyText(s string) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
}
