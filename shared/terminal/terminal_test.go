package terminal_test

import (
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/terminal"
)

func TestTerminalEscapesWhatCanMoveTheCursorOrStartASequence(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"plain text is kept", "HTTP 400: bad request", "HTTP 400: bad request", "HTTP 400: bad request"},
		{"Cyrillic, emoji and U+FFFD are kept", "Примет 🎉 \uFFFD", "Примет 🎉 \uFFFD", "Примет 🎉 \uFFFD"},
		{"a CSI that clears the screen", "\x1b[2J\x1b[H", `\x1b[2J\x1b[H`, `\x1b[2J\x1b[H`},
		{"an OSC 8 hyperlink", "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07", `\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07`, `\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07`},
		{"a carriage return", "permanent\rdelivered", `permanent\rdelivered`, `permanent\rdelivered`},
		{"line feeds and tabs: escaped on a line, kept in a text", "a\n\tb", `a\n\tb`, "a\n\tb"},
		{"backspace, BEL, NUL and DEL", "ok\b\x07\x00\x7f", `ok\x08\x07\x00\x7f`, `ok\x08\x07\x00\x7f`},
		{"C1 controls, the 8-bit CSI and OSC", "\u009b2J\u009d0;t\u009c\u0085", `\u009b2J\u009d0;t\u009c\u0085`, `\u009b2J\u009d0;t\u009c\u0085`},
		{"bidirectional overrides, isolates and marks", "\u202egnp.exe\u202c \u2066x\u2069 \u200f", `\u202egnp.exe\u202c \u2066x\u2069 \u200f`, `\u202egnp.exe\u202c \u2066x\u2069 \u200f`},
		{"line and paragraph separators", "a\u2028b\u2029c", `a\u2028b\u2029c`, `a\u2028b\u2029c`},
		{"bytes that are not UTF-8", "a\xff\xc3b", `a\xff\xc3b`, `a\xff\xc3b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := terminal.Line(tt.in); got != tt.line {
				t.Errorf("terminal.Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := terminal.Text(tt.in); got != tt.text {
				t.Errorf("terminal.Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}
