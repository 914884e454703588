package localqueue_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localqueue"
)

// crashEnv names the store a child process (this test binary again) writes
// to until it is killed.
const crashEnv = "LOCALQUEUE_CRASH_STORE"

func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		if err := writeUntilKilled(path); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(localaws.Main(m))
}

// writeUntilKilled is the child: it leaves one message in flight and one
// hidden by a visibility change, then sends from 8 goroutines, printing
// each message id once SendMessage has returned, until it is killed.
func writeUntilKilled(path string) error {
	s, err := localqueue.Open(path, localqueue.Options{})
	if err != nil {
		return err
	}
	url, err := s.CreateQueue("webhook", nil)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", args...)
	}
	for _, kind := range []string{"inflight", "held"} {
		if _, err := s.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(kind)}); err != nil {
			return err
		}
		out, err := s.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), VisibilityTimeout: 600})
		if err != nil || len(out.Messages) != 1 {
			return fmt.Errorf("receive %s: %d messages, %v", kind, len(out.Messages), err)
		}
		m := out.Messages[0]
		if kind == "held" {
			if _, err := s.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 900}); err != nil {
				return err
			}
		}
		say("%s %s", kind, aws.ToString(m.MessageId))
	}
	errs := make(chan error)
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				out, err := s.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(fmt.Sprintf("g%d-%d", g, i)), MessageAttributes: attrs})
				if err != nil {
					errs <- err
					return
				}
				say("sent %s", aws.ToString(out.MessageId))
			}
		}()
	}
	return <-errs
}

func TestSIGKILLLosesNothingSendMessageReturnedFor(t *testing.T) {
	path := storePath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	acked := map[string]string{} // id -> kind
	lines := bufio.NewScanner(stdout)
	killed := false
	for lines.Scan() {
		kind, id, _ := strings.Cut(lines.Text(), " ")
		acked[id] = kind
		if len(acked) >= killAfter && !killed {
			// SIGKILL: no deferred code, no Close, sends in the middle of
			// their commit.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("the writer stopped by itself after %d messages: %s", len(acked), stderr.String())
	}

	s := open(t, path, nil)
	url := "webhook"
	if st := stats(t, s, "webhook"); st.Delayed != 1 || st.InFlight != 0 {
		t.Errorf("stats after the crash = %+v, want nothing in flight and the message hidden by a visibility change still hidden", st)
	}
	found := map[string]bool{}
	for {
		out, err := s.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, VisibilityTimeout: 600})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			id := aws.ToString(m.MessageId)
			found[id] = true
			if acked[id] == "inflight" && receiveCount(m) != "2" {
				t.Errorf("the message in flight at the crash has ApproximateReceiveCount %s, want 2", receiveCount(m))
			}
			if acked[id] == "held" {
				t.Errorf("the message hidden for 900 s by a visibility change was received right after the restart")
			}
		}
	}
	lost := 0
	for id, kind := range acked {
		if kind != "held" && !found[id] {
			lost++
			if kind == "inflight" {
				t.Errorf("the message in flight at the crash is not visible after the restart")
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged messages lost", lost, len(acked))
	}
	t.Logf("%d acknowledged before SIGKILL, %d found after (unacknowledged sends in progress may also have landed)", len(acked), len(found))
}
