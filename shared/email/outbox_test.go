package email

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ses"
	sestypes "github.com/aws/aws-sdk-go-v2/service/ses/types"

	fixtures "github.com/nicechat-relay/nicechat-relay/events"
	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

var outboxTime = time.Date(2017, 6, 13, 18, 21, 29, 512e6, time.FixedZone("EEST", 3*3600))

// baseHeaders are the headers of every outbox file.
var baseHeaders = []string{"Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}

// recorder keeps the input the channel built and passes it on.
type recorder struct {
	Sender
	in *ses.SendEmailInput
}

func (r *recorder) SendEmail(ctx context.Context, in *ses.SendEmailInput, opts ...func(*ses.Options)) (*ses.SendEmailOutput, error) {
	r.in = in
	return r.Sender.SendEmail(ctx, in, opts...)
}

func sendInput(subject, text, html string) *ses.SendEmailInput {
	in := &ses.SendEmailInput{
		Source:      aws.String(sender),
		Destination: &sestypes.Destination{ToAddresses: []string{"owner@example.com", "Олена <olena@example.com>"}},
		Message:     &sestypes.Message{Subject: &sestypes.Content{Data: aws.String(subject)}, Body: &sestypes.Body{}},
	}
	if text != "" {
		in.Message.Body.Text = &sestypes.Content{Data: aws.String(text)}
	}
	if html != "" {
		in.Message.Body.Html = &sestypes.Content{Data: aws.String(html)}
	}
	return in
}

// readBack is an outbox file as a mail client reads it.
type readBack struct {
	name    string
	header  mail.Header
	subject string
	bodies  map[string]string // media type -> decoded text, line ends as \n
}

// onlyFile reads the one file in dir, failing on any other (a temporary
// file left behind included).
func onlyFile(t *testing.T, dir string) readBack {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Fatalf("outbox holds %v (%v), want one file", entries, err)
	}
	path := filepath.Join(dir, entries[0].Name())
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return parseMail(t, entries[0].Name(), raw)
}

func parseMail(t *testing.T, name string, raw []byte) readBack {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not an RFC 5322 message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q does not decode: %v", msg.Header.Get("Subject"), err)
	}
	rb := readBack{name: name, header: msg.Header, subject: subject, bodies: map[string]string{}}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	decode := func(h map[string][]string, typ string, r io.Reader) {
		if cte := mail.Header(h).Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
			t.Errorf("%s part has Content-Transfer-Encoding %q", typ, cte)
		}
		b, err := io.ReadAll(quotedprintable.NewReader(r))
		if err != nil {
			t.Fatalf("%s part is not quoted-printable: %v", typ, err)
		}
		rb.bodies[typ] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if mediaType != "multipart/alternative" {
		decode(msg.Header, mediaType, msg.Body)
		return rb
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			return rb
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		typ, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		decode(p.Header, typ, p)
	}
}

func headerNames(h mail.Header) []string { return slices.Sorted(maps.Keys(h)) }

// asLines is what a mail body becomes: every line break a \n.
func asLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

var outboxName = regexp.MustCompile(`^20170613T152129\.512Z-([0-9a-f]{16})\.eml$`)

func TestOutboxWritesMessagesThatParseBack(t *testing.T) {
	longLine := strings.Repeat("0123456789 ", 300) + "=\t \n" + strings.Repeat("я", 500) + " \nend"
	tests := []struct {
		name       string
		in         *ses.SendEmailInput
		wantBodies map[string]string
		headers    []string // nil means baseHeaders
	}{
		{"an ASCII subject", sendInput("[Nice Chat] new_order #42", "Hello\n", ""), map[string]string{"text/plain": "Hello\n"}, nil},
		{"a Ukrainian and emoji subject", sendInput("Гаряча лідка: Олена з Києва 🔥🔥", "Привіт 👋\n", ""), map[string]string{"text/plain": "Привіт 👋\n"}, nil},
		{"long body lines come back exactly", sendInput("long", longLine, ""), map[string]string{"text/plain": longLine}, nil},
		{"CR and LF in the subject stay inside it", sendInput("Hi\r\nBcc: evil@example.com\r\n\r\nbody\x00", "x", ""), map[string]string{"text/plain": "x"}, nil},
		{"an HTML body alone", sendInput("s", "", "<p>Hi</p>"), map[string]string{"text/html": "<p>Hi</p>"}, nil},
		{"text and HTML as alternatives", sendInput("s", "Hi\n", "<p>Hi</p>"), map[string]string{"text/plain": "Hi\n", "text/html": "<p>Hi</p>"},
			slices.DeleteFunc(slices.Clone(baseHeaders), func(h string) bool { return h == "Content-Transfer-Encoding" })}, // set per part
		{"copies, blind copies and the configuration set", func() *ses.SendEmailInput {
			in := sendInput("s", "x", "")
			in.Destination.CcAddresses, in.Destination.BccAddresses = []string{"cc@example.com"}, []string{"bcc@example.com"}
			in.ConfigurationSetName = aws.String("relay-events")
			return in
		}(), map[string]string{"text/plain": "x"}, append([]string{"Bcc", "Cc", "X-Ses-Configuration-Set"}, baseHeaders...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "var", "outbox")
			out, err := (&Outbox{Dir: dir, Now: func() time.Time { return outboxTime }}).SendEmail(context.Background(), tc.in)
			if err != nil {
				t.Fatalf("SendEmail: %v", err)
			}
			if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
				t.Errorf("outbox directory mode %v (%v), want 0700", info.Mode().Perm(), err)
			}
			got := onlyFile(t, dir)
			m := outboxName.FindStringSubmatch(got.name)
			if m == nil || aws.ToString(out.MessageId) != m[1] {
				t.Fatalf("file %q, MessageId %q: want <UTC time>-<MessageId>.eml", got.name, aws.ToString(out.MessageId))
			}
			want := baseHeaders
			if tc.headers != nil {
				want = slices.Sorted(slices.Values(tc.headers))
			}
			if !slices.Equal(headerNames(got.header), want) {
				t.Errorf("headers %v, want exactly %v", headerNames(got.header), want)
			}
			if id := got.header.Get("Message-Id"); id != "<"+m[1]+"@nicechat-relay.local>" {
				t.Errorf("Message-ID %q", id)
			}
			if date, err := got.header.Date(); err != nil || !date.Equal(outboxTime.Truncate(time.Second)) {
				t.Errorf("Date %v (%v), want %v", date, err, outboxTime)
			}
			if got.subject != aws.ToString(tc.in.Message.Subject.Data) {
				t.Errorf("subject %q, want %q", got.subject, aws.ToString(tc.in.Message.Subject.Data))
			}
			to, err := got.header.AddressList("To")
			if err != nil || len(to) != 2 || to[0].Address != "owner@example.com" || to[1].Name != "Олена" {
				t.Errorf("To %v (%v)", to, err)
			}
			for typ, want := range tc.wantBodies {
				if got.bodies[typ] != asLines(want) {
					t.Errorf("%s body %q, want %q", typ, got.bodies[typ], asLines(want))
				}
			}
			if len(got.bodies) != len(tc.wantBodies) {
				t.Errorf("parts %v, want %v", slices.Sorted(maps.Keys(got.bodies)), slices.Sorted(maps.Keys(tc.wantBodies)))
			}
		})
	}
}

func TestOutboxRefusesWhatSESRefuses(t *testing.T) {
	with := func(change func(in *ses.SendEmailInput)) *ses.SendEmailInput {
		in := sendInput("s", "x", "")
		change(in)
		return in
	}
	tests := []struct {
		name      string
		in        *ses.SendEmailInput
		wantClass delivery.Class
		wantCode  string
	}{
		{"no sender", with(func(in *ses.SendEmailInput) { in.Source = nil }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"no recipient", with(func(in *ses.SendEmailInput) { in.Destination = &sestypes.Destination{} }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"no destination", with(func(in *ses.SendEmailInput) { in.Destination = nil }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"no message", with(func(in *ses.SendEmailInput) { in.Message = nil }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"an empty body", with(func(in *ses.SendEmailInput) { in.Message.Body.Text.Data = aws.String("") }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"a header in the sender", with(func(in *ses.SendEmailInput) { in.Source = aws.String("a@example.com\r\nBcc: evil@example.com") }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"a header in a recipient", with(func(in *ses.SendEmailInput) { in.Destination.ToAddresses = []string{"\"x\r\nBcc: e@x.com\" <a@x.com>"} }), delivery.ClassPermanent, "InvalidParameterValue"},
		{"a configuration set SES cannot have", with(func(in *ses.SendEmailInput) { in.ConfigurationSetName = aws.String("set\r\nX: y") }), delivery.ClassMisconfigured, "ConfigurationSetDoesNotExist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := (&Outbox{Dir: dir}).SendEmail(context.Background(), tc.in)
			if de := classify(err); de == nil || de.Class != tc.wantClass || de.Code != tc.wantCode {
				t.Fatalf("classified as %+v, want class %s code %s", de, tc.wantClass, tc.wantCode)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("a refused message left %v", entries)
			}
		})
	}
}

func TestOutboxReturnsWriteErrorsForRetry(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := (&Outbox{Dir: filepath.Join(file, "outbox")}).SendEmail(context.Background(), sendInput("s", "x", ""))
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) {
		t.Fatalf("error %v does not wrap the file system's", err)
	}
	if de := classify(err); de.Class != delivery.ClassRetry {
		t.Errorf("classified %s, want %s", de.Class, delivery.ClassRetry)
	}
}

func TestAnOutboxItMayNotWriteToIsMisconfigured(t *testing.T) {
	// A directory without write permission refuses anyone but root; as
	// root, sysfs refuses file creation all the same.
	dir := filepath.Join(t.TempDir(), "locked")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if f, err := os.CreateTemp(dir, "probe"); err == nil {
		f.Close()
		dir = "/sys"
		if f, err := os.CreateTemp(dir, "probe"); err == nil || !errors.Is(err, fs.ErrPermission) {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
			t.Skip("no directory here refuses this user's writes")
		}
	}
	_, err := (&Outbox{Dir: dir, Setting: "RELAY_DATA_DIR"}).SendEmail(context.Background(), sendInput("s", "x", ""))
	de := classify(err)
	if de.Class != delivery.ClassMisconfigured || de.Setting != "RELAY_DATA_DIR" || !strings.Contains(de.Reason, dir) {
		t.Errorf("classified %+v, want misconfigured, naming RELAY_DATA_DIR and the directory", de)
	}
}

func TestChannelDeliversIntoTheOutbox(t *testing.T) {
	opts := humanize.Options{Location: time.UTC, ChatURLTemplate: "https://example.com/chats/{chat_id}"}
	m, err := message.FromRecord(fixtures.SQS(Name).Records[0])
	if err != nil {
		t.Fatal(err)
	}
	e, err := nicechat.Parse(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	_ = json.Indent(&indented, m.Body, "", "  ")
	for format, wantBody := range map[message.Format]string{
		message.FormatTech:  indented.String() + "\n",
		message.FormatHuman: humanize.Render(e, opts).Text(),
	} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			rec := &recorder{Sender: &Outbox{Dir: dir}}
			m.Format = format
			if err := mustNew(t, Config{From: sender, To: []string{"owner@example.com"}, Humanize: opts}, rec).Deliver(context.Background(), m); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			got := onlyFile(t, dir)
			if want := aws.ToString(rec.in.Message.Subject.Data); got.subject != want {
				t.Errorf("subject %q, the channel sent %q", got.subject, want)
			}
			if got.bodies["text/plain"] != wantBody || aws.ToString(rec.in.Message.Body.Text.Data) != wantBody {
				t.Errorf("body\n%s\nwant\n%s", got.bodies["text/plain"], wantBody)
			}
			if !slices.Equal(headerNames(got.header), baseHeaders) {
				t.Errorf("headers %v, want exactly %v", headerNames(got.header), baseHeaders)
			}
		})
	}
}
