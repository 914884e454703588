package outbound

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
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
// query ("Cannot POST /hook/s3cret?key=…"), a single part of it ("unknown
// webhook s3cret…"), or write it JSON-escaped, decoded or in another
// case, and a webhook URL often carries its credential there. The text is
// normalized first (see normalize), so the result is what a reason shows.
func RedactURL(text, raw string) string {
	return redact(normalize(text), urlSecrets(raw))
}

// Minimum lengths of a single path segment and a single query value to be
// taken for a secret: shorter ones are generic words ("hooks", "services",
// "json") that would blank the rest of a reason.
const (
	minSecretSegment = 9
	minSecretValue   = 6
)

// urlSecrets are the parts of raw that may be secret, longest first, as
// sent, URL-escaped and decoded: its path, its query, each long path
// segment and each long query value.
func urlSecrets(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	var secrets []string
	if p := strings.Trim(u.EscapedPath(), "/"); p != "" {
		secrets = append(secrets, p, strings.Trim(u.Path, "/"), url.PathEscape(strings.Trim(u.Path, "/")))
		for _, seg := range strings.Split(p, "/") {
			dec, _ := url.PathUnescape(seg)
			if len(dec) >= minSecretSegment {
				secrets = append(secrets, seg, dec)
			}
		}
	}
	if q := u.RawQuery; q != "" {
		secrets = append(secrets, q, url.QueryEscape(q), unescapeQuery(q), unescapePath(q))
		for _, pair := range strings.FieldsFunc(q, func(r rune) bool { return r == '&' || r == ';' }) {
			_, v, _ := strings.Cut(pair, "=")
			if dec := unescapeQuery(v); len(dec) >= minSecretValue {
				secrets = append(secrets, v, dec, unescapePath(v))
			}
		}
	}
	secrets = slices.DeleteFunc(secrets, func(s string) bool { return s == "" })
	slices.SortStableFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(secrets)
}

func unescapeQuery(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

func unescapePath(s string) string {
	if d, err := url.PathUnescape(s); err == nil {
		return d
	}
	return s
}

// redact replaces each of secrets in text with "…", ignoring ASCII case.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		text = replaceFold(text, s, "…")
	}
	return text
}

// replaceFold replaces every old in s with new, ignoring ASCII case (a
// far end may echo a path upper- or lower-cased). Folding only ASCII keeps
// the byte offsets of s and its lowered copy the same.
func replaceFold(s, old, new string) string {
	if old == "" {
		return s
	}
	ls, lo := lowerASCII(s), lowerASCII(old)
	var b strings.Builder
	for {
		i := strings.Index(ls, lo)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(new)
		s, ls = s[i+len(old):], ls[i+len(old):]
	}
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// normalize writes text as a reason shows it and as a secret is matched
// in it: invalid UTF-8 dropped (delivery.HTTPReason drops it too, which
// would join the two halves of a secret split by a stray byte), and JSON's
// escapes of a slash and of a character below U+0100 written as the
// character ("\/hooks\/…", Go's "\u0026").
func normalize(text string) string {
	text = strings.ToValidUTF8(text, "")
	if !strings.Contains(text, `\`) {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		if text[i] == '\\' && i+1 < len(text) {
			if text[i+1] == '/' {
				b.WriteByte('/')
				i++
				continue
			}
			if i+5 < len(text) && text[i+1] == 'u' && text[i+2] == '0' && text[i+3] == '0' {
				if n, err := strconv.ParseUint(text[i+4:i+6], 16, 8); err == nil {
					b.WriteRune(rune(n))
					i += 5
					continue
				}
			}
		}
		b.WriteByte(text[i])
	}
	return b.String()
}

// RedactBody takes the secret parts of raw, a configured URL, out of an
// answer's body before a reason is made of it: a reason is cut to
// delivery.MaxReasonBytes, and a cut through an echoed secret would leave
// a part of it that RedactURL could no longer find. An HTML page is
// reduced to its text first, so that a secret written with entities is
// found too.
func RedactBody(body []byte, raw string) []byte {
	secrets := urlSecrets(raw)
	text := redact(normalize(string(body)), secrets)
	// A page's text may hold new escapes (an entity written "&#92;/"), so
	// the text is taken until it no longer changes, as far as a reason
	// would take it (delivery.HTTPReason reads the page once more).
	for range 4 {
		page := PageText(text)
		if page == text {
			break
		}
		text = redact(normalize(page), secrets)
	}
	return []byte(text)
}
