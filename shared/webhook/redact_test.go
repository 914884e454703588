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

// A 52-character secret in the path and two in the query, one of them
// URL-escaped, as an endpoint's URL may carry them.
const (
	pathSecret     = "Pq7Xr2Lm9Vn4Ks8Wd3Hj6Ft1Gb5Zc0Ya2Ue7Io4Nm9Rt3Sx8Qw1"
	querySecret    = "kQ3wE8rT1yU6iO9pA2sD5fG7hJ0kL4zX"
	sigSecret      = "Zx9/Qw3+Er7Ty1Ui"
	sigSecretInURL = "Zx9%2FQw3%2BEr7Ty1Ui"
)

func TestNoPartOfAnEchoedURLSecretReachesTheReason(t *testing.T) {
	for form, write := range outboundtest.EchoForms {
		for name, padding := range outboundtest.EchoPaddings {
			for _, status := range []int{http.StatusInternalServerError, http.StatusNotFound} {
				t.Run(form+"/"+name+"/"+http.StatusText(status), func(t *testing.T) {
					s := newSink(t, func(w http.ResponseWriter, r *http.Request) {
						w.WriteHeader(status)
						_, _ = io.WriteString(w, outboundtest.Echo(padding, write(r.URL.RequestURI())))
					})
					ch, err := New(Config{URL: s.srv.URL + "/hooks/" + pathSecret + "?key=" + querySecret + "&sig=" + sigSecretInURL, Timeout: 5 * time.Second}, Deps{})
					if err != nil {
						t.Fatal(err)
					}
					de := asDeliveryError(t, ch.Deliver(context.Background(), messageFor(t, nicechat.TypeNewChat)))
					for _, secret := range []string{pathSecret, querySecret, sigSecret, sigSecretInURL} {
						for where, text := range map[string]string{"reason": de.Reason, "error": de.Error()} {
							if part := outboundtest.LeakedPart(text, secret, 6); part != "" {
								t.Errorf("the %s carries %q of a secret: %q", where, part, text)
							}
						}
					}
					if !strings.Contains(de.Reason, "HTTP ") {
						t.Errorf("reason %q lost the status", de.Reason)
					}
				})
			}
		}
	}
}
