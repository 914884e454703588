package infra_test

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
)

// Ctrl-C in the terminal signals make and the relay alike: the relay stops
// gracefully, and make must then end quietly: no "make: *** ... Error"
// line, and either status 0 or the interrupt itself (as any program a
// terminal's Ctrl-C stops), never a failure of its own.
func TestMakeRunStopsCleanlyOnCtrlC(t *testing.T) {
	run := startMakeRun(t)
	cmd, out := run.cmd, run.out
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	interrupted := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signal() == syscall.SIGINT
	if err != nil && !interrupted || strings.Contains(out.String(), "make: ***") {
		t.Errorf("make run after Ctrl-C: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), `"relay stopped"`) {
		t.Errorf("the relay did not say it stopped:\n%s", out)
	}
	if _, err := localrelay.Find(run.dataDir); !errors.Is(err, localrelay.ErrNotRunning) {
		t.Errorf("after Ctrl-C make demo and relayctl would still find the relay: %v", err)
	}
}

// make demo, in a second terminal, finds the relay make run started from
// its data directory alone, wherever it listens, and posts to its
// callback listener.
func TestMakeDemoFindsTheRelayMakeRunStarted(t *testing.T) {
	run := startMakeRun(t)
	demo := exec.Command("make", "--no-print-directory", "-C", "..", "demo")
	// Only the data directory, as the banner says: no address at all.
	demo.Env = append(os.Environ(), "RELAY_ADDR=", "RELAY_ADMIN_ADDR=", "CALLBACK_TOKEN=", "RELAY_DATA_DIR="+run.dataDir)
	out, err := demo.CombinedOutput()
	if err != nil {
		t.Fatalf("make demo: %v\n%s", err, out)
	}
	accepted := 0
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 1 && f[1] == "202" {
			accepted++
		}
	}
	if accepted != 6 || !strings.Contains(string(out), "See what happened: "+run.admin+"/") {
		t.Errorf("make demo: %d callbacks answered 202, want the 6 examples, and the status page on %s:\n%s", accepted, run.admin, out)
	}
	// Then what became of each: the built-in sink took every one.
	if delivered := strings.Count(string(out), "webhook       delivered\n"); delivered != 6 {
		t.Errorf("make demo: %d events delivered on the webhook, want the 6 examples:\n%s", delivered, out)
	}
	for _, want := range []string{"callback URL  " + run.callback + "/callback/", "status        " + run.admin + "/"} {
		if !strings.Contains(run.out.String(), want) {
			t.Errorf("the banner has no %q:\n%s", want, run.out)
		}
	}
}

// makeRun is make run, started by a test.
type makeRun struct {
	cmd             *exec.Cmd
	out             *logtest.Buffer
	callback, admin string // the listeners' base URLs
	dataDir         string
}

// startMakeRun starts make run, as the README's quick start runs it, with
// both listeners on free ports (a relay of one's own may run on the
// defaults), a fresh data folder and env, in a process group of its own
// (a terminal's), and waits until the relay answers. The test's end kills
// what is left of it.
func startMakeRun(t *testing.T, env ...string) makeRun {
	t.Helper()
	run := makeRun{out: &logtest.Buffer{}, dataDir: t.TempDir()}
	addr, admin := localaws.FreeAddr(t), localaws.FreeAddr(t)
	run.callback, run.admin = "http://"+addr, "http://"+admin
	cmd := exec.Command("make", "--no-print-directory", "-C", "..", "run")
	run.cmd = cmd
	cmd.Env = append(append(os.Environ(), "RELAY_ADDR="+addr, "RELAY_ADMIN_ADDR="+admin, "RELAY_DATA_DIR="+run.dataDir), env...)
	out := run.out
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait() // reaped, unless the test did
	})
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(run.admin + "/api/status"); err == nil {
			resp.Body.Close()
			return run
		}
		if time.Now().After(deadline) {
			t.Fatalf("make run did not start the relay:\n%s", out)
		}
	}
}
