package humanize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineMakesOneLineOfAnyText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text is kept", "Olena from Kyiv", "Olena from Kyiv"},
		{"CRLF, CR and LF become spaces", "Guest\r\nBcc: x\ry\nz", "Guest Bcc: x y z"},
		{"NUL becomes a space", "Guest\x00Bcc: x", "Guest Bcc: x"},
		{"other C0, DEL and C1 controls become spaces", "a\x01b\x1bc\x7fd\u0085e\u009bf", "a b c d e f"},
		{"Unicode line and paragraph separators become spaces", "Olena\u2028Bondar\u2029Kyiv", "Olena Bondar Kyiv"},
		{"runs of white space collapse and the ends are trimmed", "  a \t\r\n  b \u00a0 ", "a b"},
		{"bidirectional overrides are dropped", "total \u202e01\u202c", "total 01"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\uFFFDb"},
		{"nothing but breaks is empty", "\r\n\x00\u2028", ""},
		{"a no-break space between two characters is kept", "2\u00a0648,99 PLN №\u00a023 1\u202f000", "2\u00a0648,99 PLN №\u00a023 1\u202f000"},
		{"a no-break space next to another space becomes one space", "a\u00a0 b c \u00a0d e\u00a0\u00a0f g\u00a0\nh", "a b c d e f g h"},
		{"a no-break space at an end is trimmed", "\u00a0a\u00a0", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanKeepsLinesAndDropsOtherControls(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"lines are kept, the ends trimmed", "line 1\nline 2\n", "line 1\nline 2"},
		{"CRLF becomes LF", "a\r\nb", "a\nb"},
		{"tabs are kept", "tab\tkept", "tab\tkept"},
		{"NUL and escapes are dropped", "nul\x00gone\x1b", "nulgone"},
		{"Unicode line separators and bidirectional overrides are dropped", "a\u2028b\u202ec", "abc"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncateCountsCharactersAndMarksTheCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"exactly max characters is not cut", strings.Repeat("é", 5), 5, "ééééé"},
		{"longer is cut to max with an ellipsis", strings.Repeat("é", 6), 5, "éééé…"},
		{"a cut does not leave a space before the ellipsis", "abc defgh", 5, "abc…"},
		{"one character leaves only the ellipsis", "abc", 1, "…"},
		{"no room leaves nothing", "abc", 0, ""},
		{"empty stays empty", "", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > max(tt.max, 0) {
				t.Errorf("%d characters, over %d", n, tt.max)
			}
		})
	}
}
