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
		head = head[:maxAnswerBytes]
		head = dropSecretPrefix(head, urlSecrets(rawURL))
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxDrainBytes))
	return RedactBody(head, rawURL)
}

// dropSecretPrefix cuts off the start of a secret that text ends with.
func dropSecretPrefix(text []byte, secrets []string) []byte {
	for _, s := range secrets {
		for n := len(s) - 1; n > 0; n-- {
			if bytes.HasSuffix(text, []byte(s[:n])) {
				text = text[:len(text)-n]
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
