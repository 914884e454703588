package humanetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nicechat-relay/nicechat-relay/shared/delivery"
	"github.com/nicechat-relay/nicechat-relay/shared/humane"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize"
	"github.com/nicechat-relay/nicechat-relay/shared/humanize/humanizetest"
	"github.com/nicechat-relay/nicechat-relay/shared/message"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
)

// Settings is how a channel reads the settings of the kit.
type Settings struct {
	Env humane.Env
	// Defaults are what an unset timeout and pace take.
	Defaults humane.Settings
	// Required are the channel's own variables it needs to read at all.
	Required map[string]string
	// Read is the channel's ConfigFromEnv, cut to the kit's settings.
	Read func(getenv func(string) string) (humane.Settings, error)
	// Secret is what no error may quote.
	Secret string
}

type settingsCase struct {
	name       string
	env        map[string]string
	check      func(t *testing.T, s humane.Settings)
	wantErr    string
	wantErrToo string
}

// CheckSettings reads each of the kit's settings through the channel,
// as set, unset and wrong: an error names the variable at fault and never
// quotes the secret.
func CheckSettings(t *testing.T, cs Settings) {
	languages := "available: " + strings.Join(humanize.Languages(), ", ")
	language := func(t *testing.T, s humane.Settings, lang, zone string) {
		t.Helper()
		if s.Humanize.Language != lang || s.Humanize.Location.String() != zone {
			t.Errorf("language %q in %s, want %q in %s", s.Humanize.Language, s.Humanize.Location, lang, zone)
		}
	}
	tests := []settingsCase{
		{name: "takes the defaults", check: func(t *testing.T, s humane.Settings) {
			if s.Timeout != cs.Defaults.Timeout || s.Interval != cs.Defaults.Interval || s.Humanize.ShowIP || s.Humanize.ChatURLTemplate != "" {
				t.Errorf("settings = %+v, want the defaults %+v", s, cs.Defaults)
			}
			language(t, s, "en", "UTC")
		}},
		{name: "reads the humanize options", env: map[string]string{"DISPLAY_TIMEZONE": "Europe/Kyiv", "HUMANIZE_SHOW_IP": "true", "CHAT_URL_TEMPLATE": "https://x.example/c/{chat_id}"},
			check: func(t *testing.T, s humane.Settings) {
				if s.Humanize.Location.String() != "Europe/Kyiv" || !s.Humanize.ShowIP || s.Humanize.ChatURLTemplate != "https://x.example/c/{chat_id}" {
					t.Errorf("humanize options = %+v", s.Humanize)
				}
			}},
		{name: "passes on a humanize error", env: map[string]string{"DISPLAY_TIMEZONE": "Nowhere/Else"}, wantErr: "DISPLAY_TIMEZONE"},
		{name: "reads HUMANIZE_LANGUAGE, the shop's zone with it", env: map[string]string{"HUMANIZE_LANGUAGE": "uk"},
			check: func(t *testing.T, s humane.Settings) { language(t, s, "uk", "Europe/Kyiv") }},
		{name: cs.Env.Language + " wins over HUMANIZE_LANGUAGE, the shop's zone kept", env: map[string]string{"HUMANIZE_LANGUAGE": "uk", cs.Env.Language: "en"},
			check: func(t *testing.T, s humane.Settings) { language(t, s, "en", "Europe/Kyiv") }},
		{name: "another channel's language is not " + cs.Env.Language, env: map[string]string{"HUMANIZE_LANGUAGE": "pl"},
			check: func(t *testing.T, s humane.Settings) { language(t, s, "pl", "Europe/Warsaw") }},
		{name: "rejects an unknown " + cs.Env.Language + ", listing the languages", env: map[string]string{cs.Env.Language: "ukr"},
			wantErr: cs.Env.Language + `: "ukr" is not a language`, wantErrToo: languages},
		{name: "rejects an unknown HUMANIZE_LANGUAGE, listing the languages", env: map[string]string{"HUMANIZE_LANGUAGE": "Polski"},
			wantErr: `HUMANIZE_LANGUAGE: "polski" is not a language`, wantErrToo: languages},
	}
	duration := func(name, value string, want time.Duration, got func(humane.Settings) time.Duration) settingsCase {
		return settingsCase{name: "reads " + name + "=" + value, env: map[string]string{name: value}, check: func(t *testing.T, s humane.Settings) {
			if got(s) != want {
				t.Errorf("%s = %s, want %s", name, got(s), want)
			}
		}}
	}
	refused := func(name, value string) settingsCase {
		return settingsCase{name: "rejects " + name + "=" + value, env: map[string]string{name: value}, wantErr: name}
	}
	if name := cs.Env.Timeout; name != "" {
		timeout := func(s humane.Settings) time.Duration { return s.Timeout }
		tests = append(tests, duration(name, "3s", 3*time.Second, timeout), duration(name, "7", 7*time.Second, timeout),
			refused(name, "soon"), refused(name, "0s"), refused(name, "10m"))
	}
	if name := cs.Env.MinInterval; name != "" {
		interval := func(s humane.Settings) time.Duration { return s.Interval }
		tests = append(tests, duration(name, "1s", time.Second, interval), duration(name, "1500ms", 1500*time.Millisecond, interval),
			refused(name, "fast"), refused(name, "0"))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := cs.Read(func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				if strings.HasSuffix(k, "_LANGUAGE") && k != cs.Env.Language && k != humanize.EnvLanguage {
					return "en" // another channel's, never this one's
				}
				return cs.Required[k]
			})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.wantErrToo) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, tc.wantErr, tc.wantErrToo)
				}
				if cs.Secret != "" && strings.Contains(err.Error(), cs.Secret) {
					t.Errorf("the error quotes the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

// CheckRefusesUnknownLanguage checks that the channel, built in code with
// a language there is no catalog for, is refused naming the channel's
// language variable and listing the languages there are.
func CheckRefusesUnknownLanguage(t *testing.T, env humane.Env, open func(humanize.Options) error) {
	err := open(humanize.Options{Language: "de"})
	if err == nil || !strings.Contains(err.Error(), env.Language) || !strings.Contains(err.Error(), "available: "+strings.Join(humanize.Languages(), ", ")) {
		t.Errorf("New = %v, want an error naming %s and listing the languages", err, env.Language)
	}
}

// ChatLinks is where the chat links of CheckTranslations point.
const ChatLinks = "https://example.test/chats/"

// CheckTranslations renders every event in every translation through
// show, which returns the message as its reader sees it, and reads it as
// the owner of a shop in that language would: no English word is left,
// and once what came from the event is cut out, no event type's name and
// no word of Latin letters but the brands, currencies and UTC.
func CheckTranslations(t *testing.T, show func(t *testing.T, body []byte, opts humanize.Options) string) {
	parse := func(t *testing.T, body []byte) *nicechat.Event {
		t.Helper()
		e, err := nicechat.Parse(body)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	for _, lang := range humanizetest.Translations() {
		for _, ev := range humanizetest.Events() {
			t.Run("no English word/"+lang+"/"+ev.Name, func(t *testing.T) {
				e := parse(t, ev.Body)
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: ChatLinks + "{chat_id}", Location: time.UTC}
				shown := show(t, ev.Body, opts)
				if words := humanizetest.EnglishWords(t, lang, shown, e.Type, e.ID, ChatLinks); len(words) > 0 {
					t.Errorf("English words %q in the %s message:\n%s", words, lang, shown)
				}
			})
		}
		for _, ev := range humanizetest.Fixtures() {
			t.Run("nothing untranslated/"+lang+"/"+ev.Name, func(t *testing.T) {
				e := parse(t, ev.Body)
				opts := humanize.Options{Language: lang, ShowIP: true, ChatURLTemplate: ChatLinks + "{chat_id}", Location: humanizetest.Location(t, lang)}
				shown := show(t, ev.Body, opts)
				if found := humanizetest.Untranslated(t, lang, shown, append(humanizetest.DataTexts(ev.Body), e.ID, ChatLinks)...); len(found) > 0 {
					t.Errorf("%q in the %s message:\n%s", found, lang, shown)
				}
			})
		}
	}
}

// CheckPoisons delivers each poisonous form (nicechattest.Poisons), as
// a message a person reads, through the channel open builds, within the
// memory budget of its size; shown is what the service got, which must
// name the form.
func CheckPoisons(t *testing.T, open func(t *testing.T) (ch delivery.Channel, shown func() string)) {
	for _, p := range nicechattest.Poisons() {
		t.Run(p.Name, func(t *testing.T) {
			ch, shown := open(t)
			m := Message(p.Body)
			m.Event, m.Format = nicechat.TypePushForm, message.FormatHuman
			var err error
			got := nicechattest.Allocated(func() { err = ch.Deliver(context.Background(), m) })
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			t.Logf("%d bytes allocated for a %d-byte body", got, len(p.Body))
			if budget := nicechattest.RenderBudget(len(p.Body)); got > budget {
				t.Errorf("delivering %d bytes allocated %d bytes, over the budget of %d", len(p.Body), got, budget)
			}
			if s := shown(); !strings.Contains(s, "Deep") {
				t.Errorf("the service got %q, want a message naming the form", s)
			}
		})
	}
}
