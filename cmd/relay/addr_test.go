package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestCheckListenAddrSuggestsTheAddressMeant(t *testing.T) {
	tests := []struct {
		addr    string
		suggest string // "" for valid
		refused bool
	}{
		{"127.0.0.1:8085", "", false},
		{":8085", "", false},
		{"localhost:8085", "", false},
		{"[::1]:8085", "", false},
		{"8085", "127.0.0.1:8085", true},
		{" 8085 ", "127.0.0.1:8085", true},
		{"http://127.0.0.1:8085/", "127.0.0.1:8085", true},
		{"https://localhost:8443", "localhost:8443", true},
		{"127.0.0.1", "", true},
		{"99999", "", true},
		{"port 8085", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			err := checkListenAddr(envAddr, tc.addr)
			if !tc.refused {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), envAddr) {
				t.Fatalf("err = %v, want one naming %s", err, envAddr)
			}
			if hint := "did you mean " + tc.suggest + "?"; tc.suggest != "" && !strings.HasSuffix(err.Error(), hint) {
				t.Errorf("err = %q, want it to end %q", err, hint)
			}
			if tc.suggest == "" && strings.Contains(err.Error(), "did you mean") {
				t.Errorf("err = %q suggests an address", err)
			}
		})
	}
}

func TestStartRefusesAPortAloneSuggestingTheAddress(t *testing.T) {
	for _, variable := range []string{envAddr, envAdminAddr} {
		t.Run(variable, func(t *testing.T) {
			env := freeAddrs(t, map[string]string{"RELAY_DATA_DIR": t.TempDir()})
			env[variable] = "8085"
			r, err := start(context.Background(), lookupIn(env), slog.New(slog.DiscardHandler))
			if err == nil {
				r.store.Close()
				t.Fatal("the relay started")
			}
			if want := variable + ` "8085" is not a host and port such as 127.0.0.1:8080; did you mean 127.0.0.1:8085?`; err.Error() != want {
				t.Errorf("err = %q, want %q", err, want)
			}
		})
	}
}
