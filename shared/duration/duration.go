// Package duration holds the relay's durations: reading a duration
// setting (a timeout, or the least interval between posts) and waiting
// one out until a context ends.
package duration

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Max bounds a duration setting: a delivery's timeout, or the interval
// between a channel's posts. A consumer Lambda runs for far less
// (template.yaml gives them 30s), so a larger value is a typo, such as 10m
// for 10s, better refused at start-up than cut short by the invocation's
// deadline later.
const Max = 5 * time.Minute

// Parse reads the duration setting name: a Go duration ("2500ms", "10s")
// or a number of seconds ("10", "2.5"), positive and at most Max. An
// empty value means def. The error names the setting.
func Parse(name, value string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			return 0, fmt.Errorf("%s must be a duration such as 10s or a number of seconds, got %q", name, v)
		}
		// Checked before the conversion, which would overflow (or take
		// NaN) silently.
		if !(secs > 0 && secs <= Max.Seconds()) {
			return 0, fmt.Errorf("%s must be positive and at most %s, got %q", name, Max, v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 || d > Max {
		return 0, fmt.Errorf("%s must be positive and at most %s, got %q", name, Max, v)
	}
	return d, nil
}
