package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/breaker"
)

// pausedFile keeps which channels are paused, so a paused channel stays
// paused across a restart, as a disabled event source mapping does.
const pausedFile = "paused.json"

// pauses is the local relay's breaker: a paused channel's pollers stop
// receiving, so its messages wait in the queue until it is resumed.
type pauses struct {
	path string
	mu   sync.Mutex
	by   map[string]pauseState
}

type pauseState struct {
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

func loadPauses(dataDir string) (*pauses, error) {
	p := &pauses{path: filepath.Join(dataDir, pausedFile), by: map[string]pauseState{}}
	b, err := os.ReadFile(p.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return p, nil
	case err != nil:
		return nil, fmt.Errorf("read which channels are paused: %w", err)
	}
	if err := json.Unmarshal(b, &p.by); err != nil {
		return nil, fmt.Errorf("read which channels are paused (%s): %w", p.path, err)
	}
	return p, nil
}

// status is the channel's state for the status page and relayctl.
func (p *pauses) status(channel string) breaker.Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.by[channel]; ok {
		return breaker.Status{Paused: true, State: "paused", Reason: st.Reason, Since: st.Since}
	}
	return breaker.Status{State: "delivering"}
}

func (p *pauses) paused(channel string) bool { return p.status(channel).Paused }

// set pauses (reason kept) or resumes a channel and writes the file. It
// reports whether it changed the channel's state.
func (p *pauses) set(channel string, pause bool, reason string) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, was := p.by[channel]
	switch {
	case pause && was, !pause && !was:
		return false, nil
	case pause:
		p.by[channel] = pauseState{Reason: reason, Since: time.Now().UTC()}
	default:
		delete(p.by, channel)
	}
	b, _ := json.MarshalIndent(p.by, "", "  ")
	tmp := p.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return false, fmt.Errorf("keep which channels are paused: %w", err)
	}
	return true, os.Rename(tmp, p.path)
}

// pauser is one channel's breaker.Pauser.
type pauser struct {
	p       *pauses
	channel string
}

func (c pauser) Pause(_ context.Context, reason string) (bool, error) {
	return c.p.set(c.channel, true, reason)
}

// pauseRoute is POST /api/channels/{channel}/pause and .../resume, for
// relayctl channel pause|resume --relay.
func (r *relay) pauseRoute(pause bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		name := req.PathValue("channel")
		c := r.channel(name)
		if c == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no channel %q", name)})
			return
		}
		if pause && !c.on {
			// Nothing delivers: a pause would only say so, wrongly.
			writeJSON(w, http.StatusConflict, map[string]string{"error": fmt.Sprintf("the %s channel is off, so there is nothing to pause (%s)", name, c.target)})
			return
		}
		reason := "paused by the operator"
		if _, err := r.pauses.set(name, pause, reason); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		st := r.pauses.status(name)
		r.log.Info("channel "+st.State, "channel", name)
		writeJSON(w, http.StatusOK, map[string]any{"channel": name, "paused": st.Paused, "state": st.State})
	}
}

func (r *relay) channel(name string) *localChannel {
	for _, c := range r.channels {
		if c.name == name {
			return c
		}
	}
	return nil
}
