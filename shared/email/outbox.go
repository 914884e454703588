package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"
	"github.com/aws/smithy-go"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
)

// Outbox is a Sender that writes each message as an RFC 5322 file
// (<UTC time>-<id>.eml) into Dir instead of sending it, so the local relay
// delivers email without an AWS account. It refuses what SES would refuse,
// with SES's error codes, so the channel classifies its failures the same.
type Outbox struct {
	Dir string
	// Setting names the variable that chose Dir, for the error when Dir
	// cannot be written to (no permission, a read-only disk): that is for
	// the operator to fix, and no retry will.
	Setting string
	Now     func() time.Time // nil means time.Now
}

var _ Sender = (*Outbox)(nil)

// SendEmail writes in as one .eml file and returns its id as MessageId.
func (o *Outbox) SendEmail(ctx context.Context, in *ses.SendEmailInput, _ ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Dir == "" {
		return nil, fmt.Errorf("outbox: no directory set")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	id, at := hex.EncodeToString(b[:]), now().UTC()
	msg, err := compose(in, id, at)
	if err != nil {
		return nil, err
	}
	name := at.Format("20060102T150405.000") + "Z-" + id + ".eml"
	if err := writeAtomic(o.Dir, name, msg); err != nil {
		err = fmt.Errorf("outbox: write %s: %w", name, err)
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return nil, delivery.Misconfigured(o.Setting, "the outbox "+o.Dir+" cannot be written to: "+err.Error(), err)
		}
		// A full disk (ENOSPC) may free up: the error is retried.
		return nil, err
	}
	return &ses.SendEmailOutput{MessageId: aws.String(id)}, nil
}

// refuse is the error SES answers a bad request with (HTTP 400, sender
// fault), so classify treats it as SES's.
func refuse(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg, Fault: smithy.FaultClient}
}

func compose(in *ses.SendEmailInput, id string, at time.Time) ([]byte, error) {
	var h bytes.Buffer
	header := func(k, v string) { h.WriteString(k + ": " + v + "\r\n") }
	header("Date", at.Format(time.RFC1123Z))
	if aws.ToString(in.Source) == "" {
		return nil, refuse("InvalidParameterValue", "Missing required header 'From'.")
	}
	from, err := addresses([]string{*in.Source})
	if err != nil {
		return nil, refuse("InvalidParameterValue", "Illegal address in Source.")
	}
	header("From", from)
	dest := in.Destination
	if dest == nil {
		dest = &sestypes.Destination{}
	}
	if len(dest.ToAddresses)+len(dest.CcAddresses)+len(dest.BccAddresses) == 0 {
		return nil, refuse("InvalidParameterValue", "Missing required header 'To'.")
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"To", dest.ToAddresses}, {"Cc", dest.CcAddresses}, {"Bcc", dest.BccAddresses}, {"Reply-To", in.ReplyToAddresses}} {
		v, err := addresses(f.list)
		if err != nil {
			return nil, refuse("InvalidParameterValue", "Illegal address in "+f.name+".")
		}
		if v != "" {
			header(f.name, v)
		}
	}
	content := func(c *sestypes.Content) string {
		if c == nil {
			return ""
		}
		return aws.ToString(c.Data)
	}
	var subject, text, html string
	if m := in.Message; m != nil {
		subject = content(m.Subject)
		if m.Body != nil {
			text, html = content(m.Body.Text), content(m.Body.Html)
		}
	}
	if text == "" && html == "" {
		return nil, refuse("InvalidParameterValue", "The message must have a text or HTML body.")
	}
	// Q-encoding takes any byte outside printable ASCII, CR, LF and NUL
	// included, so the subject stays on its header line; encoded words are
	// folded so a long subject keeps within the line limit.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("UTF-8", subject), "?= =?", "?=\r\n =?"))
	header("Message-ID", "<"+id+"@nicechat-relay.local>")
	header("MIME-Version", "1.0")
	if set := aws.ToString(in.ConfigurationSetName); set != "" {
		if !configurationSetName().MatchString(set) {
			return nil, refuse("ConfigurationSetDoesNotExist", fmt.Sprintf("Configuration set %q does not exist.", set))
		}
		header("X-SES-CONFIGURATION-SET", set)
	}

	var parts []part
	if text != "" {
		parts = append(parts, part{"text/plain; charset=UTF-8", text})
	}
	if html != "" {
		parts = append(parts, part{"text/html; charset=UTF-8", html})
	}
	if len(parts) == 1 {
		header("Content-Type", parts[0].contentType)
		header("Content-Transfer-Encoding", "quoted-printable")
		h.WriteString("\r\n")
		if err := writeQP(&h, parts[0].body); err != nil {
			return nil, err
		}
		return h.Bytes(), nil
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		w, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {p.contentType}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err := writeQP(w, p.body); err != nil {
			return nil, err
		}
	}
	_ = mw.Close()
	header("Content-Type", "multipart/alternative; boundary="+mw.Boundary())
	h.WriteString("\r\n")
	h.Write(body.Bytes())
	return h.Bytes(), nil
}

type part struct{ contentType, body string }

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(s)); err != nil {
		return fmt.Errorf("encode body: %w", err)
	}
	return qp.Close()
}

// addresses validates each address and formats the list for a header:
// net/mail refuses control characters and encodes a non-ASCII display
// name, so nothing in an address can start another header.
func addresses(list []string) (string, error) {
	out := make([]string, len(list))
	for i, a := range list {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return "", err
		}
		out[i] = addr.String()
	}
	return strings.Join(out, ",\r\n "), nil
}

// writeAtomic writes into a temporary file in dir and renames it, so a
// reader of dir never sees half a message.
func writeAtomic(dir, name string, data []byte) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".outbox-*.tmp") // 0o600
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	// The queue message is deleted once SendEmail returns: the file must
	// outlive a crash of the machine, not just of the process.
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	// The rename is durable once the directory itself is synced.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
