package email

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// sdkError wraps an API error the way the SDK does for a response with
// the given status: OperationError, then awshttp.ResponseError.
func sdkError(status int, apiErr error) error {
	return &smithy.OperationError{ServiceID: "SES", OperationName: "SendEmail", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: apiErr},
		RequestID:     "req-1",
	}}
}

// These errors are constructed because moto does not produce them (it
// ignores ConfigurationSetName and never throttles); the table tests the
// classifier, not SES.
func TestClassifiesSESErrors(t *testing.T) {
	api := func(code, msg string) error {
		return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
	}
	tests := []struct {
		name        string
		err         error
		wantClass   delivery.Class
		wantSetting string
		wantCode    string
		wantStatus  int
	}{
		{"Throttling is retried", sdkError(400, api("Throttling", "Rate exceeded")), delivery.ClassRetry, "", "Throttling", 400},
		{"ThrottlingException is retried", sdkError(400, api("ThrottlingException", "slow down")), delivery.ClassRetry, "", "ThrottlingException", 400},
		{"maximum sending rate exceeded is retried", sdkError(400, api("Throttling", "Maximum sending rate exceeded.")), delivery.ClassRetry, "", "Throttling", 400},
		{"daily quota exceeded is retried whatever the code", sdkError(400, api("LimitExceeded", "Daily message quota exceeded.")), delivery.ClassRetry, "", "LimitExceeded", 400},
		{"sending rate message is retried whatever the code", api("SomethingNew", "maximum sending rate exceeded"), delivery.ClassRetry, "", "SomethingNew", 0},
		{"MessageRejected for an unverified address is misconfigured: every email would be", sdkError(400, api("MessageRejected", "Email address is not verified. The following identities failed the check in region US-EAST-1: relay@example.com")), delivery.ClassMisconfigured, "EMAIL_FROM (or EMAIL_TO, while SES is in the sandbox)", "MessageRejected", 400},
		{"MessageRejected for this message's content is permanent", sdkError(400, api("MessageRejected", "Message rejected: virus detected")), delivery.ClassPermanent, "", "MessageRejected", 400},
		{"MailFromDomainNotVerified names EMAIL_FROM", sdkError(400, api("MailFromDomainNotVerified", "")), delivery.ClassMisconfigured, "EMAIL_FROM", "MailFromDomainNotVerified", 400},
		{"MailFromDomainNotVerifiedException names EMAIL_FROM", sdkError(400, api("MailFromDomainNotVerifiedException", "")), delivery.ClassMisconfigured, "EMAIL_FROM", "MailFromDomainNotVerifiedException", 400},
		{"AccountSendingPausedException names EMAIL_FROM", sdkError(400, api("AccountSendingPausedException", "paused")), delivery.ClassMisconfigured, "EMAIL_FROM", "AccountSendingPausedException", 400},
		{"ConfigurationSetDoesNotExist names EMAIL_CONFIGURATION_SET", sdkError(400, api("ConfigurationSetDoesNotExist", "Configuration set <x> does not exist.")), delivery.ClassMisconfigured, "EMAIL_CONFIGURATION_SET", "ConfigurationSetDoesNotExist", 400},
		{"ConfigurationSetDoesNotExistException names EMAIL_CONFIGURATION_SET", sdkError(400, api("ConfigurationSetDoesNotExistException", "")), delivery.ClassMisconfigured, "EMAIL_CONFIGURATION_SET", "ConfigurationSetDoesNotExistException", 400},
		{"ConfigurationSetSendingPausedException names EMAIL_CONFIGURATION_SET", sdkError(400, api("ConfigurationSetSendingPausedException", "")), delivery.ClassMisconfigured, "EMAIL_CONFIGURATION_SET", "ConfigurationSetSendingPausedException", 400},
		{"another API error with 500 is retried", sdkError(500, api("InternalFailure", "oops")), delivery.ClassRetry, "", "InternalFailure", 500},
		{"another API error with 503 is retried", sdkError(503, api("ServiceUnavailable", "")), delivery.ClassRetry, "", "ServiceUnavailable", 503},
		{"another API error with 429 is retried", sdkError(429, api("TooManyRequests", "")), delivery.ClassRetry, "", "TooManyRequests", 429},
		{"another API error with 400 is permanent", sdkError(400, api("InvalidParameterValue", "Missing domain")), delivery.ClassPermanent, "", "InvalidParameterValue", 400},
		{"AccessDenied names the sender to fix", sdkError(403, api("AccessDenied", "not authorized to perform ses:SendEmail")), delivery.ClassMisconfigured, EnvFrom, "AccessDenied", 403},
		{"another API error with 403 is permanent", sdkError(403, api("SignatureDoesNotMatch", "")), delivery.ClassPermanent, "", "SignatureDoesNotMatch", 403},
		{"an API error without status blamed on the request is permanent", api("ValidationError", ""), delivery.ClassPermanent, "", "ValidationError", 0},
		{"an API error without status blamed on the server is retried", &smithy.GenericAPIError{Code: "InternalFailure", Fault: smithy.FaultServer}, delivery.ClassRetry, "", "InternalFailure", 0},
		{"a refused connection is retried", &smithy.OperationError{Err: &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")}}, delivery.ClassRetry, "", "", 0},
		{"a deadline is retried", fmt.Errorf("send: %w", context.DeadlineExceeded), delivery.ClassRetry, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			de := classify(tt.err)
			if de.Class != tt.wantClass || de.Setting != tt.wantSetting || de.Code != tt.wantCode || de.Status != tt.wantStatus {
				t.Errorf("got class %s setting %q code %q status %d, want %s %q %q %d", de.Class, de.Setting, de.Code, de.Status, tt.wantClass, tt.wantSetting, tt.wantCode, tt.wantStatus)
			}
			if de.Err != tt.err {
				t.Errorf("underlying error is lost")
			}
			if tt.wantCode != "" && !strings.Contains(de.Reason, tt.wantCode) {
				t.Errorf("reason %q does not name the code", de.Reason)
			}
		})
	}
	if classify(nil) != nil {
		t.Errorf("classify(nil) is not nil")
	}
}
