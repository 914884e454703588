package localaws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The proxy in front of moto lets one DynamoDB call through at a time,
// and every other call as it comes: an SQS long poll must not hold up the
// rest.
func TestTheProxyLetsOneDynamoDBCallThroughAtATime(t *testing.T) {
	var dynamoNow, dynamoMost, otherNow atomic.Int32
	bothOthers := make(chan struct{})
	var once sync.Once
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), dynamoDBTarget) {
			n := dynamoNow.Add(1)
			defer dynamoNow.Add(-1)
			for {
				m := dynamoMost.Load()
				if n <= m || dynamoMost.CompareAndSwap(m, n) {
					break
				}
			}
			// Long enough that concurrent calls would overlap here.
			time.Sleep(5 * time.Millisecond)
			return
		}
		// Two other calls must be in flight at once: each waits for
		// the other (or gives up at the deadline, failing the test).
		if otherNow.Add(1) == 2 {
			once.Do(func() { close(bothOthers) })
		}
		select {
		case <-bothOthers:
		case <-time.After(10 * time.Second):
			w.WriteHeader(http.StatusGatewayTimeout)
		}
	}))
	defer upstream.Close()
	s, err := startSerializer(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()

	call := func(target string) int {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.url, strings.NewReader("{}"))
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() { call("DynamoDB_20120810.PutItem") })
	}
	for range 2 {
		wg.Go(func() {
			if status := call(""); status != http.StatusOK {
				t.Errorf("a call to another service got %d: it waited for one that was in flight", status)
			}
		})
	}
	wg.Wait()
	if most := dynamoMost.Load(); most != 1 {
		t.Errorf("%d DynamoDB calls reached moto at once, want 1", most)
	}
}
