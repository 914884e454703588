package localqueue

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// ErrClosed is returned by every call made after Close.
var ErrClosed = errors.New("localqueue: the store is closed")

// SQS error codes, as the SDK reports them (ErrorCode()). For the modeled
// errors this is the awsQueryError code SQS sends in x-amzn-query-error,
// which the SDK prefers over the shape name.
const (
	codeNonExistentQueue       = "AWS.SimpleQueueService.NonExistentQueue"
	codeReceiptHandleIsInvalid = "ReceiptHandleIsInvalid"
	codeMessageNotInflight     = "AWS.SimpleQueueService.MessageNotInflight"
	codeInvalidMessageContents = "InvalidMessageContents"
	codeInvalidAttributeName   = "InvalidAttributeName"
	codeInvalidParameterValue  = "InvalidParameterValue"
	codeMissingParameter       = "MissingParameter"
)

// wireShapes maps an error code to the shape name SQS puts in the JSON
// body's __type; codes without an entry are their own shape name (SQS's
// unmodeled errors, which the SDK surfaces as smithy.GenericAPIError).
var wireShapes = map[string]string{
	codeNonExistentQueue:       "QueueDoesNotExist",
	codeReceiptHandleIsInvalid: "ReceiptHandleIsInvalid",
	codeMessageNotInflight:     "MessageNotInflight",
	codeInvalidMessageContents: "InvalidMessageContents",
	codeInvalidAttributeName:   "InvalidAttributeName",
}

// The errors below are built exactly as the SDK builds them from an SQS
// response, so callers handle the embedded queue and SQS with the same
// code (errors.As, smithy.APIError.ErrorCode()).

func queueDoesNotExist(url string) error {
	return &sqstypes.QueueDoesNotExist{
		Message:           aws.String(fmt.Sprintf("The specified queue does not exist: %q.", url)),
		ErrorCodeOverride: aws.String(codeNonExistentQueue),
	}
}

func receiptHandleIsInvalid(handle string) error {
	return &sqstypes.ReceiptHandleIsInvalid{
		Message:           aws.String(fmt.Sprintf("The input receipt handle %q is not a valid receipt handle: it is unknown, or the message was received again or deleted since.", handle)),
		ErrorCodeOverride: aws.String(codeReceiptHandleIsInvalid),
	}
}

func messageNotInflight() error {
	return &sqstypes.MessageNotInflight{
		Message:           aws.String("The specified message isn't in flight: its visibility timeout has expired."),
		ErrorCodeOverride: aws.String(codeMessageNotInflight),
	}
}

func invalidMessageContents(msg string) error {
	return &sqstypes.InvalidMessageContents{Message: aws.String(msg)}
}

func invalidAttributeName(name string) error {
	return &sqstypes.InvalidAttributeName{Message: aws.String(fmt.Sprintf("Unknown Attribute %s.", name))}
}

func invalidParameter(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: codeInvalidParameterValue, Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

func missingParameter(name string) error {
	return &smithy.GenericAPIError{Code: codeMissingParameter, Message: fmt.Sprintf("The request must contain the parameter %s.", name), Fault: smithy.FaultClient}
}

// isRejection tells an SQS error, returned before anything was changed,
// from a storage failure.
func isRejection(err error) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr)
}
