package delivery_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

func TestFromHTTPResponseClassifiesEveryStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		status     int
		retryAfter string
		class      delivery.Class
		wait       time.Duration
	}{
		{408, "", delivery.ClassRetry, 0},
		{429, "7", delivery.ClassRetry, 7 * time.Second},
		{429, now.Add(90 * time.Second).Format(http.TimeFormat), delivery.ClassRetry, 90 * time.Second},
		{500, "", delivery.ClassRetry, 0},
		{503, "99999999", delivery.ClassRetry, 12 * time.Hour},
		{503, "soon", delivery.ClassRetry, 0},
		{410, "", delivery.ClassPermanent, 0},
		{400, "", delivery.ClassPermanent, 0},
		{404, "", delivery.ClassPermanent, 0},
		{301, "", delivery.ClassPermanent, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		e := delivery.FromHTTPResponse(tt.status, h, []byte("nope"), now)
		if e.Class != tt.class || e.RetryAfter != tt.wait || e.Status != tt.status {
			t.Errorf("%d Retry-After %q: got %s after %v (status %d), want %s after %v", tt.status, tt.retryAfter, e.Class, e.RetryAfter, e.Status, tt.class, tt.wait)
		}
	}
	if e := delivery.FromHTTPResponse(410, nil, nil, now); !strings.Contains(e.Reason, "endpoint gone") {
		t.Errorf("410 reason %q does not say the endpoint is gone", e.Reason)
	}
}

func TestHTTPReasonIsOneBoundedLineOfText(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{"empty body", "", "HTTP 502"},
		{"control characters and escapes", "bad\x00\x1b[31mred\r\nX-Injected: 1", "HTTP 400: bad [31mred X-Injected: 1"},
		{"invalid UTF-8 is dropped", "caf\xff", "HTTP 400: caf"},
		{"an HTML error page is read as its text", "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body><center><h1>400 Bad Request</h1></center><hr><center>nginx</center></body></html>",
			"HTTP 400: 400 Bad Request 400 Bad Request nginx"},
		{"HTML entities are decoded", "<!DOCTYPE html><p>Message: Unsupported method (&#x27;POST&#x27;) &amp; more.</p>", "HTTP 400: Message: Unsupported method ('POST') & more."},
		{"text that merely holds a < is kept", "a < b and c > d", "HTTP 400: a < b and c > d"},
		{"JSON is kept", `{"error":"<b>not html</b>"}`, `HTTP 400: {"error":"<b>not html</b>"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := 400
			if tt.body == "" {
				status = 502
			}
			if got := delivery.HTTPReason(status, []byte(tt.body)); got != tt.want {
				t.Errorf("HTTPReason = %q, want %q", got, tt.want)
			}
		})
	}
	long := delivery.HTTPReason(500, []byte(strings.Repeat("я", 1000)))
	if len(long) > delivery.MaxReasonBytes || !strings.HasSuffix(long, "…") {
		t.Errorf("a long body gives a %d-byte reason ending %q", len(long), long[len(long)-6:])
	}
}
