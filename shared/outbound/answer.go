package outbound

import (
	"bytes"
	"html"
	"io"
	"strings"
)

// maxDrainBytes bounds how much of a response body is read (and thrown
// away) so the connection can be reused; a larger body closes it instead.
const maxDrainBytes = 64 << 10

// maxAnswerBytes bounds how much of an error answer is read for its
// reason: far more than the reason keeps (delivery.MaxReasonBytes), so
// that the secrets are taken out of the whole text before it is cut.
const maxAnswerBytes = 16 << 10

// ReadAnswer returns the start of a response body for a failure's reason,
// with the secret parts of rawURL, the configured URL, taken out (see
// RedactBody), drains a bounded remainder and closes the body. Secrets go
// before any cut: a cut through an echoed secret would leave a part of it
// that no later scrub could find, so the part of a secret that the read
// itself cut off at its end is dropped too.
func ReadAnswer(body io.ReadCloser, rawURL string) []byte {
	defer body.Close()
	head, _ := io.ReadAll(io.LimitReader(body, maxAnswerBytes+1))
	if len(head) > maxAnswerBytes {
		head = []byte(normalize(string(dropPartialEscape(head[:maxAnswerBytes]))))
		head = dropSecretPrefix(head, urlSecrets(rawURL))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	return RedactBody(head, rawURL)
}

// dropPartialEscape cuts off a JSON escape that the read cut through
// ("\", "\u00"), so that what comes before it is normalized and matched
// as it would have been whole.
func dropPartialEscape(text []byte) []byte {
	i := bytes.LastIndexByte(text, '\\')
	if i < 0 || len(text)-i > 5 {
		return text
	}
	tail := text[i+1:]
	if len(tail) == 0 || tail[0] == 'u' && isHex(tail[1:]) {
		return text[:i]
	}
	return text
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// dropSecretPrefix cuts off the start of a secret that text, normalized,
// ends with, ignoring ASCII case as redact does.
func dropSecretPrefix(text []byte, secrets []string) []byte {
	lower := lowerASCII(string(text))
	for _, s := range secrets {
		ls := lowerASCII(s)
		for n := len(s) - 1; n > 0; n-- {
			if strings.HasSuffix(lower, ls[:n]) {
				text, lower = text[:len(text)-n], lower[:len(lower)-n]
				break
			}
		}
	}
	return text
}

// PageText is an HTML page's text, tags dropped and entities decoded;
// any other body is returned as it is. Servers and proxies answer errors
// with such pages, and a dead letter's reason is read by a person.
func PageText(body string) string {
	t := strings.TrimSpace(body)
	if !strings.HasPrefix(t, "<") || !strings.Contains(t, "</") {
		return body
	}
	var b strings.Builder
	inTag := false
	for _, r := range t {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(b.String())
}
