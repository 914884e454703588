package infra_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/channel"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
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

// coldStartIngest is ingest's case.
var coldStartIngest = coldStartCase{
	name: "ingest", id: "IngestFunction", target: "IngestFunction",
	queues: ingestQueues(),
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
}

// coldStartFunctions are ingest's case, then one per channel of
// shared/channels (its function, its queues, its events/sqs-<name>.json
// fixture, its far end from coldStartFarEnds), each followed by its
// channel's coldStartExtras.
var coldStartFunctions = slices.Concat([]coldStartCase{coldStartIngest}, channelColdStarts(channels.All))

// channelColdStarts are the cases of specs' functions.
func channelColdStarts(specs []channel.Spec) []coldStartCase {
	var out []coldStartCase
	for _, spec := range specs {
		c := coldStartCase{
			name: spec.Name, id: spec.Title + "Function", target: spec.Title + "Function",
			queues: []string{queueID(spec), spec.Title + "Dlq"},
			params: func(b *testing.B) map[string]string { return sinkExamples(b, spec) },
			event:  "sqs-" + spec.Name + ".json",
			ok:     noBatchItemFailures,
		}
		switch far, ok := coldStartFarEnds[spec.Name]; {
		case ok:
			c.params, c.env = far.params, far.env
		case spec.Deploy.FarEnd == "":
			c.params = func(b *testing.B) map[string]string {
				b.Fatalf("channel %s names no FarEnd: it delivers through AWS, so give its first delivery a stand-in in coldStartFarEnds", spec.Name)
				return nil
			}
		case !slices.ContainsFunc(spec.Deploy.Params, func(p channel.Param) bool { return p.Name() == spec.Deploy.FarEnd }):
			// A variable no parameter sets (an API URL): its default is
			// the real API, so it points at a sink here.
			c.env = func(b *testing.B) map[string]string {
				api := httptest.NewServer(http.HandlerFunc(farEndAnswer))
				b.Cleanup(api.Close)
				return map[string]string{spec.Deploy.FarEnd: api.URL}
			}
		}
		out = append(out, c)
		for _, extra := range coldStartExtras[spec.Name] {
			extra.id, extra.target, extra.queues = c.id, c.target, c.queues
			extra.event, extra.ok = c.event, c.ok
			out = append(out, extra)
		}
	}
	return out
}

// sinkExamples are the values that turn every channel on (allChannels),
// with each of spec's parameters whose Example is a URL pointed at an
// okSink, same path: the far end of a channel that POSTs to a URL it is
// given (the webhook, Slack's incoming webhook).
func sinkExamples(b *testing.B, spec channel.Spec) map[string]string {
	params, sink := with(), ""
	for name, v := range examples(spec) {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "https" && u.Scheme != "http" {
			continue
		}
		if sink == "" {
			sink = okSink(b)
		}
		params[name] = sink + u.RequestURI()
	}
	return params
}

// coldStartFarEnds are the far ends of the channels that deliver through
// AWS (no Deploy.FarEnd): what the first delivery of each reaches instead.
// A channel not named here gets sinkExamples, and a sink answering as
// farEndAnswer does at its FarEnd variable when that is an API URL
// setting rather than a parameter; one with no FarEnd stops the benchmark.
var coldStartFarEnds = map[string]struct {
	params func(b *testing.B) map[string]string
	env    func(b *testing.B) map[string]string
}{
	// SES, through fakeAWS.
	"email": {params: func(*testing.B) map[string]string { return with("EmailTo", "ops@example.com") }},
}

// coldStartExtras are further cases of a channel's function, each with
// its own settings.
var coldStartExtras = map[string][]coldStartCase{
	"webhook": {{
		// The webhook with its signing secret in Secrets Manager: what
		// reading it at start costs, beside the plain webhook above.
		name: "webhook-secret",
		params: func(b *testing.B) map[string]string {
			return with("WebhookUrl", okSink(b)+"/nicechat", "WebhookSecret", "", "WebhookSecretSecretArn", testSecretArn("webhook"))
		},
	}},
}

// BenchmarkColdStart reports, per function, the size of the deployed
// linux/arm64 bootstrap and two figures of its cold start under
// aws-lambda-rie, each the median of the runs:
//
//   - first response: from starting the emulator process to the answer
//     of the first invoke. The emulator starts the bootstrap only when
//     that invoke arrives, so it is the emulator's start-up, then the
//     bootstrap's exec, its init (configuration, AWS clients) and the
//     first invocation's own work;
//   - init: the duration of the emulator's INIT REPORT line, from starting
//     the bootstrap to its first poll for work (exec, the Go runtime,
//     package initialisation, main up to lambda.Start). The REPORT line's
//     "Init Duration" would not do: this emulator starts the bootstrap
//     within the invoke and reports about 0.02 ms there.
//
// Every AWS call and far end answers at once (fakeAWS, an httptest sink),
// so the figures are the functions' own. Each run of a function follows
// a run of the hello-world baseline, so the ratios compare figures taken
// side by side.
//
// Lambda runs arm64 but the machine running the benchmark may not, so the
// cold start is that of a build for the host with the same flags.
func BenchmarkColdStart(b *testing.B) {
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
	endpoint := fakeAWS(b)

	helloFn := function{ID: "HelloFunction", Timeout: 3}
	b.Run(baseline.name, func(b *testing.B) {
		bootstrap, event := build(b, baseline, runtime.GOARCH), readEvent(b, baseline.event)
		var runs coldStarts
		for b.Loop() {
			runs.add(coldStart(b, helloFn, bootstrap, event, baseline.ok))
		}
		runs.report(b)
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
			// Over the emulator's AWS_ENDPOINT_URL, the local server's.
			fn.Env["AWS_ENDPOINT_URL"] = endpoint
			bootstrap, event := build(b, c, runtime.GOARCH), readEvent(b, c.event)
			helloBootstrap, helloEvent := build(b, baseline, runtime.GOARCH), readEvent(b, baseline.event)

			var runs, hello coldStarts
			for b.Loop() {
				hello.add(coldStart(b, helloFn, helloBootstrap, helloEvent, baseline.ok))
				runs.add(coldStart(b, fn, bootstrap, event, c.ok))
			}
			runs.report(b)
			b.ReportMetric(ms(hello.median(func(c coldStartTimes) time.Duration { return c.total })), "ms/hello-first-response")
			b.ReportMetric(ms(hello.median(func(c coldStartTimes) time.Duration { return c.init })), "ms/hello-init")
			b.ReportMetric(runs.ratio(hello, func(c coldStartTimes) time.Duration { return c.total }), "x-hello-first-response")
			b.ReportMetric(runs.ratio(hello, func(c coldStartTimes) time.Duration { return c.init }), "x-hello-init")
			fnSize, helloSize := size(b, c), size(b, baseline)
			b.ReportMetric(fnSize, "bytes/arm64-bootstrap")
			b.ReportMetric(fnSize/helloSize, "x-hello-size")
		})
	}
}

// coldStartTimes are one cold start's figures.
type coldStartTimes struct{ total, up, init time.Duration }

type coldStarts []coldStartTimes

func (s *coldStarts) add(t coldStartTimes) { *s = append(*s, t) }

func (s coldStarts) median(of func(coldStartTimes) time.Duration) time.Duration {
	ds := make([]time.Duration, len(s))
	for i, t := range s {
		ds[i] = of(t)
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// ratio is the median of s over the median of base.
func (s coldStarts) ratio(base coldStarts, of func(coldStartTimes) time.Duration) float64 {
	return float64(s.median(of)) / float64(base.median(of))
}

// report reports the medians; the median first response is also ns/op
// (an iteration's wall time includes the baseline's run and teardowns).
func (s coldStarts) report(b *testing.B) {
	total := s.median(func(c coldStartTimes) time.Duration { return c.total })
	b.ReportMetric(float64(total.Nanoseconds()), "ns/op")
	b.ReportMetric(ms(total), "ms/first-response")
	b.ReportMetric(ms(s.median(func(c coldStartTimes) time.Duration { return c.init })), "ms/init")
	b.ReportMetric(ms(s.median(func(c coldStartTimes) time.Duration { return c.up })), "ms/emulator-up")
	b.ReportMetric(float64(len(s)), "runs")
}

// initReport is the emulator's INIT REPORT line, which it logs at level
// info.
var initReport = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// coldStart starts the emulator with bootstrap, invokes it once with
// event, and returns the time from starting the emulator process to the
// function's answer, the part until the emulator accepted connections,
// and the init duration the emulator reports. The process is stopped
// before it returns, so no two are up at once. A run that fails is tried
// again, twice at most: the emulator's ports are picked free but may be
// taken by another process before it listens.
func coldStart(b *testing.B, fn function, bootstrap string, event []byte, ok func([]byte) error) coldStartTimes {
	b.Helper()
	for attempt := 1; ; attempt++ {
		times, logs, err := tryColdStart(b, fn, bootstrap, event, ok)
		if err == nil {
			return times
		}
		if attempt == 3 {
			b.Fatalf("%s: %v; under aws-lambda-rie it logged:\n%s", fn.ID, err, logs)
		}
		b.Logf("%s: %v; trying again", fn.ID, err)
	}
}

func tryColdStart(b *testing.B, fn function, bootstrap string, event []byte, ok func([]byte) error) (coldStartTimes, string, error) {
	p := newRIE(b, fn, bootstrap)
	if i := slices.Index(p.cmd.Args, "--log-level"); i > 0 && i+1 < len(p.cmd.Args) {
		p.cmd.Args[i+1] = "info" // for its INIT REPORT line
	}
	begin := time.Now()
	p.start(b)
	defer p.stop()
	url := p.waitListening(b)
	up := time.Since(begin)
	answer, err := invokeOnce(url, event)
	total := time.Since(begin)
	if err == nil {
		err = ok(answer)
	}
	if err != nil {
		return coldStartTimes{}, p.logs.String(), fmt.Errorf("answered %s: %w", answer, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if m := initReport.FindStringSubmatch(p.logs.String()); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			return coldStartTimes{total: total, up: up, init: time.Duration(v * float64(time.Millisecond))}, "", nil
		}
		if time.Now().After(deadline) {
			return coldStartTimes{}, p.logs.String(), fmt.Errorf("the emulator logged no INIT REPORT")
		}
		time.Sleep(time.Millisecond)
	}
}

// invokeOnce posts event to the emulator and returns the function's
// answer.
func invokeOnce(url string, event []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("the emulator answered %d", resp.StatusCode)
	}
	return body, nil
}

// fakeAWS is an AWS endpoint answering, at once and successfully, every
// call the functions make on a first invocation that delivers: SQS's,
// DynamoDB's and Secrets Manager's (JSON protocol) and SES v1's SendEmail
// (Query protocol). Any
// other call is refused, so that a new one shows as a failed run.
func fakeAWS(b *testing.B) string {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			switch target {
			case "AmazonSQS.SendMessage":
				_, _ = io.WriteString(w, `{"MessageId":"5fea7756-0ea4-451a-a703-a558b933e274"}`)
			case "secretsmanager.GetSecretValue":
				_, _ = io.WriteString(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:nicechat-relay/webhook-AbCdEf","SecretString":"`+allChannels["WebhookSecret"]+`"}`)
			case "AmazonSQS.ChangeMessageVisibility", "AmazonSQS.DeleteMessage",
				"DynamoDB_20120810.PutItem", "DynamoDB_20120810.UpdateItem", "DynamoDB_20120810.GetItem", "DynamoDB_20120810.DeleteItem":
				_, _ = io.WriteString(w, `{}`)
			default:
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"the benchmark's endpoint does not answer `+target+`"}`)
			}
			return
		}
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "SendEmail" {
			w.Header().Set("Content-Type", "text/xml")
			_, _ = io.WriteString(w, `<SendEmailResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><SendEmailResult><MessageId>0100018c-example</MessageId></SendEmailResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></SendEmailResponse>`)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>the benchmark's endpoint does not answer `+form.Get("Action")+`</Message></Error></ErrorResponse>`)
	}))
	b.Cleanup(server.Close)
	return server.URL
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

// The goals of issue 14, which the table holds the figures to.
const (
	goalIngestLargest   = 3.0  // × json.Valid, new_order
	goalIngestAllocs    = 40   // allocs/op, new_order
	goalIngestSmallest  = 5.0  // × json.Valid, the smallest event
	goalFirstResponse   = 1.15 // × hello
	goalInit            = 1.3  // × hello
	goalBootstrapMB     = 9.0  // MB (10^6 bytes), linux/arm64
	envBenchOutput      = "BENCH_OUTPUT"
	largestIngestFigure = nicechat.TypeNewOrder
)

// TestBenchTable prints the figures of `make bench`, which it finds in
// the benchmarks' output (the file BENCH_OUTPUT names), as one table with
// each goal beside its figure and the machine they were taken on. It
// prints; it fails only when a figure is missing. Without BENCH_OUTPUT it
// skips: `make bench` runs it.
func TestBenchTable(t *testing.T) {
	file := os.Getenv(envBenchOutput)
	if file == "" {
		t.Skip(envBenchOutput + " is unset: make bench sets it")
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res := parseBench(f)

	smallest := nicechat.KnownTypes[0]
	for _, typ := range nicechat.KnownTypes {
		if len(fixtures.Body(typ)) < len(fixtures.Body(smallest)) {
			smallest = typ
		}
	}
	var rows [][4]string
	row := func(figure string, value float64, format, goal string, met bool) {
		verdict := "yes"
		switch {
		case goal == "":
			verdict = ""
		case math.IsNaN(value):
			verdict = "missing"
		case !met:
			verdict = "NO"
		}
		rows = append(rows, [4]string{figure, fmt.Sprintf(format, value), goal, verdict})
	}
	get := func(bench, unit string) float64 {
		v, ok := res.value(bench, unit)
		if !ok {
			t.Errorf("the output holds no %s of %s", unit, bench)
			return math.NaN()
		}
		return v
	}
	for _, typ := range nicechat.KnownTypes {
		bench := "BenchmarkIngest/" + typ
		ratio, us := get(bench, "x-json.Valid"), get(bench, "ns/op")/1000
		switch typ {
		case largestIngestFigure:
			row(fmt.Sprintf("ingest %s (%.1f µs), × json.Valid", typ, us), ratio, "%.2f×", fmt.Sprintf("≤ %.0f×", goalIngestLargest), ratio <= goalIngestLargest)
			allocs := get(bench, "allocs/op")
			row("ingest "+typ+", allocs/op", allocs, "%.0f", fmt.Sprintf("≤ %d", goalIngestAllocs), allocs <= goalIngestAllocs)
		case smallest:
			row(fmt.Sprintf("ingest %s, the smallest (%.1f µs), × json.Valid", typ, us), ratio, "%.2f×", fmt.Sprintf("≤ %.0f×", goalIngestSmallest), ratio <= goalIngestSmallest)
		default:
			row(fmt.Sprintf("ingest %s (%.1f µs), × json.Valid", typ, us), ratio, "%.2f×", "", true)
		}
	}
	hello := "BenchmarkColdStart/" + baseline.name
	row(fmt.Sprintf("hello (the baseline): first response, ms (median of %.0f runs)", get(hello, "runs")), get(hello, "ms/first-response"), "%.1f", "", true)
	row("hello (the baseline): init, ms", get(hello, "ms/init"), "%.2f", "", true)
	for _, c := range coldStartFunctions {
		bench := "BenchmarkColdStart/" + c.name
		first, init := get(bench, "x-hello-first-response"), get(bench, "x-hello-init")
		row(fmt.Sprintf("%s: first response (%.1f ms, hello %.1f; %.0f runs each), × hello", c.name, get(bench, "ms/first-response"), get(bench, "ms/hello-first-response"), get(bench, "runs")),
			first, "%.2f×", fmt.Sprintf("≤ %.2f×", goalFirstResponse), first <= goalFirstResponse)
		row(fmt.Sprintf("%s: init (%.2f ms, hello %.2f), × hello", c.name, get(bench, "ms/init"), get(bench, "ms/hello-init")),
			init, "%.2f×", fmt.Sprintf("≤ %.1f×", goalInit), init <= goalInit)
	}
	row("hello: linux/arm64 bootstrap, MB", get(hello, "bytes/arm64-bootstrap")/1e6, "%.2f", "", true)
	for _, c := range coldStartFunctions {
		mb := get("BenchmarkColdStart/"+c.name, "bytes/arm64-bootstrap") / 1e6
		row(fmt.Sprintf("%s: linux/arm64 bootstrap, MB (%.2f MiB)", c.name, mb*1e6/(1<<20)), mb, "%.2f", fmt.Sprintf("≤ %.1f", goalBootstrapMB), mb <= goalBootstrapMB)
	}

	fmt.Printf("\nmake bench on %s\n\n", machine(res))
	width := [4]int{len("figure"), len("measured"), len("goal"), len("met")}
	for _, r := range rows {
		for i, cell := range r {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	line := func(cells [4]string) {
		for i, cell := range cells {
			fmt.Printf("| %s%s ", cell, strings.Repeat(" ", width[i]-len([]rune(cell))))
		}
		fmt.Println("|")
	}
	line([4]string{"figure", "measured", "goal", "met"})
	line([4]string{strings.Repeat("-", width[0]), strings.Repeat("-", width[1]), strings.Repeat("-", width[2]), strings.Repeat("-", width[3])})
	for _, r := range rows {
		line(r)
	}
	fmt.Println()
}

// benchResults are the figures of `go test -bench` output: per benchmark
// (without its -N suffix) and unit, every value reported (one per -count).
type benchResults struct {
	figures map[string]map[string][]float64
	header  map[string]string // goos, goarch, cpu
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.*)$`)

func parseBench(r io.Reader) benchResults {
	res := benchResults{figures: map[string]map[string][]float64{}, header: map[string]string{}}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		text := sc.Text()
		for _, key := range []string{"goos", "goarch", "cpu"} {
			if v, ok := strings.CutPrefix(text, key+": "); ok {
				res.header[key] = v
			}
		}
		m := benchLine.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		if res.figures[m[1]] == nil {
			res.figures[m[1]] = map[string][]float64{}
		}
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				res.figures[m[1]][fields[i+1]] = append(res.figures[m[1]][fields[i+1]], v)
			}
		}
	}
	return res
}

// value is the median of what a benchmark reported in unit.
func (r benchResults) value(bench, unit string) (float64, bool) {
	vs := slices.Clone(r.figures[bench][unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	return vs[len(vs)/2], true
}

// machine describes where the figures were taken.
func machine(res benchResults) string {
	mem := ""
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				if kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB")); err == nil {
					mem = fmt.Sprintf(", %.0f GB RAM", float64(kb)/(1<<20))
				}
			}
		}
	}
	cpu := res.header["cpu"]
	if cpu == "" {
		cpu = "unknown CPU"
	}
	return fmt.Sprintf("%s/%s, %d CPUs (%s)%s, %s, %s", res.header["goos"], res.header["goarch"], runtime.NumCPU(), cpu, mem,
		runtime.Version(), time.Now().Format("2006-01-02"))
}

// ingestQueues are the queues ingest sends to: the quarantine and each
// channel's.
func ingestQueues() []string {
	out := []string{"QuarantineQueue"}
	for _, spec := range channels.All {
		out = append(out, queueID(spec))
	}
	return out
}
