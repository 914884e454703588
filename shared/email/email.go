// Package email delivers events by Amazon SES (v1 SendEmail): the event's
// JSON for a technical reader, or the humane text for a shop owner.
package email

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Sender is the part of the SES client the channel uses.
type Sender interface {
	SendEmail(ctx context.Context, in *ses.SendEmailInput, optFns ...func(*ses.Options)) (*ses.SendEmailOutput, error)
}

var _ Sender = (*ses.Client)(nil)

// MaxSubjectChars caps the subject, counted in characters.
const MaxSubjectChars = 200

const charset = "UTF-8"

// Channel sends one email per message to the configured recipients.
type Channel struct {
	cfg    Config
	client Sender
}

var _ delivery.Channel = (*Channel)(nil)

// Deps are what the channel uses besides its settings.
type Deps struct {
	SES Sender // SES's client; the local relay's outbox stands in for it
}

// New validates cfg and builds the channel.
func New(cfg Config, deps Deps) (*Channel, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.SES == nil {
		return nil, fmt.Errorf("the email channel needs an SES client")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	cfg.To = append([]string(nil), cfg.To...)
	return &Channel{cfg: cfg, client: deps.SES}, nil
}

// Name is the channel name used in routing, logs and dead letters.
func (c *Channel) Name() string { return Name }

// Timeout bounds one delivery.
func (c *Channel) Timeout() time.Duration { return c.cfg.Timeout }

// Deliver renders m in its format and sends it. Failures come back as a
// *delivery.Error.
func (c *Channel) Deliver(ctx context.Context, m message.Message) error {
	e, de := humane.Event(m)
	if de != nil {
		return de
	}
	subject, body, err := c.render(e, m)
	if err != nil {
		return err
	}
	in := &ses.SendEmailInput{
		Source:      aws.String(c.cfg.From),
		Destination: &sestypes.Destination{ToAddresses: c.cfg.To},
		Message: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(subject), Charset: aws.String(charset)},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(body), Charset: aws.String(charset)}},
		},
	}
	if c.cfg.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(c.cfg.ConfigurationSet)
	}
	// Bound the call, SDK retries included, so the runtime's deadline check
	// (which trusts Timeout) holds.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	if _, err := c.client.SendEmail(ctx, in); err != nil {
		return classify(err)
	}
	return nil
}

// render returns the subject (already header-safe) and the plain-text body.
func (c *Channel) render(e *nicechat.Event, m message.Message) (subject, body string, err error) {
	techSubject := "[Nice Chat] " + e.Type + " #" + strconv.FormatInt(e.DataID, 10)
	switch m.Format {
	case message.FormatTech, "":
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, e.Raw, "", "  "); err != nil {
			return "", "", delivery.Permanent("event JSON cannot be indented: "+err.Error(), err)
		}
		pretty.WriteByte('\n')
		return headerText(techSubject, MaxSubjectChars), pretty.String(), nil
	case message.FormatHuman:
		h := humanize.Render(e, c.cfg.Humanize)
		subject := headerText(h.Headline, MaxSubjectChars)
		if subject == "" {
			subject = headerText(techSubject, MaxSubjectChars)
		}
		// The body is sent as h.Text() builds it, without another pass:
		// its visitor text has been through humanize.Clean or
		// humanize.Line, humanize.OptionsFromEnv refuses a
		// CHAT_URL_TEMPLATE that Clean would change, and the rest is the
		// catalog's text (one line each, checked as it loads), numbers
		// and the event's hash id.
		return subject, h.Text(), nil
	default:
		return "", "", delivery.InvalidMessage(fmt.Sprintf("unknown email format %q", m.Format), nil)
	}
}
