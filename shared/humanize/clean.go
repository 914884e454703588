package humanize

import (
	"strings"
	"unicode"
)

// clean makes visitor text safe to show as it is: invalid UTF-8, control
// characters other than newline and tab, and bidirectional overrides (which
// can make "total 10" read as "01 latot") are dropped; CRLF becomes LF.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// line is clean text on a single line, for names, headlines and the like:
// every run of white space, line breaks included, becomes one space.
func line(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
