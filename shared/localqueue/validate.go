package localqueue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS's limits.
const (
	MaxMessageBytes       = 1 << 20 // body and attributes together
	MaxAttributes         = 10
	MaxDelaySeconds       = 900
	MaxVisibilitySeconds  = 43200
	MaxWaitSeconds        = 20
	MaxReceiveBatch       = 10
	maxAttributeNameBytes = 256
	maxDataTypeBytes      = 256
	maxQueueNameBytes     = 80
)

var (
	queueNamePattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	attributeNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	numberPattern        = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
)

// invalidChar returns the first rune SQS refuses in message text (the XML
// 1.0 character set: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD
// #x10000-#x10FFFF), with false when there is none. Bytes that are not
// UTF-8 are refused too: SQS could not store them as text.
func invalidChar(s string) (rune, bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return rune(s[i]), true
		}
		switch {
		case r == 0x9, r == 0xA, r == 0xD,
			r >= 0x20 && r <= 0xD7FF,
			r >= 0xE000 && r <= 0xFFFD,
			r >= 0x10000 && r <= 0x10FFFF:
		default:
			return r, true
		}
		i += size
	}
	return 0, false
}

// validateMessage checks a message as SQS does before accepting it.
func validateMessage(body *string, delay int32, attrs map[string]sqstypes.MessageAttributeValue) error {
	if body == nil || *body == "" {
		return missingParameter("MessageBody")
	}
	if r, bad := invalidChar(*body); bad {
		return invalidMessageContents(fmt.Sprintf("Invalid binary character '#x%X' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF", r))
	}
	if delay < 0 || delay > MaxDelaySeconds {
		return invalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= %d.", delay, MaxDelaySeconds)
	}
	if len(attrs) > MaxAttributes {
		return invalidParameter("Number of message attributes [%d] exceeds the allowed maximum [%d].", len(attrs), MaxAttributes)
	}
	size := len(*body)
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		n, err := validateAttribute(name, attrs[name])
		if err != nil {
			return err
		}
		size += n
	}
	if size > MaxMessageBytes {
		return invalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", MaxMessageBytes)
	}
	return nil
}

// validateAttribute checks one message attribute and returns the bytes it
// counts towards the message size (name, type and value, as SQS counts).
func validateAttribute(name string, v sqstypes.MessageAttributeValue) (int, error) {
	lower := strings.ToLower(name)
	if len(name) > maxAttributeNameBytes || !attributeNamePattern.MatchString(name) ||
		strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") || strings.Contains(name, "..") ||
		strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return 0, invalidParameter("Message (user) attribute name '%s' is invalid: use at most %d of A-Z a-z 0-9 _ - ., no leading, trailing or double period, and no AWS. or Amazon. prefix.", name, maxAttributeNameBytes)
	}
	if v.DataType == nil || *v.DataType == "" {
		return 0, invalidParameter("The message attribute '%s' must contain non-empty message attribute type.", name)
	}
	dataType := *v.DataType
	if len(dataType) > maxDataTypeBytes {
		return 0, invalidParameter("Message (user) attribute '%s' type must be at most %d bytes.", name, maxDataTypeBytes)
	}
	if len(v.StringListValues) > 0 || len(v.BinaryListValues) > 0 {
		return 0, invalidParameter("Message (user) attribute '%s': StringListValues and BinaryListValues are not supported by SQS.", name)
	}
	size := len(name) + len(dataType)
	switch baseType(dataType) {
	case "String", "Number":
		if v.StringValue == nil || *v.StringValue == "" {
			return 0, invalidParameter("Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, baseType(dataType))
		}
		if r, bad := invalidChar(*v.StringValue); bad {
			return 0, invalidParameter("Message (user) attribute '%s' value contains invalid binary character '#x%X'.", name, r)
		}
		if baseType(dataType) == "Number" && !numberPattern.MatchString(*v.StringValue) {
			return 0, invalidParameter("Could not cast message attribute '%s' value to number.", name)
		}
		size += len(*v.StringValue)
	case "Binary":
		if len(v.BinaryValue) == 0 {
			return 0, invalidParameter("Message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name)
		}
		size += len(v.BinaryValue)
	default:
		return 0, invalidParameter("The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return size, nil
}

// baseType is the data type without its custom suffix ("Number.int" is a
// Number).
func baseType(dataType string) string {
	base, _, _ := strings.Cut(dataType, ".")
	return base
}

// md5Hex is the MD5 SQS returns for a message body.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Transport types in SQS's attribute digest.
const (
	transportString byte = 1 // String and Number
	transportBinary byte = 2
)

// attributesMD5 is SQS's MD5OfMessageAttributes: for each attribute in
// byte order of name, the name, the data type and the value, each as a
// 4-byte big-endian length followed by the bytes, with a transport-type
// byte (1 string, 2 binary) between the type and the value. It is ""
// when there are no attributes, as SQS then omits the field.
func attributesMD5(attrs map[string]sqstypes.MessageAttributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	h := md5.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[name]
		field([]byte(name))
		field([]byte(deref(v.DataType)))
		if v.BinaryValue != nil && baseType(deref(v.DataType)) == "Binary" {
			h.Write([]byte{transportBinary})
			field(v.BinaryValue)
		} else {
			h.Write([]byte{transportString})
			field([]byte(deref(v.StringValue)))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func validateQueueName(name string) error {
	if !queueNamePattern.MatchString(name) {
		return invalidParameter("Queue name %q is invalid: use 1 to %d of A-Z a-z 0-9 _ -.", name, maxQueueNameBytes)
	}
	return nil
}
