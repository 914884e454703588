package email

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeaderTextIsOneSafeLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain text is kept", "Hot lead: Guest from Kryvyy Rih", 200, "Hot lead: Guest from Kryvyy Rih"},
		{"CRLF becomes a space", "Guest\r\nBcc: evil@example.com", 200, "Guest Bcc: evil@example.com"},
		{"bare CR and LF become spaces", "a\rb\nc", 200, "a b c"},
		{"NUL becomes a space", "Guest\x00Bcc: x", 200, "Guest Bcc: x"},
		{"other C0, DEL and C1 controls become spaces", "a\x01b\x1bc\x7fd\u0085e\u009bf", 200, "a b c d e f"},
		{"Unicode line and paragraph separators become spaces", "a\u2028b\u2029c", 200, "a b c"},
		{"runs of white space collapse and ends are trimmed", "  a \t\r\n  b  ", 200, "a b"},
		{"bidirectional overrides are dropped", "total \u202e01\u202c", 200, "total 01"},
		{"invalid UTF-8 is replaced", "a\xffb", 200, "a\uFFFDb"},
		{"exactly max characters is not cut", strings.Repeat("é", 5), 5, "ééééé"},
		{"longer is cut to max with an ellipsis", strings.Repeat("é", 6), 5, "éééé…"},
		{"a cut does not leave a space before the ellipsis", "abc defgh", 5, "abc…"},
		{"empty stays empty", "\r\n\x00", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := headerText(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("headerText(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
			if utf8.RuneCountInString(got) > tt.max {
				t.Errorf("%d characters, over %d", utf8.RuneCountInString(got), tt.max)
			}
		})
	}
}
