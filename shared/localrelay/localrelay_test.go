package localrelay_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
)

// exitedPID is the process id of a process that has exited, as a relay
// killed with kill -9 leaves its own.
func exitedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("go", "version")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestFindReturnsOnlyARelayWhoseProcessRuns(t *testing.T) {
	running := localrelay.Info{PID: os.Getpid(), CallbackURL: "http://127.0.0.1:18080", AdminURL: "http://127.0.0.1:18090", StartedAt: time.Now().UTC().Truncate(time.Second)}
	killed := running
	killed.PID = exitedPID(t)
	tests := []struct {
		name       string
		write      func(dir string) error
		notRunning bool   // errors.Is(err, ErrNotRunning)
		wantErr    string // in the error, when there is one
	}{
		{"a running relay's file", func(dir string) error { return localrelay.Write(dir, running) }, false, ""},
		{"a killed relay's file", func(dir string) error { return localrelay.Write(dir, killed) }, true, "pid " + strconv.Itoa(killed.PID)},
		{"no file", func(string) error { return nil }, true, "has no relay.json"},
		{"a file removed on a clean stop", func(dir string) error {
			if err := localrelay.Write(dir, running); err != nil {
				return err
			}
			return localrelay.Remove(dir)
		}, true, "has no relay.json"},
		{"a file that is not a relay's", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, localrelay.File), []byte(`{"pid":"x"}`), 0o600)
		}, false, "not what a relay writes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tt.write(dir); err != nil {
				t.Fatal(err)
			}
			got, err := localrelay.Find(dir)
			if errors.Is(err, localrelay.ErrNotRunning) != tt.notRunning {
				t.Fatalf("Find: %v; want ErrNotRunning: %v", err, tt.notRunning)
			}
			if tt.wantErr == "" {
				if err != nil || got != running {
					t.Fatalf("Find = %+v, %v; want %+v", got, err, running)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Find: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestDataDirIsRelayDataDirElseVar(t *testing.T) {
	for env, want := range map[string]string{"": "var", "var2": "var2"} {
		if got := localrelay.DataDir(func(string) string { return env }); got != want {
			t.Errorf("DataDir with RELAY_DATA_DIR=%q = %q, want %q", env, got, want)
		}
	}
}
