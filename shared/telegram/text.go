package telegram

import (
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// maxTextUnits is Telegram's limit on a message's text, in UTF-16 code
// units after its entities are parsed. Text counts the HTML source
// instead: parsing drops tags and shrinks entities, so a source within the
// limit parses within it too.
const maxTextUnits = 4096

const (
	// maxHeadline and maxLabel bound markup-wrapped visitor text (a name
	// in the headline, a form label), which is never cut by the fitting
	// below, so that the rest of the message always has room.
	maxHeadline = 256
	maxLabel    = 128
	maxType     = 64
	// maxLinkUnits bounds the chat link's line. A longer link is left out
	// rather than crowd out the message; Validate refuses a
	// CHAT_URL_TEMPLATE that long.
	maxLinkUnits = 1024
	// minCutUnits is the least room worth cutting a line into; with less,
	// the line is left out whole.
	minCutUnits = 32
)

// cutNotice ends a message cut to fit, before the link and the event id.
func cutNotice(cat *humanize.Catalog) string {
	return cat.Plural(humanize.KeyTelegramLeftOut, maxTextUnits, escapeText)
}

// Text is the sendMessage text for an event, in parse_mode HTML: the
// headline in bold, the "Label: value" fields, each titled section as
// bulleted lines, the chat link and a last line with the event id.
//
// Every visitor-supplied string is escaped, so a client called
// "<b>x</b>" or a form value "<a href=…>" shows as typed; the chat link
// built from CHAT_URL_TEMPLATE is the only link, and link previews are
// off (see Deliver). The text fits Telegram's limit: lines that do not
// fit are left out from the end, a single over-long one is cut, and a
// line says so; the link and the event id are always kept. The message's
// own words (the link's text, the last line, the notice of a cut) come
// from the catalog of opts.Language and are escaped like everything else.
func Text(e *nicechat.Event, opts humanize.Options) string {
	m := humanize.Render(e, opts)
	cat := opts.Catalog()

	head := "<b>" + escapeText(humanize.Truncate(humanize.Line(m.Headline), maxHeadline)) + "</b>"

	var body []line
	if len(m.Fields) > 0 {
		body = append(body, line{})
		for _, f := range m.Fields {
			markup := ""
			if l := label(f.Label); l != "" {
				markup = "<b>" + escapeText(l) + ":</b> "
			}
			body = appendValue(body, markup, f.Value)
		}
	}
	for _, s := range m.Sections {
		body = append(body, line{})
		if t := label(s.Title); t != "" {
			body = append(body, line{markup: "<b>" + escapeText(t) + "</b>"})
		}
		for _, l := range s.Lines {
			body = appendValue(body, "• ", l)
		}
	}

	tail := []string{""}
	if link := linkLine(m.Link, cat); link != "" {
		tail = append(tail, link)
	}
	tail = append(tail, cat.Text(humanize.KeyContext, escapeText,
		"event", escapeText(humanize.Truncate(humanize.Line(cat.EventName(e.Type)), maxType)),
		"id", "<code>"+escapeText(humanize.Truncate(humanize.Line(e.ID), maxType))+"</code>"))

	return fit(head, body, tail, cutNotice(cat))
}

// line is one line of the message: markup this package writes, balanced
// on its own, then visitor text, escaped when the line is written. Lines
// are what a message is cut by, so a cut never falls inside a tag or an
// entity and never leaves a tag open.
type line struct {
	markup string
	text   string
}

func (l line) html() string { return l.markup + escapeText(l.text) }

// appendValue adds a value after markup, one line per line of the value:
// a form's text area keeps its line breaks.
func appendValue(lines []line, markup, value string) []line {
	for i, v := range strings.Split(value, "\n") {
		if i > 0 {
			markup = ""
		}
		lines = append(lines, line{markup: markup, text: v})
	}
	return lines
}

// label is a field label or section title on one bounded line.
func label(s string) string { return humanize.Truncate(humanize.Line(s), maxLabel) }

// linkLine is the chat link, or "" when there is none or it is too long.
func linkLine(link string, cat *humanize.Catalog) string {
	if link == "" {
		return ""
	}
	l := `<a href="` + escapeAttr(link) + `">` + cat.Text(humanize.KeyOpenChat, escapeText) + `</a>`
	if utf16Len(l) > maxLinkUnits {
		return ""
	}
	return l
}

// fit joins the head, the body lines and the tail, one per line. When
// that is over maxTextUnits it keeps as many body lines as fit, cuts the
// first that does not when enough of it would show, and puts notice (the
// escaped cutNotice) before the tail.
func fit(head string, body []line, tail []string, notice string) string {
	total := utf16Len(head)
	for _, l := range body {
		total += 1 + utf16Len(l.html())
	}
	tailUnits := 0
	for _, t := range tail {
		tailUnits += 1 + utf16Len(t)
	}
	if total+tailUnits <= maxTextUnits {
		return join(head, body, tail)
	}

	room := maxTextUnits - utf16Len(head) - tailUnits - (1 + utf16Len(notice))
	var kept []line
	for _, l := range body {
		html := l.html()
		if n := 1 + utf16Len(html); n <= room {
			kept = append(kept, l)
			room -= n
			continue
		}
		// A line's markup is bounded (maxLabel), so the cut falls in its
		// text, before escaping: never inside an entity.
		if textRoom := room - 1 - utf16Len(l.markup) - utf16Len("…"); l.text != "" && textRoom >= minCutUnits {
			kept = append(kept, line{markup: l.markup, text: cutText(l.text, textRoom) + "…"})
		}
		break
	}
	for len(kept) > 0 && kept[len(kept)-1] == (line{}) {
		kept = kept[:len(kept)-1]
	}
	return join(head, append(kept, line{markup: notice}), tail)
}

func join(head string, body []line, tail []string) string {
	var b strings.Builder
	b.WriteString(head)
	for _, l := range body {
		b.WriteByte('\n')
		b.WriteString(l.html())
	}
	for _, t := range tail {
		b.WriteByte('\n')
		b.WriteString(t)
	}
	return b.String()
}

// cutText is the longest start of s, cut between runes, whose escaped
// form takes at most room UTF-16 units. White space before the cut is
// dropped, as an ellipsis follows.
func cutText(s string, room int) string {
	used := 0
	for i, r := range s {
		n := utf16Len(escapeText(string(r)))
		if used+n > room {
			return strings.TrimRight(s[:i], " \t")
		}
		used += n
	}
	return s
}

// escapeText makes text literal in Telegram's HTML: these three are all it
// asks to be escaped outside tags.
var escapeText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// escapeAttr makes a URL literal inside a double-quoted href.
var escapeAttr = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace

// utf16Len is the length of s in UTF-16 code units, as Telegram counts.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
