// Package localrelay is where a running local relay (make run) says it
// listens: a file in its data directory, written once both listeners are
// open and removed when it stops, so that make demo and relayctl find it
// without flags. A relay killed with kill -9 leaves the file behind; the
// process id in it tells a reader that nothing runs there any more.
package localrelay

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

const (
	// EnvDataDir names the relay's data directory; DefaultDataDir is
	// relative to where the relay, make demo and relayctl run (the
	// repository's root).
	EnvDataDir     = "RELAY_DATA_DIR"
	DefaultDataDir = "var"

	// File is the file in the data directory.
	File = "relay.json"
)

// Info is what the file holds.
type Info struct {
	PID int `json:"pid"`
	// CallbackURL is the callback listener's base URL: Nice Chat posts to
	// CallbackURL + "/callback/" + the token. It holds no token.
	CallbackURL string `json:"callback_url"`
	// AdminURL serves the status page, /api/…, /sqs and the built-in
	// sink, to this machine only: relayctl's --relay.
	AdminURL  string    `json:"admin_url"`
	StartedAt time.Time `json:"started_at"`
}

// ErrNotRunning is what Find says when no relay runs on the directory.
var ErrNotRunning = errors.New("no local relay is running")

// DataDir is the data directory getenv names, else the default.
func DataDir(getenv func(string) string) string {
	if v := getenv(EnvDataDir); v != "" {
		return v
	}
	return DefaultDataDir
}

// Write records info in dataDir, replacing the file whole.
func Write(dataDir string, info Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, File)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("say where the relay listens: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("say where the relay listens: %w", err)
	}
	return nil
}

// Remove deletes the file, once the relay has stopped listening.
func Remove(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, File))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Find reads the file in dataDir. It wraps ErrNotRunning when there is
// none, or when the process that wrote it is gone (the error then names
// the process id).
func Find(dataDir string) (Info, error) {
	path := filepath.Join(dataDir, File)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %s has no %s", ErrNotRunning, dataDir, File)
	}
	if err != nil {
		return Info{}, err
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil || info.PID <= 0 || info.AdminURL == "" || info.CallbackURL == "" {
		return Info{}, fmt.Errorf("%s is not what a relay writes (%v)", path, err)
	}
	if !alive(info.PID) {
		return Info{}, fmt.Errorf("%w: the relay that wrote %s (pid %d) has stopped", ErrNotRunning, path, info.PID)
	}
	return info, nil
}

// alive reports whether a process with that id exists. A process of
// another user answers EPERM: it exists.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
