package breaker_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/awsjson"
	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

func TestAMappingPausesAndResumesItsFunctionsEventSource(t *testing.T) {
	ctx := context.Background()
	queue := localaws.Queue(t, "src")
	fn := localaws.EventSourceMapping(t, queue)
	m := breaker.NewMapping(awsjson.New(localaws.Config(t), awsjson.Lambda, nil), fn, queue)

	status := func(want bool) {
		t.Helper()
		st, err := m.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Paused != want {
			t.Errorf("status %+v, want paused %v", st, want)
		}
	}
	status(false)
	for range 2 { // pausing a paused channel is no error
		if err := m.Pause(ctx, "SLACK_WEBHOOK_URL: HTTP 404 no_service"); err != nil {
			t.Fatal(err)
		}
		status(true)
	}
	for range 2 {
		if err := m.Resume(ctx); err != nil {
			t.Fatal(err)
		}
		status(false)
	}
}

func TestAFunctionWithoutAMappingOnItsQueueCannotPause(t *testing.T) {
	queue := localaws.Queue(t, "src")
	fn := localaws.EventSourceMapping(t, queue)
	other := localaws.Queue(t, "other")
	err := breaker.NewMapping(awsjson.New(localaws.Config(t), awsjson.Lambda, nil), fn, other).Pause(context.Background(), "x")
	if !errors.Is(err, breaker.ErrNoMapping) {
		t.Errorf("Pause = %v, want ErrNoMapping", err)
	}
}
