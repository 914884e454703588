package message

import (
	"strings"
	"unicode/utf8"
)

// SQS carries only these characters in a body or a string attribute:
// #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. A send holding
// any other is refused as a whole.
func sqsAllowed(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}

// Unsendable returns the first character of b that SQS refuses, including
// the replacement for invalid UTF-8.
func Unsendable(b []byte) (rune, bool) {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 || !sqsAllowed(r) {
			return r, true
		}
		i += size
	}
	return 0, false
}

// SQSSafe replaces every character SQS refuses (and invalid UTF-8) with
// U+FFFD, so that a value taken from outside can always be sent.
func SQSSafe(s string) string {
	if _, bad := Unsendable([]byte(s)); !bad {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !sqsAllowed(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}
