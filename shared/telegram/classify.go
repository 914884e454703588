package telegram

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
)

// answer is the Bot API's reply to every method.
type answer struct {
	OK          *bool  `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int64 `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// classify reads the answer to a sendMessage. Beyond the generic HTTP
// table: Telegram reports a chat the bot cannot post to with 403 (or 400
// "chat not found", or a group that became a supergroup with a new id)
// and a wrong token with 401, or 404 as the token is part of the path;
// none of these is the message's fault, so each names the setting to fix.
// Its API never redirects, so a 3xx means the API URL is not Telegram's.
func classify(got humane.Answer) *delivery.Error {
	status, header, body, now := got.Status, got.Header, got.Body, got.At
	var a answer
	fromAPI := json.Unmarshal(body, &a) == nil && a.OK != nil

	if got.OK() {
		if fromAPI && *a.OK {
			return nil
		}
		// A success from something that is not the Bot API: the
		// message went nowhere.
		de := delivery.Misconfigured(EnvAPIURL, "not the Bot API's answer: "+delivery.HTTPReason(status, body), nil)
		de.Status = status
		return de
	}

	code, text := status, body
	if fromAPI {
		if a.ErrorCode != 0 {
			code = a.ErrorCode
		}
		if a.Description != "" {
			text = []byte(a.Description)
		}
	}
	retryAfter := max(delivery.ParseRetryAfter(header.Get("Retry-After"), now),
		delivery.ParseRetryAfter(strconv.FormatInt(a.Parameters.RetryAfter, 10), now))
	desc := strings.ToLower(a.Description)

	var de *delivery.Error
	switch {
	case status >= 300 && status < 400:
		de = humane.Classify(got, EnvAPIURL, "Telegram API URL")
	case humane.Retryable(status):
		de = delivery.Retry(reason(code, text, ""), nil)
		de.RetryAfter = retryAfter
	case status == http.StatusUnauthorized, status == http.StatusNotFound:
		de = delivery.Misconfigured(EnvBotToken, reason(code, text, ""), nil)
	case a.Parameters.MigrateToChatID != 0:
		de = delivery.Misconfigured(EnvChatID, reason(code, text, " (the chat's new id is "+strconv.FormatInt(a.Parameters.MigrateToChatID, 10)+")"), nil)
	case status == http.StatusForbidden, status == http.StatusBadRequest && chatUnusable(desc):
		de = delivery.Misconfigured(EnvChatID, reason(code, text, ""), nil)
	default:
		de = delivery.Permanent(reason(code, text, ""), nil)
	}
	de.Status = status
	if fromAPI {
		de.Code = codeOf(desc, a.Parameters.MigrateToChatID != 0)
	}
	return de
}

// chatUnusable tells, among 400 descriptions, those about the chat rather
// than the message. (Every 403 is about the chat: blocked, kicked, not a
// member, cannot start a conversation.)
func chatUnusable(desc string) bool {
	for _, s := range []string{"chat not found", "peer_id_invalid", "not enough rights to send", "have no rights to send"} {
		if strings.Contains(desc, s) {
			return true
		}
	}
	return false
}

// reason is "Telegram <code>: <text>" on one bounded line, text cleaned as
// delivery.HTTPReason cleans a body, and suffix kept whole.
func reason(code int, text []byte, suffix string) string {
	r := "Telegram " + strings.TrimPrefix(delivery.HTTPReason(code, text), "HTTP ")
	return delivery.Truncate(r, delivery.MaxReasonBytes-len(suffix)) + suffix
}

// codeAliases name the answers an operator meets most by a short code,
// matched on the lower-cased description.
var codeAliases = []struct{ contains, code string }{
	{"too many requests", "too_many_requests"},
	{"bot was blocked", "bot_blocked"},
	{"bot was kicked", "bot_kicked"},
	{"bot is not a member", "bot_not_member"},
}

// maxCode bounds a code taken from a description.
const maxCode = 48

// codeOf is a short slug of a Bot API description, the dead letter's
// last_status: an alias, else the detail after the status text
// ("Bad Request: chat not found" is chat_not_found, "Unauthorized" is
// unauthorized). It is "" when nothing readable is left.
func codeOf(desc string, migrated bool) string {
	if migrated {
		return "chat_migrated"
	}
	for _, a := range codeAliases {
		if strings.Contains(desc, a.contains) {
			return a.code
		}
	}
	detail := desc
	if _, after, found := strings.Cut(desc, ": "); found {
		detail = after
	}
	detail, _, _ = strings.Cut(detail, ":")
	detail = strings.ReplaceAll(detail, "'", "") // can't → cant

	var b strings.Builder
	gap := false
	for _, r := range detail {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(r)
			continue
		}
		gap = true
	}
	code := b.String()
	if len(code) > maxCode {
		code = code[:maxCode]
		if i := strings.LastIndexByte(code, '_'); i > 0 {
			code = code[:i]
		}
	}
	if code == "" || code[0] < 'a' || code[0] > 'z' {
		return ""
	}
	return code
}
