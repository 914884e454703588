package infra_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	sesv1 "github.com/aws/aws-sdk-go-v2/service/ses"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

// coldStartCase is one bootstrap the cold-start benchmark starts.
type coldStartCase struct {
	name   string
	id     string   // logical id in template.yaml; empty for the baseline
	target string   // logical id whose sam build target (make build-<id>) builds it
	vars   []string // further make variables for that target
	queues []string // queues its environment names
	params func(b *testing.B) map[string]string
	env    func(b *testing.B) map[string]string // variables beyond the stack's, for a local far end
	event  string                               // file under events/ it is first invoked with
	ok     func(answer []byte) error
}

// baseline is the hello-world function in testdata/hello, built by the
// recipe the functions' sam build runs (SAM_FUNCTION picks the package),
// so its flags are theirs by construction.
var baseline = coldStartCase{
	name:   "hello",
	target: "IngestFunction",
	vars:   []string{"SAM_FUNCTION=../infra/testdata/hello"},
	event:  "sqs-webhook.json", // any JSON: it ignores its input
	ok: func(answer []byte) error {
		if string(answer) != `"hello"` {
			return fmt.Errorf("want \"hello\"")
		}
		return nil
	},
}

var coldStartFunctions = []coldStartCase{
	{
		name: "ingest", id: "IngestFunction", target: "IngestFunction",
		queues: []string{"QuarantineQueue", "WebhookQueue", "EmailQueue", "SlackQueue", "TelegramQueue"},
		params: func(*testing.B) map[string]string { return with("CallbackToken", fixtureToken) },
		event:  "apigw-new_chat.json",
		ok: func(answer []byte) error {
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(answer, &resp); err != nil {
				return err
			}
			if resp.StatusCode != http.StatusAccepted {
				return fmt.Errorf("status %d, want 202", resp.StatusCode)
			}
			return nil
		},
	},
	{
		name: "webhook", id: "WebhookFunction", target: "WebhookFunction",
		queues: []string{"WebhookQueue", "WebhookDlq"},
		params: func(b *testing.B) map[string]string { return with("WebhookUrl", okSink(b)+"/nicechat") },
		event:  "sqs-webhook.json",
		ok:     noBatchItemFailures,
	},
	{
		name: "email", id: "EmailFunction", target: "EmailFunction",
		queues: []string{"EmailQueue", "EmailDlq"},
		params: func(b *testing.B) map[string]string {
			params := with("EmailTo", "ops@example.com")
			if _, err := localaws.SES(b).VerifyEmailIdentity(b.Context(), &sesv1.VerifyEmailIdentityInput{EmailAddress: aws.String(params["EmailFrom"])}); err != nil {
				b.Fatalf("verify the sender on the local SES: %v", err)
			}
			return params
		},
		event: "sqs-email.json",
		ok:    noBatchItemFailures,
	},
	{
		name: "slack", id: "SlackFunction", target: "SlackFunction",
		queues: []string{"SlackQueue", "SlackDlq"},
		params: func(b *testing.B) map[string]string {
			return with("SlackWebhookUrl", okSink(b)+"/services/T0/B0/X")
		},
		event: "sqs-slack.json",
		ok:    noBatchItemFailures,
	},
	{
		name: "telegram", id: "TelegramFunction", target: "TelegramFunction",
		queues: []string{"TelegramQueue", "TelegramDlq"},
		params: func(*testing.B) map[string]string { return allChannels },
		env: func(b *testing.B) map[string]string {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				_, _ = io.WriteString(w, `{"ok":true,"result":{"message_id":1}}`)
			}))
			b.Cleanup(api.Close)
			return map[string]string{"TELEGRAM_API_URL": api.URL}
		},
		event: "sqs-telegram.json",
		ok:    noBatchItemFailures,
	},
}

// BenchmarkColdStart reports, per function, the size of the deployed
// linux/arm64 bootstrap and its cold start under aws-lambda-rie: the time
// from starting the emulator process to the answer of the first invoke.
// The emulator starts the bootstrap only when that invoke arrives, so the
// figure is: emulator start-up (ms/emulator-up-<arch>, until it accepts
// connections), then bootstrap exec, its init (configuration, AWS
// clients) and the first invocation's own work against local servers
// (ingest: its SQS sends to moto; email: SES on moto; webhook, slack and
// telegram: one POST to an httptest sink).
//
// Lambda runs arm64 but the machine running the benchmark may not, so the
// cold start is that of a build for the host with the same flags; its
// unit names the architecture.
//
// Each iteration also cold-starts the hello-world baseline, so the ratio
// compares figures taken side by side.
func BenchmarkColdStart(b *testing.B) {
	// The sub-benchmarks run more than once (b.N = 1, then the real N):
	// build each bootstrap once, here, where the parent runs once.
	dir := b.TempDir()
	built := map[string]string{}
	build := func(b *testing.B, c coldStartCase, arch string) string {
		b.Helper()
		key := c.name + "-" + arch
		if path, ok := built[key]; ok {
			return path
		}
		vars := slices.Clone(c.vars)
		if arch != "arm64" {
			vars = append(vars, "LAMBDA_ENV=CGO_ENABLED=0 GOOS="+runtime.GOOS+" GOARCH="+arch)
		}
		if err := os.Mkdir(filepath.Join(dir, key), 0o755); err != nil {
			b.Fatal(err)
		}
		built[key] = samBuild(b, c.target, filepath.Join(dir, key), vars...)
		return built[key]
	}
	size := func(b *testing.B, c coldStartCase) float64 {
		b.Helper()
		info, err := os.Stat(build(b, c, "arm64"))
		if err != nil {
			b.Fatal(err)
		}
		return float64(info.Size())
	}

	helloFn := function{ID: "HelloFunction", Timeout: 3}
	b.Run(baseline.name, func(b *testing.B) {
		bootstrap, event := build(b, baseline, runtime.GOARCH), readEvent(b, baseline.event)
		var sum coldStartTimes
		for range b.N {
			sum.add(coldStart(b, helloFn, bootstrap, event, baseline.ok))
		}
		sum.report(b, "")
		b.ReportMetric(size(b, baseline), "bytes/arm64-bootstrap")
	})

	for _, c := range coldStartFunctions {
		b.Run(c.name, func(b *testing.B) {
			s := newStack(b, loadTemplate(b), c.params(b))
			localQueues(b, s, c.queues...)
			fn := s.function(c.id)
			if c.env != nil {
				maps.Copy(fn.Env, c.env(b))
			}
			bootstrap, event := build(b, c, runtime.GOARCH), readEvent(b, c.event)
			helloBootstrap, helloEvent := build(b, baseline, runtime.GOARCH), readEvent(b, baseline.event)

			var sum, helloSum coldStartTimes
			for range b.N {
				helloSum.add(coldStart(b, helloFn, helloBootstrap, helloEvent, baseline.ok))
				sum.add(coldStart(b, fn, bootstrap, event, c.ok))
			}
			sum.report(b, "")
			helloSum.report(b, "hello-")
			b.ReportMetric(float64(sum.total)/float64(helloSum.total), "ratio-vs-hello")
			fnSize, helloSize := size(b, c), size(b, baseline)
			b.ReportMetric(fnSize, "bytes/arm64-bootstrap")
			b.ReportMetric(fnSize/helloSize, "size-ratio-vs-hello")
		})
	}
}

// coldStartTimes are the sums over the iterations.
type coldStartTimes struct{ total, up time.Duration }

func (s *coldStartTimes) add(t coldStartTimes) { s.total, s.up = s.total+t.total, s.up+t.up }

// report reports the means; the paired baseline's (prefix "hello-") only
// its cold start. The mean cold start is also ns/op: the wall time of an
// iteration includes the baseline's start and the teardowns.
func (s coldStartTimes) report(b *testing.B, prefix string) {
	n := float64(b.N)
	b.ReportMetric(ms(s.total)/n, "ms/"+prefix+"coldstart-"+runtime.GOARCH)
	if prefix == "" {
		b.ReportMetric(float64(s.total.Nanoseconds())/n, "ns/op")
		b.ReportMetric(ms(s.up)/n, "ms/emulator-up-"+runtime.GOARCH)
	}
}

// coldStart starts the emulator with bootstrap, invokes it once with
// event, and returns the time from starting the emulator process to the
// function's answer and the part until the emulator accepted connections.
// The process is stopped before it returns, so no two are up at once.
func coldStart(b *testing.B, fn function, bootstrap string, event []byte, ok func([]byte) error) coldStartTimes {
	b.Helper()
	p := newRIE(b, fn, bootstrap)
	defer func() {
		if b.Failed() {
			b.Logf("%s under aws-lambda-rie logged:\n%s", fn.ID, p.logs.String())
		}
	}()
	begin := time.Now()
	p.start(b)
	defer p.stop()
	url := p.waitListening(b)
	up := time.Since(begin)
	var answer json.RawMessage
	invoke(b, url, event, &answer)
	total := time.Since(begin)
	if err := ok(answer); err != nil {
		b.Fatalf("%s answered %s: %v", fn.ID, answer, err)
	}
	return coldStartTimes{total: total, up: up}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func readEvent(b *testing.B, file string) []byte {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "events", file))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// okSink is a webhook endpoint that accepts everything.
func okSink(b *testing.B) string {
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	b.Cleanup(sink.Close)
	return sink.URL
}

func noBatchItemFailures(answer []byte) error {
	var resp events.SQSEventResponse
	if err := json.Unmarshal(answer, &resp); err != nil {
		return err
	}
	if len(resp.BatchItemFailures) != 0 {
		return fmt.Errorf("%d batch item failures, want none", len(resp.BatchItemFailures))
	}
	return nil
}
