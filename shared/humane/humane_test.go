package humane_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/duration"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humane/humanetest"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// rows is a humane channel made of the kit and nothing else but its
// payload and its answers, as the next one will be: it posts each event's
// headline as a row, and its service answers 404 for a sheet that is not
// there.
type rows struct {
	url    string
	s      humane.Settings
	client *http.Client
	pacer  *humane.Pacer
}

var rowsEnv = humane.Env{Timeout: "ROWS_TIMEOUT", MinInterval: "ROWS_MIN_INTERVAL", Language: "ROWS_LANGUAGE"}

func newRows(url string, s humane.Settings) (*rows, error) {
	if err := rowsEnv.Check(s); err != nil {
		return nil, err
	}
	s = s.Or(humane.Defaults)
	return &rows{url: url, s: s, client: outbound.NewHTTPClient(s.Timeout), pacer: humane.NewPacer(s.Interval)}, nil
}

func (r *rows) Name() string           { return "rows" }
func (r *rows) Timeout() time.Duration { return r.s.Interval + r.s.Timeout }

func (r *rows) Deliver(ctx context.Context, m message.Message) error {
	e, de := humane.Event(m)
	if de != nil {
		return de
	}
	body, _ := json.Marshal(map[string]any{"values": [][]string{{humanize.Render(e, r.s.Humanize).Headline}}})
	if de := r.pacer.Post(ctx, humane.Post{Client: r.client, Channel: "rows", URL: r.url + "/append", Setting: "ROWS_URL", What: "rows URL", Body: body}, func(a humane.Answer) *delivery.Error {
		if a.Status == http.StatusNotFound {
			de := delivery.Misconfigured("ROWS_SHEET", delivery.HTTPReason(a.Status, a.Body), nil)
			de.Status = a.Status
			return de
		}
		return humane.Classify(a, "ROWS_URL", "rows URL")
	}); de != nil {
		return de
	}
	return nil
}

var rowsService = humanetest.Service{
	Open: func(t *testing.T, url string, timeout, interval time.Duration) (delivery.Channel, *humane.Pacer) {
		ch, err := newRows(url, humane.Settings{Timeout: timeout, Interval: interval})
		if err != nil {
			t.Fatal(err)
		}
		return ch, ch.pacer
	},
	OK:         humanetest.Answer{Status: http.StatusOK, Body: `{"updates":{"updatedRows":1}}`},
	TooMany:    humanetest.Answer{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"30"}}},
	URLSetting: "ROWS_URL",
	ReasonSays: "HTTP ",
	Secret:     "s3cr3t",
}

func TestANewHumaneChannelGetsItsTestsFromTheKit(t *testing.T) {
	t.Run("answers", func(t *testing.T) {
		humanetest.CheckAnswers(t, rowsService,
			humanetest.AnswerCase{Name: "200 is delivered", Status: 200},
			humanetest.AnswerCase{Name: "404 names the sheet", Status: 404, Body: "no such sheet", Class: delivery.ClassMisconfigured, Setting: "ROWS_SHEET", Reason: "HTTP 404: no such sheet"})
	})
	t.Run("pacing", func(t *testing.T) { humanetest.CheckPacing(t, rowsService) })
	t.Run("transport failures", func(t *testing.T) { humanetest.CheckTransportFailures(t, rowsService) })
	t.Run("settings", func(t *testing.T) {
		humanetest.CheckSettings(t, humanetest.Settings{Env: rowsEnv, Defaults: humane.Defaults, Read: func(getenv func(string) string) (humane.Settings, error) {
			return rowsEnv.Read(getenv, humane.Defaults)
		}})
	})
	t.Run("language", func(t *testing.T) {
		humanetest.CheckRefusesUnknownLanguage(t, rowsEnv, func(opts humanize.Options) error {
			_, err := newRows("http://127.0.0.1:1", humane.Settings{Humanize: opts})
			return err
		})
	})
}

func TestCheckRefusesDurationsOutOfBounds(t *testing.T) {
	tests := []struct {
		name    string
		s       humane.Settings
		wantErr string // empty: accepted
	}{
		{name: "zero durations take the defaults", s: humane.Settings{}},
		{name: "five minutes is the most", s: humane.Settings{Timeout: duration.Max, Interval: duration.Max}},
		{name: "a negative timeout names its variable", s: humane.Settings{Timeout: -time.Second}, wantErr: "ROWS_TIMEOUT"},
		{name: "a pace over five minutes names its variable", s: humane.Settings{Interval: time.Hour}, wantErr: "ROWS_MIN_INTERVAL"},
		{name: "an unknown language names the channel's variable", s: humane.Settings{Humanize: humanize.Options{Language: "de"}}, wantErr: "ROWS_LANGUAGE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := rowsEnv.Check(tc.s)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Check = %v, want an error naming %q (none if empty)", err, tc.wantErr)
			}
		})
	}
}

func TestAVariableTheChannelDoesNotHaveIsNotRead(t *testing.T) {
	env := humane.Env{Language: "ROWS_LANGUAGE"}
	s, err := env.Read(func(k string) string { return map[string]string{"ROWS_TIMEOUT": "soon"}[k] }, humane.Settings{Timeout: 7 * time.Second})
	if err != nil || s.Timeout != 7*time.Second || s.Interval != 0 {
		t.Errorf("Read = %+v, %v; want the defaults given, no error", s, err)
	}
}
