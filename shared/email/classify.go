package email

import (
	"errors"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// misconfigured maps SES error codes (both the v1 and the ...Exception
// spelling) to the setting the operator has to fix.
var misconfigured = map[string]string{
	"MailFromDomainNotVerified":              EnvFrom,
	"MailFromDomainNotVerifiedException":     EnvFrom,
	"AccountSendingPausedException":          EnvFrom,
	"ConfigurationSetDoesNotExist":           EnvConfigurationSet,
	"ConfigurationSetDoesNotExistException":  EnvConfigurationSet,
	"ConfigurationSetSendingPausedException": EnvConfigurationSet,
	// The function's role may send only as EMAIL_FROM: a refusal means the
	// sender (or the stack's permission for it) is wrong.
	"AccessDenied":          EnvFrom,
	"AccessDeniedException": EnvFrom,
}

// throttlingMessages are how SES words a throttled send whatever code it
// comes with.
var throttlingMessages = []string{"maximum sending rate exceeded", "daily message quota exceeded"}

// classify turns a SendEmail error into a *delivery.Error: throttling is
// retried, a rejected message is permanent, a sender, account or
// configuration set problem is misconfigured, other API errors follow
// their HTTP status (5xx retried, 4xx permanent), and a failure to reach
// SES at all is retried.
func classify(err error) *delivery.Error {
	if err == nil {
		return nil
	}
	var classified *delivery.Error
	if errors.As(err, &classified) {
		return classified // the outbox's own
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return delivery.FromTransportError(err)
	}
	code, msg := apiErr.ErrorCode(), apiErr.ErrorMessage()
	status := 0
	// An interface, not *smithyhttp.ResponseError: the SDK wraps that in
	// awshttp.ResponseError, whose Unwrap skips it.
	var respErr interface{ HTTPStatusCode() int }
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	reason := "SES " + code
	if msg != "" {
		reason += ": " + msg
	}

	var de *delivery.Error
	switch setting, ok := misconfigured[code]; {
	case code == "Throttling" || code == "ThrottlingException" || isThrottlingMessage(msg):
		de = delivery.Retry(reason, err)
	case code == "MessageRejected" && strings.Contains(strings.ToLower(msg), "not verified"):
		// An unverified identity refuses every message the same way:
		// the sender, or in the SES sandbox a recipient, is the setting.
		de = delivery.Misconfigured(EnvFrom+" (or "+EnvTo+", while SES is in the sandbox)", reason, err)
	case code == "MessageRejected":
		de = delivery.Permanent(reason, err)
	case ok:
		de = delivery.Misconfigured(setting, reason, err)
	case status >= 500, status == 429, status == 0 && apiErr.ErrorFault() != smithy.FaultClient:
		// With no status, only an error SES blames on the request is
		// known to be final.
		de = delivery.Retry(reason, err)
	default:
		de = delivery.Permanent(reason, err)
	}
	de.Code, de.Status = code, status
	return de
}

func isThrottlingMessage(msg string) bool {
	msg = strings.ToLower(msg)
	for _, m := range throttlingMessages {
		if strings.Contains(msg, m) {
			return true
		}
	}
	return false
}
