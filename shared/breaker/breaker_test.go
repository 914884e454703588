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
	for i := range 2 { // pausing a paused channel is no error, and says it changed nothing
		paused, err := m.Pause(ctx, "SLACK_WEBHOOK_URL: HTTP 404 no_service")
		if err != nil {
			t.Fatal(err)
		}
		if paused != (i == 0) {
			t.Errorf("pause %d reported paused %v, want %v", i+1, paused, i == 0)
		}
		status(true)
	}
	for i := range 2 {
		resumed, err := m.Resume(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if resumed != (i == 0) {
			t.Errorf("resume %d reported resumed %v, want %v", i+1, resumed, i == 0)
		}
		status(false)
	}
}

func TestAFunctionWithoutAMappingOnItsQueueCannotPause(t *testing.T) {
	queue := localaws.Queue(t, "src")
	fn := localaws.EventSourceMapping(t, queue)
	other := localaws.Queue(t, "other")
	_, err := breaker.NewMapping(awsjson.New(localaws.Config(t), awsjson.Lambda, nil), fn, other).Pause(context.Background(), "x")
	if !errors.Is(err, breaker.ErrNoMapping) {
		t.Errorf("Pause = %v, want ErrNoMapping", err)
	}
}
