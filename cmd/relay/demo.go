package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
)

// demo posts every events/ fixture to the running relay, as Nice Chat
// would, and prints what ingest answered. It finds the relay as relayctl
// does, from the relay.json the relay keeps in its data directory
// (RELAY_DATA_DIR); RELAY_ADDR, when set, names the callback listener
// instead. The relay's token is read from CALLBACK_TOKEN or the data
// directory, as the relay itself reads it.
func demo(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) int {
	dataDir := localrelay.DataDir(getenv)
	base, admin := "", "http://"+defaultAdminAddr
	if running, err := localrelay.Find(dataDir); err == nil {
		base, admin = running.CallbackURL, running.AdminURL
	} else if getenv(envAddr) == "" {
		fmt.Fprintf(stderr, "relay demo: %v\nStart the relay first: make run (make demo needs the relay's %s, when it has one)\n", err, envDataDir)
		return 1
	}
	if v := getenv(envAddr); v != "" {
		base = "http://" + v
	}
	if v := getenv(envAdminAddr); v != "" {
		admin = "http://" + v
	}
	token := getenv("CALLBACK_TOKEN")
	if token == "" {
		var err error
		token, err = readToken(dataDir)
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: %v\nStart the relay first: make run\n", err)
			return 1
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	failed := 0
	for _, name := range fixtures.Names() {
		req := fixtures.Request(name)
		r, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/callback/"+token, strings.NewReader(req.Body))
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: %v\n", err)
			return 1
		}
		r.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(r)
		if err != nil {
			fmt.Fprintf(stderr, "relay demo: is the relay running on %s? %v\nStart it with: make run\n", base, err)
			return 1
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		fmt.Fprintf(stdout, "%-18s %d %s\n", name, resp.StatusCode, compact(body))
		// The vendor's malformed examples are meant to be refused.
		want := http.StatusAccepted
		if strings.HasPrefix(name, "invalid_") {
			want = http.StatusBadRequest
		}
		if resp.StatusCode != want {
			failed++
		}
		if resp.StatusCode == http.StatusUnauthorized {
			fmt.Fprintf(stderr, "relay demo: the relay on %s refused the token: give the demo the relay's own settings (the same RELAY_DATA_DIR, or CALLBACK_TOKEN, as the relay)\n", base)
			return 1
		}
	}
	fmt.Fprintf(stdout, "\nSee what happened: %s/ (or %s/api/status)\n", admin, admin)
	if failed > 0 {
		fmt.Fprintf(stderr, "relay demo: %d fixture(s) got an unexpected answer\n", failed)
		return 1
	}
	return 0
}

func readToken(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, tokenFile))
	if err != nil {
		return "", fmt.Errorf("no callback token in %s (%w)", dataDir, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func compact(b []byte) string {
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return strings.TrimSpace(string(b))
	}
	return out.String()
}
