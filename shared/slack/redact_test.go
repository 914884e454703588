package slack

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/docstore"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound/outboundtest"
)

// A far end (a proxy in front of Slack, a wrong URL) may quote the request
// after padding: no part of the webhook URL's secret path, nor of the bot
// token, may reach the reason that logs, dead letters and the status page
// show.
func TestNoPartOfAnEchoedSecretReachesTheReason(t *testing.T) {
	const (
		secretPath = "/services/T0RELAY/B0RELAY/Pq7Xr2Lm9Vn4Ks8Wd3Hj6Ft1Gb5Zc0Ya"
		token      = "xoxb-1234567890-0987654321-Pq7Xr2Lm9Vn4Ks8Wd3Hj6Ft1Gb"
	)
	for name, padding := range outboundtest.EchoPaddings {
		for _, status := range []int{http.StatusInternalServerError, http.StatusNotFound} {
			for form, write := range outboundtest.EchoForms {
				t.Run("webhook/"+form+"/"+name+"/"+http.StatusText(status), func(t *testing.T) {
					s := newSink(t)
					s.Answer(status, nil, outboundtest.Echo(padding, write(secretPath)))
					ch := mustNew(t, Config{WebhookURL: s.URL + secretPath, Timeout: 5 * time.Second, Interval: time.Millisecond})
					de := asDeliveryError(t, ch.Deliver(context.Background(), msg(t, fixtures.Body(nicechat.TypeNewChat))))
					if part := outboundtest.LeakedPart(de.Reason+" "+de.Error(), secretPath[len("/services/"):], 6); part != "" {
						t.Errorf("the reason carries %q of the URL's secret: %q", part, de.Reason)
					}
				})
			}
			t.Run("web API/"+name+"/"+http.StatusText(status), func(t *testing.T) {
				s := newSink(t)
				s.Answer(status, nil, outboundtest.Echo(padding, "Bearer "+token))
				store, err := idempotency.OpenLocal(filepath.Join(t.TempDir(), "idempotency.db"), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { store.Close() })
				threads, err := docstore.NewLocal(store.File())
				if err != nil {
					t.Fatal(err)
				}
				ch, err := New(Config{BotToken: token, ChannelID: channelID, APIURL: s.URL, Timeout: 5 * time.Second, Interval: time.Millisecond}, Deps{Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				de := asDeliveryError(t, ch.Deliver(context.Background(), visitorMessage(nicechat.TypeNewChat, 42)))
				if part := outboundtest.LeakedPart(de.Reason+" "+de.Error(), token, 8); part != "" {
					t.Errorf("the reason carries %q of the bot token: %q", part, de.Reason)
				}
			})
		}
	}
}
