package idempotency_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/idempotency"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// stores are both implementations, so each behaviour is checked on the
// table (moto's DynamoDB) and on the local file alike.
var stores = []struct {
	name string
	open func(t testing.TB) idempotency.Store
}{
	{"table", func(t testing.TB) idempotency.Store {
		return idempotency.NewTable(awsjson.New(localaws.Config(t), awsjson.DynamoDB, nil), localaws.IdempotencyTable(t))
	}},
	{"local", func(t testing.TB) idempotency.Store {
		l, err := idempotency.OpenLocal(filepath.Join(t.TempDir(), "idempotency.db"), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l
	}},
}

// t0 is a whole second: the table keeps expiry times in epoch seconds.
var t0 = time.Now().Truncate(time.Second)

const hold, window = 15 * time.Second, 24 * time.Hour

func claim(t *testing.T, s idempotency.Store, key string, now time.Time) (idempotency.Record, bool) {
	t.Helper()
	r, ok, err := s.Claim(context.Background(), key, now, hold)
	if err != nil {
		t.Fatalf("Claim(%s): %v", key, err)
	}
	return r, ok
}

func TestAStoreLetsOneDeliveryThroughPerKeyWithinTheWindow(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := st.open(t)

			if _, ok := claim(t, s, "evt_a#slack", t0); !ok {
				t.Fatal("the first claim of a key was refused")
			}
			r, ok := claim(t, s, "evt_a#slack", t0.Add(time.Second))
			if ok || r.State != idempotency.InProgress || !r.ExpiresAt.Equal(t0.Add(hold)) {
				t.Errorf("a second claim while the first holds = %+v, %v; want the in_progress record until %s", r, ok, t0.Add(hold))
			}
			if _, ok := claim(t, s, "evt_a#email#human", t0); !ok {
				t.Error("another channel's key is held by the first")
			}

			if err := s.Delivered(ctx, "evt_a#slack", t0.Add(2*time.Second), "ok", window); err != nil {
				t.Fatal(err)
			}
			r, ok = claim(t, s, "evt_a#slack", t0.Add(time.Hour))
			if ok || r.State != idempotency.Delivered || r.Status != "ok" || !r.DeliveredAt.Equal(t0.Add(2*time.Second)) {
				t.Errorf("a claim after the delivery = %+v, %v; want the delivered record", r, ok)
			}
			if err := s.Release(ctx, "evt_a#slack", r.Owner); err != nil {
				t.Fatal(err)
			}
			if _, ok := claim(t, s, "evt_a#slack", t0.Add(2*time.Hour)); ok {
				t.Error("Release deleted a delivered record")
			}
			if _, ok := claim(t, s, "evt_a#slack", t0.Add(2*time.Second+window)); !ok {
				t.Error("the key is still held once the window has passed")
			}
		})
	}
}

func TestAReleasedOrExpiredClaimCanBeTakenAgain(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			first, _ := claim(t, s, "evt_b#webhook", t0)
			if err := s.Release(context.Background(), "evt_b#webhook", first.Owner); err != nil {
				t.Fatal(err)
			}
			if _, ok := claim(t, s, "evt_b#webhook", t0.Add(time.Second)); !ok {
				t.Error("a released claim cannot be taken again: a retry or a redrive would never deliver")
			}
			// The holder crashed: its claim runs out, and another takes it.
			second, _ := claim(t, s, "evt_b#webhook", t0.Add(time.Second))
			third, ok := claim(t, s, "evt_b#webhook", t0.Add(time.Second+hold))
			if !ok {
				t.Error("an expired claim cannot be taken again")
			}
			// The late holder giving up must not free the new claim.
			if err := s.Release(context.Background(), "evt_b#webhook", second.Owner); err != nil {
				t.Fatal(err)
			}
			if r, ok := claim(t, s, "evt_b#webhook", t0.Add(time.Second+hold+time.Second)); ok || r.Owner != third.Owner {
				t.Errorf("after a late release the key is %+v, %v; want the new claim still holding it", r, ok)
			}
			if err := s.Release(context.Background(), "evt_nothing#webhook", "1"); err != nil {
				t.Errorf("releasing a key that holds nothing: %v", err)
			}
		})
	}
}

// On the table this proves the claim's condition, not DynamoDB's
// atomicity: the tests' moto takes one DynamoDB call at a time (see
// localaws), as its own check-then-write would otherwise let two claims
// through on a busy machine. The race itself is proved on the local
// store.
func TestConcurrentClaimsOfOneKeyLetExactlyOneThrough(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := st.open(t)
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			for range 16 {
				wg.Go(func() {
					_, ok, err := s.Claim(context.Background(), "evt_c#telegram", t0, hold)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						won++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if won != 1 {
				t.Errorf("%d of 16 concurrent claims won, want exactly 1", won)
			}
		})
	}
}

func TestTheLocalStoreKeepsItsRecordsAcrossARestartAndDropsExpiredOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	l, err := idempotency.OpenLocal(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	claim(t, l, "evt_held#webhook", t0)
	if err := l.Delivered(context.Background(), "evt_sent#webhook", t0, "ok", window); err != nil {
		t.Fatal(err)
	}
	l.Close()

	// Reopened after the claim's hold but within the window.
	l, err = idempotency.OpenLocal(path, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if r, ok := claim(t, l, "evt_sent#webhook", t0.Add(time.Minute)); ok || r.State != idempotency.Delivered {
		t.Errorf("after a restart the delivered record is %+v, %v; want it kept", r, ok)
	}
	if _, ok := claim(t, l, "evt_held#webhook", t0.Add(time.Minute)); !ok {
		t.Error("after a restart an expired claim still holds")
	}
}

func TestTheLocalStoreNamesTheDeliveriesACrashLeftInDoubt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idempotency.db")
	l, err := idempotency.OpenLocal(path, t0)
	if err != nil {
		t.Fatal(err)
	}
	claim(t, l, "evt_cut#slack", t0)
	claim(t, l, "evt_done#slack", t0)
	if err := l.Delivered(context.Background(), "evt_done#slack", t0, "ok", window); err != nil {
		t.Fatal(err)
	}
	if got := l.InDoubt(); len(got) != 0 {
		t.Errorf("a new store has %v in doubt", got)
	}
	l.Close()
	l, err = idempotency.OpenLocal(path, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.InDoubt(); len(got) != 1 || got[0] != "evt_cut#slack" {
		t.Errorf("in doubt after a restart: %v, want the claim never finished", got)
	}
}

func TestAnUnreachableTableIsAnErrorNamingIt(t *testing.T) {
	client := awsjson.New(aws.Config{
		Region:           localaws.Region,
		Credentials:      credentials.NewStaticCredentialsProvider("x", "y", ""),
		BaseEndpoint:     aws.String("http://" + localaws.FreeAddr(t)),
		RetryMaxAttempts: 1,
	}, awsjson.DynamoDB, nil)
	s := idempotency.NewTable(client, "relay-idempotency")
	if _, _, err := s.Claim(context.Background(), "evt_d#slack", t0, hold); err == nil || !strings.Contains(err.Error(), "DynamoDB table relay-idempotency") {
		t.Errorf("Claim on an unreachable table = %v, want an error naming the table", err)
	}
}

func TestKeyIsEventChannelAndFormat(t *testing.T) {
	tests := []struct {
		m       message.Message
		channel string
		want    string
	}{
		{message.Message{EventID: "evt_x"}, "slack", "evt_x#slack"},
		{message.Message{EventID: "evt_x", Format: message.FormatHuman}, "email", "evt_x#email#human"},
		{message.Message{EventID: "evt_x", Format: message.FormatTech}, "email", "evt_x#email#tech"},
	}
	for _, tt := range tests {
		if got := idempotency.Key(tt.m, tt.channel); got != tt.want {
			t.Errorf("Key(%+v, %s) = %s, want %s", tt.m, tt.channel, got, tt.want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"", idempotency.DefaultWindow, false},
		{"24h", 24 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"7d", 7 * 24 * time.Hour, false},
		{"30d", 30 * 24 * time.Hour, false},
		{"31d", 0, true},
		{"30s", 0, true},
		{"soon", 0, true},
		{"-1h", 0, true},
		{"1.5d", 0, true},
	}
	for _, tt := range tests {
		got, err := idempotency.ParseWindow(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseWindow(%q) = %s, %v; want %s (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), idempotency.EnvWindow) {
			t.Errorf("ParseWindow(%q) error %q does not name %s", tt.in, err, idempotency.EnvWindow)
		}
	}
}
