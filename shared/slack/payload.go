package slack

import (
	"strings"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// Slack's Block Kit limits. A message over them is rejected as a whole,
// so the payload is cut to fit instead.
const (
	maxBlocks      = 50
	maxSectionText = 3000
	maxHeaderText  = 150
	maxFallback    = 3000
)

// Payload is the incoming-webhook message for an event: a header with the
// headline, the fields, each section, the chat link and a context line,
// plus the headline as the plain-text fallback for notifications.
//
// Every visitor-supplied string is escaped for mrkdwn, and mrkdwn texts are
// verbatim, so a client called "<!channel>" or "@here" pings nobody and a
// form value "<https://evil|bank>" links nowhere; the chat link built from
// CHAT_URL_TEMPLATE is the only real link. The payload's own words (the
// link's text, the context line, the notice of a cut) come from the
// catalog of opts.Language and are escaped like everything else.
func Payload(e *nicechat.Event, opts humanize.Options) *slackapi.WebhookMessage {
	m := humanize.Render(e, opts)
	cat := opts.Catalog()

	var content []string
	if len(m.Fields) > 0 {
		lines := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			lines[i] = "*" + escape(f.Label) + ":* " + escape(f.Value)
			if f.Label == "" {
				lines[i] = escape(f.Value)
			}
		}
		content = append(content, chunks(lines)...)
	}
	for _, s := range m.Sections {
		lines := make([]string, 0, len(s.Lines)+1)
		if s.Title != "" {
			lines = append(lines, "*"+escape(s.Title)+"*")
		}
		for _, l := range s.Lines {
			lines = append(lines, "• "+escape(l))
		}
		content = append(content, chunks(lines)...)
	}

	tail := []slackapi.Block{contextBlock(e, cat)}
	if m.Link != "" {
		tail = append([]slackapi.Block{mrkdwnSection("<" + linkURL(m.Link) + "|" + cat.Text(humanize.KeyOpenChat, escape) + ">")}, tail...)
	}
	if room := maxBlocks - 1 - len(tail); len(content) > room {
		left := len(content) - (room - 1)
		content = append(content[:room-1], leftOut(cat, left))
	}

	blocks := []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType, humanize.Truncate(m.Headline, maxHeaderText), false, false)),
	}
	for _, text := range content {
		blocks = append(blocks, mrkdwnSection(text))
	}
	blocks = append(blocks, tail...)

	return &slackapi.WebhookMessage{
		Text:   truncateMrkdwn(escape(m.Headline), maxFallback),
		Blocks: &slackapi.Blocks{BlockSet: blocks},
	}
}

func mrkdwnSection(text string) *slackapi.SectionBlock {
	return slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, true), nil, nil)
}

func contextBlock(e *nicechat.Event, cat *humanize.Catalog) *slackapi.ContextBlock {
	text := cat.Text(humanize.KeyContext, escape, "event", escape(humanize.Truncate(cat.EventName(e.Type), 64)), "id", escape(e.ID))
	return slackapi.NewContextBlock("", slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, true))
}

// leftOut is the italic line that stands for the last blocks a message
// had no room for.
func leftOut(cat *humanize.Catalog, blocks int) string {
	return "_" + cat.Plural(humanize.KeySlackLeftOut, int64(blocks), escape) + "_"
}

// escape makes text literal in mrkdwn. Slack asks for exactly these three
// replacements; everything else it shows as typed.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// linkURL escapes a URL for the <url|text> form: the pipe would end the
// URL early, so it is percent-encoded.
func linkURL(u string) string {
	return escape(strings.ReplaceAll(u, "|", "%7C"))
}

// chunks packs lines into as few section texts of at most maxSectionText
// characters as it can, cutting a line that alone is too long.
func chunks(lines []string) []string {
	var out []string
	var cur strings.Builder
	n := 0
	for _, l := range lines {
		l = truncateMrkdwn(l, maxSectionText)
		ln := utf8.RuneCountInString(l)
		if n > 0 && n+1+ln > maxSectionText {
			out = append(out, cur.String())
			cur.Reset()
			n = 0
		}
		if n > 0 {
			cur.WriteByte('\n')
			n++
		}
		cur.WriteString(l)
		n += ln
	}
	if n > 0 {
		out = append(out, cur.String())
	}
	return out
}

// truncateMrkdwn is humanize.Truncate for escaped text: it never splits an
// escape such as "&amp;", which would show as a stray "&am".
func truncateMrkdwn(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	s = strings.TrimSuffix(humanize.Truncate(s, n), "…")
	if amp := strings.LastIndexByte(s, '&'); amp >= 0 && !strings.Contains(s[amp:], ";") {
		s = s[:amp]
	}
	return s + "…"
}
