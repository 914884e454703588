package delivery

import (
	"fmt"
	"net/url"
)

// CheckURL checks that raw, the value of the setting name, is an absolute
// http or https URL. The error names the setting but never quotes raw: a
// webhook URL usually carries its credential in the path or the query.
func CheckURL(name, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s is required", name)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a valid URL", name)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http or https URL", name)
	}
	return nil
}
