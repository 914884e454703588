// Package terminal escapes text written by others (a dead letter's body,
// a far end's answer, a channel's pause reason) for printing on a
// terminal: no byte of theirs can move the cursor, start an escape
// sequence (a CSI that clears the screen, an OSC hyperlink or title),
// begin a line that looks like the program's own, or reorder what is
// shown. Data written as JSON needs none of it: JSON escapes control
// characters itself.
package terminal

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line is s for one line or one table cell: every control character is
// shown escaped, line breaks and tabs included.
func Line(s string) string { return escapeTerminal(s, false) }

// Text is s for a block of lines, such as a body: line feeds and tabs are
// kept, every other control character is shown escaped.
func Text(s string) string { return escapeTerminal(s, true) }

func escapeTerminal(s string, keepLines bool) string {
	if !needsEscape(s, keepLines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !escaped(r, keepLines):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string, keepLines bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || escaped(r, keepLines) {
			return true
		}
		i += size
	}
	return false
}

// escaped reports whether r is shown escaped: the C0 controls (ESC, CR,
// BEL, backspace...) and DEL; the C1 controls U+0080 to U+009F, which some
// terminals read as ESC sequences (U+009B is a CSI, U+009D an OSC); the
// bidirectional controls (U+202A to U+202E, U+2066 to U+2069, the marks),
// which reorder what follows them on the line; and the Unicode line and
// paragraph separators.
func escaped(r rune, keepLines bool) bool {
	switch {
	case keepLines && (r == '\n' || r == '\t'):
		return false
	case r < 0x20 || r >= 0x7f && r <= 0x9f:
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	default:
		return unicode.Is(unicode.Bidi_Control, r)
	}
}

// Escapes reports whether Text shows r escaped: a character a terminal
// acts on, other than a line feed or a tab.
func Escapes(r rune) bool { return escaped(r, true) }
