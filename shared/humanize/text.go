package humanize

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes visitor text safe to show as it is, across lines: invalid
// UTF-8 becomes U+FFFD; control characters other than newline and tab,
// Unicode line and paragraph separators and bidirectional overrides (which
// can make "total 10" read as "01 latot") are dropped; CRLF becomes LF and
// the ends are trimmed.
func Clean(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
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

// Line is visitor text on a single line, for names, headlines, email
// subjects and table cells: invalid UTF-8 becomes U+FFFD, bidirectional
// overrides are dropped, and every run of white space, control characters
// (CR, LF and NUL included) and Unicode line or paragraph separators
// becomes one space, so the text can neither end a header nor start
// another. The ends are trimmed. A single no-break space between two
// visible characters is the one space kept as it is: it groups the digits
// of "2 648,99" in Ukrainian and Polish, and keeps "№ 23" together.
func Line(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	var noBreak rune // a no-break space kept if a visible character follows
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.Is(unicode.Bidi_Control, r) {
			continue
		}
		if (r == '\u00a0' || r == '\u202f') && !space && noBreak == 0 && b.Len() > 0 {
			noBreak = r
			continue
		}
		// A break between two words stays a break: "Olena\u2028Bondar"
		// reads "Olena Bondar", not "OlenaBondar".
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = b.Len() > 0
			noBreak = 0
			continue
		}
		switch {
		case noBreak != 0:
			b.WriteRune(noBreak)
			noBreak = 0
		case space:
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Truncate keeps at most max characters of s (characters, not bytes: Slack
// and mail clients count characters), the last being an ellipsis when s is
// longer. White space left before the ellipsis is trimmed.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
		}
		n++
	}
	return s
}
