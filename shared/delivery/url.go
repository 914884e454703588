package delivery

import (
	"fmt"
	"net/url"
	"strings"
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

// Origin is a URL cut to scheme and host, with "/…" for a path or query,
// for showing where a channel delivers: webhook URLs carry secrets in
// their path (Slack's always do, Telegram's bot token is one).
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return u.Scheme + "://" + u.Host
}
