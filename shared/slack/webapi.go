package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
)

// maxAnswerBytes bounds the answer read: a message of Slack's largest
// size, repeated back, fits.
const maxAnswerBytes = 4 << 20

// Web API methods the channel calls.
const (
	methodPost   = "chat.postMessage"
	methodUpdate = "chat.update"
)

// apiMessage is the body of chat.postMessage and chat.update. Blocks and
// Attachments are left out when nil: chat.update then keeps the message's
// own, as Slack documents.
type apiMessage struct {
	Channel        string              `json:"channel"`
	TS             string              `json:"ts,omitempty"` // chat.update: the message to change
	ThreadTS       string              `json:"thread_ts,omitempty"`
	ReplyBroadcast bool                `json:"reply_broadcast,omitempty"`
	Text           string              `json:"text,omitempty"`
	Blocks         any                 `json:"blocks,omitempty"`
	Attachments    []summaryAttachment `json:"attachments,omitempty"`
	UnfurlLinks    *bool               `json:"unfurl_links,omitempty"`
	UnfurlMedia    *bool               `json:"unfurl_media,omitempty"`
}

// apiAnswer is the part of Slack's answer the channel reads.
type apiAnswer struct {
	OK     bool   `json:"ok"`
	Error  string `json:"error"`
	TS     string `json:"ts"`
	Needed string `json:"needed"` // missing_scope: the scope the token lacks
}

// call posts body to a Web API method and returns the new message's ts.
// A failure is a *delivery.Error in the shared vocabulary, with Slack's
// error code; the token never appears in it.
func (c *Channel) call(ctx context.Context, method string, body apiMessage) (string, *delivery.Error) {
	data, err := json.Marshal(body)
	if err != nil {
		return "", delivery.Permanent("encode Slack "+method+": "+err.Error(), err)
	}
	var answer apiAnswer
	de := c.pacer.Send(ctx, humane.Post{
		Client: c.client, Channel: Name, URL: strings.TrimSuffix(c.cfg.APIURL, "/") + "/" + method,
		Setting: EnvAPIURL, What: "the Web API URL", Body: data, ContentType: "application/json; charset=utf-8",
		Header: http.Header{"Authorization": {"Bearer " + c.cfg.BotToken}},
		// Slack's answer repeats the whole message: read all of it
		// (within reason), not only the head a failure's reason keeps.
		Limit: maxAnswerBytes,
		// The token is taken out of the text a reason is made of before
		// the reason is cut: a cut through it would leave a part no
		// later scrub could find.
		Scrub: func(b []byte) []byte { return bytes.ReplaceAll(b, []byte(c.cfg.BotToken), []byte(redactedToken)) },
		Redact: func(de *delivery.Error) *delivery.Error {
			de.Reason = strings.ReplaceAll(de.Reason, c.cfg.BotToken, redactedToken)
			return de
		},
	}, func(a humane.Answer) *delivery.Error {
		if a.OK() {
			if err := json.Unmarshal(a.Body, &answer); err != nil {
				de := delivery.Retry(method+": Slack's answer is not JSON: "+delivery.HTTPReason(a.Status, a.Body), err)
				de.Status = a.Status
				return de
			}
			if answer.OK {
				return nil
			}
		}
		return classifyAPI(method, a.Status, a.Header, a.Body, answer, a.At)
	})
	if de != nil {
		return "", de
	}
	return answer.TS, nil
}

// redactedToken stands for the bot token wherever an answer quotes it.
const redactedToken = "[token]"

// Slack error codes the channel answers in its own way.
const (
	codeRateLimited     = "ratelimited"
	codeThreadNotFound  = "thread_not_found"
	codeMessageNotFound = "message_not_found"
)

// classifyAPI puts a Web API failure in the shared vocabulary: a token or
// a channel Slack refuses is a setting to fix, a rate limit or an outage
// is retried, a message Slack refuses is permanent for that message.
func classifyAPI(method string, status int, header http.Header, body []byte, a apiAnswer, now time.Time) *delivery.Error {
	if status/100 != 2 {
		de := delivery.FromHTTPResponse(status, header, body, now)
		switch {
		case status == http.StatusTooManyRequests:
			de.Code = codeRateLimited
			if de.RetryAfter <= 0 {
				de.RetryAfter = time.Second
			}
		case status == http.StatusNotFound, status >= 300 && status < 400:
			// Slack's methods exist: the base URL is wrong.
			de = delivery.Misconfigured(EnvAPIURL, method+": "+delivery.HTTPReason(status, body), nil)
			de.Status = status
		}
		de.Reason = method + ": " + strings.TrimPrefix(de.Reason, method+": ")
		return de
	}
	code := a.Error
	reason := method + ": Slack answered " + code
	var de *delivery.Error
	switch code {
	case codeRateLimited:
		de = delivery.Retry(reason, nil)
		de.Status = http.StatusTooManyRequests
		de.RetryAfter = max(delivery.ParseRetryAfter(header.Get("Retry-After"), now), time.Second)
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission", "not_allowed_token_type", "ekm_access_denied", "team_access_not_granted":
		de = delivery.Misconfigured(EnvBotToken, reason+": the bot token is not accepted; copy the Bot User OAuth Token (xoxb-…) of an installed app", nil)
	case "missing_scope":
		needed := a.Needed
		if needed == "" {
			needed = "chat:write"
		}
		de = delivery.Misconfigured(EnvBotToken, reason+": the Slack app lacks the "+needed+" scope; add it under OAuth & Permissions and reinstall the app", nil)
	case "channel_not_found", "not_in_channel", "is_archived", "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel", "restricted_action_non_threadable_channel":
		de = delivery.Misconfigured(EnvChannel, reason+": invite the app to the channel (/invite @app-name in it) and check the channel id", nil)
	case "fatal_error", "internal_error", "service_unavailable", "request_timeout", "team_added_to_org":
		de = delivery.Retry(reason, nil)
	case "", "invalid_json", "invalid_form_data", "invalid_post_type", "missing_post_type":
		de = delivery.Retry(reason+": the request or the answer was mangled on the way", nil)
	default:
		// msg_too_long, invalid_blocks, no_text, too_many_attachments,
		// thread_not_found, message_not_found, cant_update_message, ...:
		// this message will not go through as it is.
		de = delivery.Permanent(reason, nil)
	}
	de.Code = code
	if de.Status == 0 {
		de.Status = status
	}
	return de
}
