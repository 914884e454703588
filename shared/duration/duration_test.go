package duration_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/duration"
)

func TestParseTakesADurationOrSeconds(t *testing.T) {
	const def = 10 * time.Second
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", def},
		{"  ", def},
		{"2500ms", 2500 * time.Millisecond},
		{"10s", 10 * time.Second},
		{"1m30s", 90 * time.Second},
		{"3", 3 * time.Second},
		{" 7 ", 7 * time.Second},
		{"2.5", 2500 * time.Millisecond},
		{"0.001", time.Millisecond},
		{"5m", duration.Max},
		{"300", duration.Max},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := duration.Parse("X_TIMEOUT", tt.value, def)
			if err != nil || got != tt.want {
				t.Errorf("Parse(%q) = %v, %v; want %v", tt.value, got, err, tt.want)
			}
		})
	}
}

func TestParseRefusesNamingTheSetting(t *testing.T) {
	for _, value := range []string{"soon", "10 s", "0", "0s", "-1s", "-3", "5m1s", "301", "1h", "1e300", "NaN", "Inf"} {
		t.Run(value, func(t *testing.T) {
			got, err := duration.Parse("SLACK_TIMEOUT", value, 10*time.Second)
			if err == nil || !strings.HasPrefix(err.Error(), "SLACK_TIMEOUT must be") || !strings.Contains(err.Error(), value) {
				t.Errorf("Parse(%q) = %v, %v; want an error naming SLACK_TIMEOUT and the value", value, got, err)
			}
		})
	}
}
