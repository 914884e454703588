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
	"github.com/nicechat-relay/nicechat-relay/shared/logtest"
)

// Ctrl-C in the terminal signals make and the relay alike: the relay stops
// gracefully, and make must then end quietly: no "make: *** ... Error"
// line, and either status 0 or the interrupt itself (as any program a
// terminal's Ctrl-C stops), never a failure of its own.
func TestMakeRunStopsCleanlyOnCtrlC(t *testing.T) {
	addr := localaws.FreeAddr(t)
	cmd, out := startMakeRun(t, addr)
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
}

// startMakeRun starts make run, as the README's quick start runs it, on
// addr with a fresh data folder and env, in a process group of its own (a
// terminal's), and waits until the relay answers. The test's end kills
// what is left of it.
func startMakeRun(t *testing.T, addr string, env ...string) (*exec.Cmd, *logtest.Buffer) {
	t.Helper()
	cmd := exec.Command("make", "--no-print-directory", "-C", "..", "run")
	cmd.Env = append(append(os.Environ(), "RELAY_ADDR="+addr, "RELAY_DATA_DIR="+t.TempDir()), env...)
	out := &logtest.Buffer{}
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
		if resp, err := http.Get("http://" + addr + "/api/status"); err == nil {
			resp.Body.Close()
			return cmd, out
		}
		if time.Now().After(deadline) {
			t.Fatalf("make run did not start the relay:\n%s", out)
		}
	}
}
