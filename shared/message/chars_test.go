package message_test

import (
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

func TestSQSSafeReplacesOnlyWhatSQSRefuses(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text is kept", "HTTP 400: bad request", "HTTP 400: bad request"},
		{"tabs and line breaks are allowed", "a\tb\r\nc", "a\tb\r\nc"},
		{"Cyrillic and emoji are allowed", "Примет 🎉", "Примет 🎉"},
		{"NUL and escape are replaced", "bad\x00\x1b[31m", "bad\uFFFD\uFFFD[31m"},
		{"U+FFFF is replaced", "x\uFFFFy", "x\uFFFDy"},
		{"invalid UTF-8 is replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := message.SQSSafe(tt.in); got != tt.want {
				t.Errorf("SQSSafe(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if _, bad := message.Unsendable([]byte(message.SQSSafe(tt.in))); bad {
				t.Errorf("SQSSafe(%q) still holds a character SQS refuses", tt.in)
			}
			if got := *message.String(tt.in).StringValue; got != tt.want {
				t.Errorf("String(%q) carries %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
