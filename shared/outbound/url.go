package outbound

import (
	"fmt"
	"net/url"
	"slices"
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

// RedactURL takes the secret parts of raw, a configured URL, out of text
// taken from the far end: an error page may echo the request's path and
// query ("Cannot POST /hook/s3cret?key=…"), and a webhook URL often
// carries its credential there. Both forms are taken out, as sent and
// URL-escaped.
func RedactURL(text, raw string) string {
	for _, s := range urlSecrets(raw) {
		text = strings.ReplaceAll(text, s, "…")
	}
	return text
}

// urlSecrets are the parts of raw that may be secret, as sent and
// URL-escaped: its path and its query.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
		secrets = append(secrets, p, strings.Trim(u.Path, "/"), url.PathEscape(strings.Trim(u.Path, "/")))
	}
	if u.RawQuery != "" {
		secrets = append(secrets, u.RawQuery, url.QueryEscape(u.RawQuery))
	}
	return slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
}

// RedactBody takes the secret parts of raw, a configured URL, out of an
// answer's body before a reason is made of it: a reason is cut to
// delivery.MaxReasonBytes, and a cut through an echoed secret would leave
// a part of it that RedactURL could no longer find. An HTML page is
// reduced to its text first, so that a secret written with entities is
// found too.
func RedactBody(body []byte, raw string) []byte {
	text := RedactURL(string(body), raw)
	return []byte(RedactURL(PageText(text), raw))
}
