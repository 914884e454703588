package consumer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

type namedChannel string

func (c namedChannel) Name() string                                 { return string(c) }
func (namedChannel) Deliver(context.Context, message.Message) error { return nil }
func (namedChannel) Timeout() time.Duration                         { return 10 * time.Second }

func TestSpecSetupReadsTheChannelFirstAndAppliesConcurrency(t *testing.T) {
	valid := map[string]string{"TEST_URL": "x", EnvQueueURL: "q", EnvDLQURL: "d"}
	tests := []struct {
		name            string
		env             map[string]string
		concurrency     int
		newErr          error
		wantErr         string
		wantConcurrency int
	}{
		{name: "a channel setting is reported before the runtime's", env: map[string]string{}, wantErr: "TEST_URL is required"},
		{name: "then the runtime's", env: map[string]string{"TEST_URL": "x", EnvQueueURL: "q"}, wantErr: "DLQ_URL is required"},
		{name: "the channel's build error is returned", env: valid, newErr: errors.New("TEST_URL is odd"), wantErr: "TEST_URL is odd"},
		{name: "the default concurrency", env: valid, wantConcurrency: DefaultConcurrency},
		{name: "a set concurrency", env: valid, concurrency: 1, wantConcurrency: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := channel.Spec{
				Name: "test",
				Open: channel.Opener(func(getenv func(string) string) (string, error) {
					if getenv("TEST_URL") == "" {
						return "", errors.New("TEST_URL is required")
					}
					return getenv("TEST_URL"), nil
				}, func(string, aws.Config) (delivery.Channel, error) {
					return namedChannel("test"), tt.newErr
				}),
				Concurrency: tt.concurrency,
			}
			rt, err := Setup(context.Background(), l, func(k string) string { return tt.env[k] }, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Setup error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Setup: %v", err)
			}
			if rt.cfg.Concurrency != tt.wantConcurrency || rt.cfg.QueueURL != "q" || rt.cfg.DLQURL != "d" {
				t.Errorf("runtime config = %+v, want concurrency %d and the queues from the environment", rt.cfg, tt.wantConcurrency)
			}
		})
	}
}
