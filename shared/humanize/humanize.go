// Package humanize renders Nice Chat events as short plain messages a shop
// owner reads at a glance, in the owner's language (Options.Language, from
// the catalogs described in catalog.go). It is pure: the strings it returns
// are raw visitor text (only control characters removed) next to the
// catalog's words, and each channel escapes and lays them out for its
// medium.
package humanize

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	// The Lambda base image may have no zoneinfo; DISPLAY_TIMEZONE and the
	// catalogs' zones (with their summer time) must still resolve. Every
	// humane channel imports this package, so each of their binaries
	// embeds the data.
	_ "time/tzdata"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/outbound"
)

// ChatIDPlaceholder is replaced by the chat id in Options.ChatURLTemplate.
const ChatIDPlaceholder = "{chat_id}"

// EnvLanguage chooses the language of every humane message, default en;
// a channel's own variable (SLACK_LANGUAGE, EMAIL_LANGUAGE, ...) wins over
// it.
const EnvLanguage = "HUMANIZE_LANGUAGE"

// Options tune rendering for one deployment.
type Options struct {
	Location        *time.Location // times are shown here, zone named; nil means UTC
	ShowIP          bool           // the client IP is personal data, so it is opt-in
	ChatURLTemplate string         // e.g. https://example/chats/{chat_id}; empty means no link
	// Language is the catalog the messages are written from, one of
	// Languages(); empty means English.
	Language string
}

// OptionsFromEnv reads DISPLAY_TIMEZONE (an IANA name; unset, the zone of
// HUMANIZE_LANGUAGE: see below), HUMANIZE_SHOW_IP (true/false, default
// false), CHAT_URL_TEMPLATE (an http(s) URL containing {chat_id},
// optional) and HUMANIZE_LANGUAGE (one of Languages(), default en).
// languageEnv names the channel's own language variable, such as
// SLACK_LANGUAGE, which wins over HUMANIZE_LANGUAGE when set; "" for none.
// A language that is not available is an error naming its variable and
// listing the languages there are.
//
// Without DISPLAY_TIMEZONE the times are in the zone of HUMANIZE_LANGUAGE's
// catalog (uk: Europe/Kyiv, pl: Europe/Warsaw, en: UTC), never of the
// channel's own language: a shop keeps one set of hours, so a Kyiv shop
// whose accountant reads the emails in English (EMAIL_LANGUAGE=en) sees
// the same Kyiv times in them as the team in Slack, each named as such.
func OptionsFromEnv(getenv func(string) string, languageEnv string) (Options, error) {
	var opts Options
	shopLang, err := languageFromEnv(getenv, EnvLanguage, baseLanguage)
	if err != nil {
		return Options{}, err
	}
	lang := shopLang
	if languageEnv != "" {
		if lang, err = languageFromEnv(getenv, languageEnv, shopLang); err != nil {
			return Options{}, err
		}
	}
	opts.Language = lang
	if tz := strings.TrimSpace(getenv(EnvTimezone)); tz != "" {
		if opts.Location, err = LoadZone(tz); err != nil {
			return Options{}, err
		}
	} else {
		if opts.Location, err = DefaultZone(shopLang); err != nil {
			return Options{}, err
		}
	}
	if v := strings.TrimSpace(getenv("HUMANIZE_SHOW_IP")); v != "" {
		show, err := strconv.ParseBool(v)
		if err != nil {
			return Options{}, fmt.Errorf("HUMANIZE_SHOW_IP must be true or false, got %q", v)
		}
		opts.ShowIP = show
	}
	if tpl := strings.TrimSpace(getenv("CHAT_URL_TEMPLATE")); tpl != "" {
		if !strings.Contains(tpl, ChatIDPlaceholder) {
			return Options{}, fmt.Errorf("CHAT_URL_TEMPLATE must contain %s", ChatIDPlaceholder)
		}
		if err := outbound.CheckURL("CHAT_URL_TEMPLATE", strings.ReplaceAll(tpl, ChatIDPlaceholder, "1")); err != nil {
			return Options{}, err
		}
		// The link is put in email bodies and Slack messages as it is, so
		// it must hold nothing Clean would take out of visitor text.
		if Clean(tpl) != tpl {
			return Options{}, fmt.Errorf("CHAT_URL_TEMPLATE must not contain control characters, line separators or bidirectional overrides")
		}
		opts.ChatURLTemplate = tpl
	}
	return opts, nil
}

// languageFromEnv reads a language variable, case and spaces aside; unset
// or empty it is fallback.
func languageFromEnv(getenv func(string) string, name, fallback string) (string, error) {
	lang := strings.ToLower(strings.TrimSpace(getenv(name)))
	if lang == "" {
		lang = fallback
	}
	if err := checkLanguage(lang); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return lang, nil
}

// Validate checks options built in code: the language must be one of
// Languages() (or empty, for English). OptionsFromEnv checks the same.
func (o Options) Validate() error {
	if err := checkLanguage(o.Language); err != nil {
		return fmt.Errorf("humanize language: %w", err)
	}
	return nil
}

// Catalog is the catalog of o.Language, which channels write their own
// lines from. A language that is not available gets English: Validate and
// OptionsFromEnv refuse it before any message is written.
func (o Options) Catalog() *Catalog {
	if c, err := CatalogFor(o.Language); err == nil {
		return c
	}
	c, err := CatalogFor(baseLanguage)
	if err != nil {
		// Unreachable in a build whose tests pass: they load every catalog.
		panic("humanize: " + err.Error())
	}
	return c
}

// Message is a rendered event: a one-line headline, "Label: value" fields,
// titled sections of lines, and an optional link to the chat.
type Message struct {
	Headline string
	Fields   []Field
	Sections []Section
	Link     string

	// eventID closes the plain text so a reader can quote it to support;
	// channels with their own footer take it from the event.
	eventID string
	// cat writes Text's own lines; nil (a Message built in code) is English.
	cat *Catalog
}

// Field is one "Label: value" line. A value may span lines (a form's
// text area); every other value is a single line.
type Field struct{ Label, Value string }

// Section is a titled list of lines, such as an order's products.
type Section struct {
	Title string
	Lines []string
}

// Render turns an event into a Message. It never fails: a field that is
// absent or has an odd type is left out, and an unknown event type gets a
// generic rendering of its top-level values.
func Render(e *nicechat.Event, opts Options) Message {
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	r := renderer{opts: opts, cat: opts.Catalog()}
	r.m.cat = r.cat
	switch e.Type {
	case nicechat.TypeNewVisitor:
		r.visitor(e)
	case nicechat.TypeNewChat, nicechat.TypeFirstMessage, nicechat.TypeUnanswered:
		r.chat(e)
	case nicechat.TypeNewOrder:
		r.order(e)
	case nicechat.TypePushForm:
		r.form(e)
	default:
		r.generic(e)
	}
	r.m.eventID = e.ID
	return r.m
}

// Text is the plain-text email body: the headline, the fields, each
// section, the chat link and the event id, separated by blank lines.
func (m Message) Text() string {
	cat := m.cat
	if cat == nil {
		cat = Options{}.Catalog()
	}
	var b strings.Builder
	b.WriteString(m.Headline)
	b.WriteString("\n")
	if len(m.Fields) > 0 {
		b.WriteString("\n")
		for _, f := range m.Fields {
			if f.Label != "" {
				b.WriteString(f.Label)
				b.WriteString(": ")
			}
			b.WriteString(indent(f.Value))
			b.WriteString("\n")
		}
	}
	for _, s := range m.Sections {
		b.WriteString("\n")
		if s.Title != "" {
			b.WriteString(s.Title)
			b.WriteString(":\n")
		}
		for _, l := range s.Lines {
			b.WriteString("- ")
			b.WriteString(indent(l))
			b.WriteString("\n")
		}
	}
	if m.Link != "" {
		b.WriteString("\n" + cat.Text(KeyOpenChat, nil) + ": ")
		b.WriteString(m.Link)
		b.WriteString("\n")
	}
	if m.eventID != "" {
		b.WriteString("\n" + cat.Text(keyEventID, nil) + ": ")
		b.WriteString(m.eventID)
		b.WriteString("\n")
	}
	return b.String()
}

// indent indents continuation lines, so a multi-line value cannot pass
// itself off as another field.
func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = "  " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
