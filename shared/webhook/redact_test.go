package webhook

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound/outboundtest"
)

// A 52-character secret in the path and another in the query, as an
// endpoint's URL may carry them.
const (
	pathSecret  = "Pq7Xr2Lm9Vn4Ks8Wd3Hj6Ft1Gb5Zc0Ya2Ue7Io4Nm9Rt3Sx8Qw1"
	querySecret = "kQ3wE8rT1yU6iO9pA2sD5fG7hJ0kL4zX"
)

func TestNoPartOfAnEchoedURLSecretReachesTheReason(t *testing.T) {
	for name, padding := range outboundtest.EchoPaddings {
		for _, status := range []int{http.StatusInternalServerError, http.StatusNotFound} {
			t.Run(name+"/"+http.StatusText(status), func(t *testing.T) {
				s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(status)
					_, _ = io.WriteString(w, outboundtest.Echo(padding, r.URL.RequestURI()))
				})
				ch, err := New(Config{URL: s.srv.URL + "/hook/" + pathSecret + "?key=" + querySecret, Timeout: 5 * time.Second}, Deps{})
				if err != nil {
					t.Fatal(err)
				}
				de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)))
				for _, secret := range []string{pathSecret, querySecret} {
					for where, text := range map[string]string{"reason": de.Reason, "error": de.Error()} {
						if part := outboundtest.LeakedPart(text, secret, 6); part != "" {
							t.Errorf("the %s carries %q of a secret: %q", where, part, text)
						}
					}
				}
				if !strings.HasPrefix(de.Reason, "HTTP ") && !strings.Contains(de.Reason, "HTTP ") {
					t.Errorf("reason %q lost the status", de.Reason)
				}
			})
		}
	}
}
