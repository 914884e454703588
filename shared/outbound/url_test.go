package outbound_test

import (
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

func TestCheckURLAcceptsAbsoluteHTTPURLs(t *testing.T) {
	for _, raw := range []string{
		"https://hooks.slack.com/services/T000/B000/XXXX",
		"http://127.0.0.1:8080/hook?token=abc",
		"HTTPS://example.com",
		"https://[::1]:8443/h",
	} {
		t.Run(raw, func(t *testing.T) {
			if err := outbound.CheckURL("WEBHOOK_URL", raw); err != nil {
				t.Errorf("CheckURL(%q) = %v, want nil", raw, err)
			}
		})
	}
}

func TestCheckURLRefusesNamingTheSettingButNotTheValue(t *testing.T) {
	// Every bad value carries the secret, which must not reach the error.
	const secret = "s3cr3t"
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{"empty", "", "SLACK_WEBHOOK_URL is required"},
		{"relative", "/hooks/" + secret, "SLACK_WEBHOOK_URL must be an absolute http or https URL"},
		{"no scheme", "hooks.slack.com/services/" + secret, "SLACK_WEBHOOK_URL must be an absolute http or https URL"},
		{"no host", "https:///" + secret, "SLACK_WEBHOOK_URL must be an absolute http or https URL"},
		{"another scheme", "ftp://example.com/" + secret, "SLACK_WEBHOOK_URL must be an absolute http or https URL"},
		{"an opaque URL", "javascript:" + secret, "SLACK_WEBHOOK_URL must be an absolute http or https URL"},
		{"unparsable", "http://exa mple.com/" + secret + "%zz", "SLACK_WEBHOOK_URL is not a valid URL"},
		{"a line break", "https://example.com/" + secret + "\r\nX: y", "SLACK_WEBHOOK_URL is not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := outbound.CheckURL("SLACK_WEBHOOK_URL", tt.raw)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("CheckURL(%q) = %v, want %q", tt.raw, err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q quotes the URL", err)
			}
		})
	}
}

func TestRedactURLTakesTheConfiguredPathAndQueryOutOfAnEcho(t *testing.T) {
	tests := []struct {
		name, text, url, want string
	}{
		{"an echoed path and query", "HTTP 404: Cannot POST /hook/s3cr3t?key=abc", "https://example.com/hook/s3cr3t?key=abc", "HTTP 404: Cannot POST /…?…"},
		{"the path escaped", "HTTP 404: no route /hook/a%20b", "https://example.com/hook/a b", "HTTP 404: no route /…"},
		{"a Slack URL", "HTTP 404: no_service for /services/T0/B0/XXXX", "https://hooks.slack.com/services/T0/B0/XXXX", "HTTP 404: no_service for /…"},
		{"nothing to take", "HTTP 503: upstream down", "https://example.com/", "HTTP 503: upstream down"},
		{"JSON with escaped slashes", `{"path":"\/hooks\/T0AB\/B0CD\/xoxSECRET99"}`, "https://example.com/hooks/T0AB/B0CD/xoxSECRET99", `{"path":"/…"}`},
		{"Go's JSON escape of &", `{"url":"/h?a=1\u0026key=tok_9f8e7d"}`, "https://example.com/h?a=1&key=tok_9f8e7d", `{"url":"/…?…"}`},
		{"a query value alone", "invalid token tok_9f8e7d", "https://example.com/h?a=1&key=tok_9f8e7d", "invalid token …"},
		{"the last path segment alone", "unknown webhook xoxSECRET99", "https://example.com/hooks/T0AB/B0CD/xoxSECRET99", "unknown webhook …"},
		{"the query decoded", "bad sig=a/b+c9d0", "https://example.com/h?sig=a%2Fb%2Bc9d0", "bad …"},
		{"the path in another case", "no route /HOOKS/T0AB/B0CD/XOXSECRET99", "https://example.com/hooks/T0AB/B0CD/xoxSECRET99", "no route /…"},
		{"a stray invalid byte in the secret", "unknown webhook xoxSE\xffCRET99", "https://example.com/hooks/T0AB/B0CD/xoxSECRET99", "unknown webhook …"},
		{"short generic segments stay", "Cannot POST /services here, see /hooks", "https://hooks.slack.com/services/T0/B0/xoxSECRET99", "Cannot POST /services here, see /hooks"},
		{"an unparsable URL leaves the text", "HTTP 500", "::", "HTTP 500"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outbound.RedactURL(tt.text, tt.url); got != tt.want {
				t.Errorf("RedactURL(%q, %q) = %q, want %q", tt.text, tt.url, got, tt.want)
			}
		})
	}
}

func TestRedactBodyTakesTheSecretOutBeforeAReasonIsCut(t *testing.T) {
	const raw = "https://example.com/hook/s3cr3t?key=k3y"
	tests := []struct {
		name, body, want string
	}{
		{"as sent", "Cannot POST /hook/s3cr3t?key=k3y", "Cannot POST /…?…"},
		{"written with entities in a page", "<html><p>Cannot POST /hook/s&#51;cr&#51;t?key=k&#51;y</p></html>", "  Cannot POST /…?…  "},
		{"URL-escaped", "no route for hook%2Fs3cr3t", "no route for …"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(outbound.RedactBody([]byte(tt.body), raw)); got != tt.want {
				t.Errorf("RedactBody(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}
