package faultproxy_test

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/nicechat-relay/nicechat-relay/shared/faultproxy"
	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

func TestMain(m *testing.M) { os.Exit(localaws.Main(m)) }

// sqsVia is an SQS client of the local server that goes through p, with
// the SDK's retries off so that each call reaches the proxy once.
func sqsVia(t *testing.T, p *faultproxy.Proxy, timeout time.Duration) *sqs.Client {
	return sqs.NewFromConfig(localaws.Config(t), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(p.URL)
		o.RetryMaxAttempts = 1
		if timeout > 0 {
			o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(timeout)
		}
	})
}

func send(t *testing.T, c *sqs.Client, queue, body string) error {
	_, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(body)})
	return err
}

// queued returns the bodies waiting on a queue of the local server.
func queued(t *testing.T, queue string) []string {
	t.Helper()
	out, err := localaws.SQS(t).ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queue), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
	}
	return bodies
}

func TestPassesUndecidedCallsToTheServerAndNumbersThemPerAction(t *testing.T) {
	queue := localaws.Queue(t, "q")
	p := faultproxy.New(t, localaws.Endpoint(t), func(faultproxy.Call) *faultproxy.Answer { return nil })
	c := sqsVia(t, p, 0)

	for _, body := range []string{"one", "two"} {
		if err := send(t, c, queue, body); err != nil {
			t.Fatalf("send through the proxy: %v", err)
		}
	}
	if _, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue)}); err != nil {
		t.Fatal(err)
	}

	if got := queued(t, queue); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"one", "two"}) {
		t.Errorf("queue holds %q, want one and two", got)
	}
	var got []string
	for _, call := range p.Calls() {
		got = append(got, call.Action+"#"+string(rune('0'+call.N)))
	}
	if want := []string{"SendMessage#1", "SendMessage#2", "GetQueueAttributes#1"}; !slices.Equal(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if passed, faulted := p.Count("SendMessage"); passed != 2 || faulted != 0 {
		t.Errorf("SendMessage passed %d, faulted %d; want 2, 0", passed, faulted)
	}
}

func TestTheSDKReadsInjectedErrorsAsTheServiceSendsThem(t *testing.T) {
	queue := localaws.Queue(t, "q")
	tests := []struct {
		name       string
		answer     *faultproxy.Answer
		call       func(endpoint string) error
		wantCode   string
		wantMsg    string
		wantStatus int
		wantFault  smithy.ErrorFault
	}{
		{
			name:   "SES throttling in the Query XML shape",
			answer: faultproxy.SESError(400, "Sender", "Throttling", "Maximum sending rate exceeded."),
			call: func(endpoint string) error {
				c := ses.NewFromConfig(localaws.Config(t), func(o *ses.Options) { o.BaseEndpoint = aws.String(endpoint); o.RetryMaxAttempts = 1 })
				_, err := c.SendEmail(context.Background(), &ses.SendEmailInput{
					Source:      aws.String("relay@example.com"),
					Destination: &sestypes.Destination{ToAddresses: []string{"owner@example.com"}},
					Message:     &sestypes.Message{Subject: &sestypes.Content{Data: aws.String("s")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("b")}}},
				})
				return err
			},
			// The SDK's Query deserializer does not read <Type>.
			wantCode: "Throttling", wantMsg: "Maximum sending rate exceeded.", wantStatus: 400, wantFault: smithy.FaultUnknown,
		},
		{
			name:   "an SQS internal error in the JSON shape",
			answer: faultproxy.SQSError(500, "Receiver", "InternalError", "We encountered an internal error. Please try again."),
			call: func(endpoint string) error {
				c := sqs.NewFromConfig(localaws.Config(t), func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint); o.RetryMaxAttempts = 1 })
				return send(t, c, queue, "never queued")
			},
			wantCode: "InternalError", wantMsg: "We encountered an internal error. Please try again.", wantStatus: 500, wantFault: smithy.FaultServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := faultproxy.New(t, localaws.Endpoint(t), func(faultproxy.Call) *faultproxy.Answer { return tt.answer })

			err := tt.call(p.URL)

			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want an API error", err, err)
			}
			var withStatus interface{ HTTPStatusCode() int }
			if !errors.As(err, &withStatus) || withStatus.HTTPStatusCode() != tt.wantStatus {
				t.Errorf("status of %v, want %d", err, tt.wantStatus)
			}
			if apiErr.ErrorCode() != tt.wantCode || apiErr.ErrorMessage() != tt.wantMsg || apiErr.ErrorFault() != tt.wantFault {
				t.Errorf("code %q message %q fault %v, want %q %q %v", apiErr.ErrorCode(), apiErr.ErrorMessage(), apiErr.ErrorFault(), tt.wantCode, tt.wantMsg, tt.wantFault)
			}
			if calls := p.Calls(); len(calls) != 1 || !calls[0].Faulted {
				t.Errorf("calls = %+v, want one faulted", calls)
			}
		})
	}
	if got := queued(t, queue); len(got) != 0 {
		t.Errorf("a faulted SendMessage reached the server: %q", got)
	}
}

func TestHangHoldsTheCallUntilTheClientGivesUp(t *testing.T) {
	queue := localaws.Queue(t, "q")
	p := faultproxy.New(t, localaws.Endpoint(t), func(faultproxy.Call) *faultproxy.Answer { return faultproxy.Hang() })

	err := send(t, sqsVia(t, p, 200*time.Millisecond), queue, "held")

	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("err = %v, want the client's timeout", err)
	}
	if passed, faulted := p.Count("SendMessage"); passed != 0 || faulted != 1 {
		t.Errorf("SendMessage passed %d, faulted %d; want 0, 1", passed, faulted)
	}
	if got := queued(t, queue); len(got) != 0 {
		t.Errorf("a held SendMessage reached the server: %q", got)
	}
}

func TestDiceReplayARunFromItsSeed(t *testing.T) {
	t.Setenv(faultproxy.EnvSeed, "42")
	rolls := func(keys []string) map[string][]uint64 {
		d := faultproxy.NewDice(t)
		if d.Seed() != 42 {
			t.Fatalf("seed = %d, want 42 from %s", d.Seed(), faultproxy.EnvSeed)
		}
		out := map[string][]uint64{}
		for _, k := range keys {
			n, r := d.Roll(k)
			if n != len(out[k])+1 {
				t.Fatalf("roll %d of %q counted as %d", len(out[k])+1, k, n)
			}
			out[k] = append(out[k], r.Uint64())
		}
		return out
	}

	// The same rolls in another order, as concurrent requests may come.
	a := rolls([]string{"x", "y", "x", "z", "y", "x"})
	b := rolls([]string{"z", "x", "x", "y", "x", "y"})
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			t.Errorf("rolls of %q = %v then %v: the order changed them", k, v, b[k])
		}
	}
	if a["x"][0] == a["x"][1] || a["x"][0] == a["y"][0] {
		t.Errorf("rolls repeat across counts or keys: %v", a)
	}

	j1, j2 := faultproxy.NewDice(t).Jitter(), faultproxy.NewDice(t).Jitter()
	for range 100 {
		step := 200 * time.Millisecond
		v := j1(step)
		if v < 0 || v > step || v != j2(step) {
			t.Fatalf("jitter %v (other %v) for step %v: want the same value in [0, step]", v, j2(step), step)
		}
	}
}

func TestDiceRefuseABadSeed(t *testing.T) {
	t.Setenv(faultproxy.EnvSeed, "not-a-number")
	ft := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		faultproxy.NewDice(ft)
	}()
	<-done
	if !ft.failed {
		t.Error("a bad seed was accepted")
	}
}

// fatalRecorder records a Fatalf instead of failing the test.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (f *fatalRecorder) Helper()               {}
func (f *fatalRecorder) Logf(string, ...any)   {}
func (f *fatalRecorder) Fatalf(string, ...any) { f.failed = true; runtime.Goexit() }
