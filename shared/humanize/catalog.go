// The texts of humane messages, in the shop owner's language.
//
// Every word the relay writes to a person (labels, headings, lead names,
// sentences, and the channels' own lines such as "Open the chat") comes from
// catalog/<language>.json, one file per language, named by its BCP 47 code
// (en.json, uk.json, pl.json). Adding a language is adding a file: the
// settings, the checks and the error listing the languages all read the
// directory. What the visitor or the shop wrote (names, messages, product
// titles, form labels, the vendor's keys) is never in a catalog: it is
// shown as sent, in every language.
//
// Improving a translation: anyone who writes the language natively may, and
// it is the whole change. Edit catalog/<language>.json (keep its keys and
// {placeholders}; reword freely, reorder them as the language wants), then
//
//	go test ./shared/humanize/
//	UPDATE_GOLDEN=1 go test ./shared/humanize/ ./shared/slack/ ./shared/email/ ./shared/telegram/
//
// and read the rewritten golden files (testdata/<language>/ in each package)
// as the shop owner would, on a phone, before committing them.
//
// The format: an object of key to text. A text is one line; {name} is filled
// in by the relay and may move but not go. A text that counts something is an
// object of CLDR plural categories (zero, one, two, few, many, other) with
// {n} the number, and must give every category the language uses for whole
// numbers plus "other" (uk and pl: one, few, many, other). format.number is
// how a number such as an order's is written ("#{n}", "№ {n}"); format.time is
// a Go time layout without the zone (02.01.2006 15:04), and format.zoned_time
// puts the zone beside it ("{time} ({zone})"): every time a message shows
// says which zone it is in. The zone is named by zone.<IANA name> when the
// catalogs name it ("за київським часом", "czas polski"), else by its offset
// (UTC, UTC+3, UTC-4:30). format.zone is the IANA zone a shop writing in
// the language most likely keeps its hours in (uk: Europe/Kyiv): the times'
// zone when DISPLAY_TIMEZONE is unset; a catalog names its own zone, or
// uses UTC. Numbers and amounts are grouped as CLDR says for the language,
// by golang.org/x/text. A catalog with a key English lacks or lacking one
// it has, a missing plural category or a changed placeholder does not load,
// and the tests say which.

package humanize

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

//go:embed catalog/*.json
var catalogFiles embed.FS

// baseLanguage is what a zero Options.Language means, and the catalog every
// other one is checked against.
const baseLanguage = "en"

// Keys of the texts the channels lay out themselves.
const (
	KeyOpenChat        = "link.open_chat"      // the chat link's text
	KeyContext         = "footer.context"      // {event} and {id}: the line that closes a Slack or Telegram message
	KeySlackLeftOut    = "slack.left_out"      // plural: the blocks a Slack message had no room for
	KeyTelegramLeftOut = "telegram.left_out"   // plural: {n} is Telegram's limit in characters
	KeyEarlierSteps    = "slack.earlier_steps" // plural: the steps a lead's summary line leaves out
)

// catalogs are parsed once, on first use, and checked as they are: the test
// of this package loads them, so a build whose catalogs do not load does not
// pass its tests, and OptionsFromEnv reports it at start-up.
var catalogs = sync.OnceValues(func() (map[string]*Catalog, error) {
	sub, err := fs.Sub(catalogFiles, "catalog")
	if err != nil {
		return nil, err
	}
	return loadCatalogs(sub)
})

// Catalog is one language's texts and its conventions for numbers and
// dates. It is read-only and safe for concurrent use.
type Catalog struct {
	language   string
	tag        language.Tag
	printer    *message.Printer
	phrases    map[string]phrase
	texts      []string // every text as written, for Texts
	timeLayout string
	zone       *time.Location // format.zone
}

// phrase is a plain text or, for a count, one text per plural category.
type phrase struct {
	text  template
	forms map[plural.Form]template
}

// template is a text cut at its placeholders when it is loaded, so filling
// it never rescans a value: visitor text holding "{who}" stays as typed.
type template []piece

type piece struct {
	text string // literal text, or
	name string // a placeholder's name
}

// Languages lists the languages humane messages can be written in, sorted:
// the catalog files' names. Reading them parses no catalog, so a function
// checks its language setting at start for the price of a directory
// listing, and parses the catalogs when it writes its first message.
func Languages() []string { return slices.Clone(languageNames()) }

var languageNames = sync.OnceValue(func() []string {
	entries, _ := fs.ReadDir(catalogFiles, "catalog")
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".json"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
})

// DefaultZone is the zone a shop writing in lang keeps its hours in (its
// catalog's format.zone), read without parsing the catalog: a function
// learns its display zone at start for the price of reading one field,
// and parses the catalogs when it writes its first message, where the
// zone is checked with the rest (see catalogZone).
func DefaultZone(lang string) (*time.Location, error) {
	if lang == "" {
		lang = baseLanguage
	}
	data, err := fs.ReadFile(catalogFiles, "catalog/"+lang+".json")
	if err != nil {
		return nil, checkLanguage(lang)
	}
	var head struct {
		Zone string `json:"format.zone"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Zone == "" {
		// Not readable here: the whole catalog says what is wrong.
		c, err := CatalogFor(lang)
		if err != nil {
			return nil, err
		}
		return c.Zone(), nil
	}
	return LoadZone(head.Zone)
}

// checkLanguage reports whether lang ("" meaning English) has a catalog.
func checkLanguage(lang string) error {
	if lang == "" || slices.Contains(languageNames(), lang) {
		return nil
	}
	return fmt.Errorf("%q is not a language of the relay's messages; available: %s", lang, strings.Join(languageNames(), ", "))
}

// CatalogFor returns the catalog of lang, a name Languages lists ("" means
// English).
func CatalogFor(lang string) (*Catalog, error) {
	all, err := catalogs()
	if err != nil {
		return nil, fmt.Errorf("the message catalogs do not load: %w", err)
	}
	if lang == "" {
		lang = baseLanguage
	}
	c, ok := all[lang]
	if !ok {
		return nil, fmt.Errorf("%q is not a language of the relay's messages; available: %s", lang, strings.Join(slices.Sorted(maps.Keys(all)), ", "))
	}
	return c, nil
}

// Language is the catalog's language, as Options.Language names it.
func (c *Catalog) Language() string { return c.language }

// Text is the text of key with its placeholders filled from vars, pairs of
// name and value ("who", name, "place", city). esc, when not nil, escapes
// the catalog's own text for the medium; values go in as given, so the
// caller escapes them (or wraps them in markup). An unknown key comes back
// as itself, so a typo shows rather than hides.
func (c *Catalog) Text(key string, esc func(string) string, vars ...string) string {
	p, ok := c.phrases[key]
	switch {
	case !ok:
		return key
	case p.forms != nil:
		return p.forms[plural.Other].fill(esc, vars)
	}
	return p.text.fill(esc, vars)
}

// Plural is Text for a count: the form the language's CLDR plural rules
// choose for n, with {n} the number written as the language writes it.
func (c *Catalog) Plural(key string, n int64, esc func(string) string, vars ...string) string {
	p, ok := c.phrases[key]
	if !ok {
		return key
	}
	vars = append([]string{"n", c.Number(n)}, vars...)
	if p.forms == nil {
		return p.text.fill(esc, vars)
	}
	t, ok := p.forms[c.pluralForm(n)]
	if !ok {
		t = p.forms[plural.Other]
	}
	return t.fill(esc, vars)
}

func (c *Catalog) pluralForm(n int64) plural.Form {
	if n < 0 {
		n = -n
	}
	return plural.Cardinal.MatchPlural(c.tag, int(n), 0, 0, 0, 0)
}

// Number is a whole number as the language groups it: 12,345 in English,
// 12 345 (with a no-break space) in Ukrainian and Polish.
func (c *Catalog) Number(n int64) string {
	return c.printer.Sprint(number.Decimal(n))
}

// Amount is an amount with two decimals as the language writes it:
// 2,648.99 in English, 2 648,99 in Ukrainian and Polish.
func (c *Catalog) Amount(v float64) string {
	return c.printer.Sprint(number.Decimal(v, number.Scale(2)))
}

// Time is t (already in the display zone) in the language's usual order,
// with the zone it is in: "13.06.2017 21:21 (за київським часом)",
// "2017-06-13 18:21 UTC".
func (c *Catalog) Time(t time.Time) string {
	return c.Text(keyZonedTime, nil, "time", t.Format(c.timeLayout), "zone", c.zoneName(t))
}

// zoneName is the catalog's name for t's zone, or its offset from UTC at t
// (so summer and winter time each read right).
func (c *Catalog) zoneName(t time.Time) string {
	if p, ok := c.phrases[keyZonePrefix+t.Location().String()]; ok && p.forms == nil {
		return p.text.fill(nil, nil)
	}
	return utcOffset(t)
}

// Zone is where a shop writing in the catalog's language most likely keeps
// its hours (format.zone): the display zone when DISPLAY_TIMEZONE is unset.
func (c *Catalog) Zone() *time.Location { return c.zone }

// EventName is an event type as the language names it ("чат без
// відповіді" for unanswered); a type the catalogs do not name is shown as
// the vendor sent it.
func (c *Catalog) EventName(typ string) string {
	if p, ok := c.phrases[keyEventNamePrefix+typ]; ok && p.forms == nil {
		return p.text.fill(nil, nil)
	}
	return typ
}

// has reports whether the catalog has a text for key.
func (c *Catalog) has(key string) bool {
	_, ok := c.phrases[key]
	return ok
}

// Texts lists every text of the catalog as written, each plural form on
// its own: for tests that look for one language's words in another's
// messages.
func (c *Catalog) Texts() []string {
	return slices.Clone(c.texts)
}

func (t template) fill(esc func(string) string, vars []string) string {
	var b strings.Builder
	for _, p := range t {
		if p.name == "" {
			if esc != nil {
				b.WriteString(esc(p.text))
			} else {
				b.WriteString(p.text)
			}
			continue
		}
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == p.name {
				b.WriteString(vars[i+1])
				break
			}
		}
	}
	return b.String()
}

// names are the placeholders of t.
func (t template) names() map[string]bool {
	names := map[string]bool{}
	for _, p := range t {
		if p.name != "" {
			names[p.name] = true
		}
	}
	return names
}

// Keys with a meaning beyond their text, and Text's own.
const (
	keyTimeLayout      = "format.time"
	keyZonedTime       = "format.zoned_time" // {time} and {zone}
	keyZone            = "format.zone"       // an IANA zone name, not a text shown
	keyNumber          = "format.number"
	keyEventID         = "footer.event_id" // labels the event id closing the plain text
	keyZonePrefix      = "zone."           // + an IANA zone name: the zone as the language names it
	keyEventNamePrefix = "event_name."     // + an event type: the type as the language names it
	keyLanguagePrefix  = "language."       // + an ISO 639 code: the language's name, for a browser's
)

// loadCatalogs reads every <language>.json at the root of fsys and checks
// each against English: the same keys, the same kind of text for each,
// the same placeholders, and every plural category the language uses.
func loadCatalogs(fsys fs.FS) (map[string]*Catalog, error) {
	files, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	baseFile := baseLanguage + ".json"
	if !slices.Contains(files, baseFile) {
		return nil, fmt.Errorf("there is no %s, the catalog the others are checked against", baseFile)
	}
	base, err := readCatalog(fsys, baseFile, nil)
	if err != nil {
		return nil, err
	}
	all := map[string]*Catalog{baseLanguage: base}
	var errs []error
	for _, file := range files {
		if file == baseFile {
			continue
		}
		c, err := readCatalog(fsys, file, base)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		all[c.language] = c
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return all, nil
}

func readCatalog(fsys fs.FS, file string, base *Catalog) (*Catalog, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	c, err := parseCatalog(strings.TrimSuffix(file, ".json"), data, base)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return c, nil
}

// parseCatalog parses one language's file; base is English, nil when
// parsing English itself.
func parseCatalog(lang string, data []byte, base *Catalog) (*Catalog, error) {
	tag, err := language.Parse(lang)
	if err != nil || strings.ToLower(tag.String()) != lang {
		return nil, fmt.Errorf("the file name must be a lower-case BCP 47 language code such as uk or pt-br, not %q", lang)
	}
	entries, err := decodeObject(data)
	if err != nil {
		return nil, err
	}
	c := &Catalog{language: lang, tag: tag, printer: message.NewPrinter(tag), phrases: make(map[string]phrase, len(entries))}
	used := usedForms(tag)
	var errs []error
	for _, e := range entries {
		p, err := c.parsePhrase(e, used)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.key, err))
			continue
		}
		if base != nil {
			if err := matches(p, base.phrases[e.key], e.key, base); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.key, err))
				continue
			}
		}
		c.phrases[e.key] = p
	}
	if base != nil {
		for _, key := range slices.Sorted(maps.Keys(base.phrases)) {
			if _, ok := c.phrases[key]; !ok && !slices.ContainsFunc(entries, func(e entry) bool { return e.key == key }) {
				errs = append(errs, fmt.Errorf("%s is missing (English has it)", key))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	layout, ok := c.phrases[keyTimeLayout]
	if !ok || layout.forms != nil {
		return nil, fmt.Errorf("%s must be a text: a Go time layout", keyTimeLayout)
	}
	if err := checkTimeLayout(layout.text); err != nil {
		return nil, fmt.Errorf("%s: %w", keyTimeLayout, err)
	}
	c.timeLayout = layout.text.fill(nil, nil)
	if n, ok := c.phrases[keyNumber]; !ok || n.forms != nil || !n.text.names()["n"] {
		return nil, fmt.Errorf("%s must be a text with {n}, the number", keyNumber)
	}
	if z, ok := c.phrases[keyZonedTime]; !ok || z.forms != nil || !maps.Equal(z.text.names(), map[string]bool{"time": true, "zone": true}) {
		return nil, fmt.Errorf("%s must be a text with {time} and {zone}", keyZonedTime)
	}
	if c.zone, err = catalogZone(c); err != nil {
		return nil, fmt.Errorf("%s: %w", keyZone, err)
	}
	return c, nil
}

// catalogZone loads the catalog's format.zone, which must be UTC or a zone
// the catalogs name: the zone a shop gets by default is always shown in
// words.
func catalogZone(c *Catalog) (*time.Location, error) {
	p, ok := c.phrases[keyZone]
	if !ok || p.forms != nil {
		return nil, fmt.Errorf("must be a text: an IANA time zone name such as Europe/Kyiv, or UTC")
	}
	name := p.text.fill(nil, nil)
	loc, err := time.LoadLocation(name)
	if err != nil || loc.String() != name || name == "Local" {
		return nil, fmt.Errorf("%q is not an IANA time zone name such as Europe/Kyiv, or UTC", name)
	}
	if name != "UTC" && !c.has(keyZonePrefix+name) {
		return nil, fmt.Errorf("%s has no name in the catalogs: add %s%s to each", name, keyZonePrefix, name)
	}
	return loc, nil
}

type entry struct {
	key string
	raw json.RawMessage
}

// decodeObject reads a JSON object keeping its order and refusing a key
// given twice, which json.Unmarshal would silently let the last one win.
func decodeObject(data []byte) ([]entry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object")
	}
	var entries []entry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: not valid JSON: %w", key, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("%s is there twice", key)
		}
		seen[key] = true
		entries = append(entries, entry{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("something follows the object")
	}
	return entries, nil
}

var formNames = map[string]plural.Form{
	"zero": plural.Zero, "one": plural.One, "two": plural.Two,
	"few": plural.Few, "many": plural.Many, "other": plural.Other,
}

// usedForms are the plural categories the language's CLDR rules give
// whole numbers, and "other", which every language has.
func usedForms(tag language.Tag) map[plural.Form]bool {
	used := map[plural.Form]bool{plural.Other: true}
	// The rules look at the last two digits at most.
	for n := range 1000 {
		used[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)] = true
	}
	return used
}

func (c *Catalog) parsePhrase(e entry, used map[plural.Form]bool) (phrase, error) {
	// format.* are conventions (a layout, a zone's name), not words shown.
	shown := !strings.HasPrefix(e.key, "format.")
	var s string
	if json.Unmarshal(e.raw, &s) == nil {
		t, err := parseTemplate(s)
		if shown {
			c.texts = append(c.texts, s)
		}
		return phrase{text: t}, err
	}
	forms, err := decodeObject(e.raw)
	if err != nil {
		return phrase{}, fmt.Errorf("must be a text or an object of plural forms")
	}
	p := phrase{forms: map[plural.Form]template{}}
	for _, f := range forms {
		form, ok := formNames[f.key]
		if !ok {
			return phrase{}, fmt.Errorf("%q is not a plural category (zero, one, two, few, many, other)", f.key)
		}
		if !used[form] {
			return phrase{}, fmt.Errorf("%s: %s never uses the plural category %q", f.key, c.language, f.key)
		}
		if err := json.Unmarshal(f.raw, &s); err != nil {
			return phrase{}, fmt.Errorf("%s: must be a text", f.key)
		}
		t, err := parseTemplate(s)
		if err != nil {
			return phrase{}, fmt.Errorf("%s: %w", f.key, err)
		}
		p.forms[form] = t
		if shown {
			c.texts = append(c.texts, s)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(formNames)) {
		if form := formNames[name]; used[form] && p.forms[form] == nil {
			return phrase{}, fmt.Errorf("the plural form %q is missing: %s uses it", name, c.language)
		}
	}
	return p, nil
}

// parseTemplate cuts s at its {placeholders}. A text is one line without
// control characters, line or paragraph separators, bidirectional
// overrides or spaces at its ends: what humanize.Line would leave as it is.
func parseTemplate(s string) (template, error) {
	if s == "" {
		return nil, fmt.Errorf("the text is empty")
	}
	if Line(s) != s {
		return nil, fmt.Errorf("%q must be one line, without control characters, bidirectional overrides or spaces at its ends", s)
	}
	var t template
	for rest := s; rest != ""; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			t = append(t, piece{text: rest})
			break
		}
		if rest[i] == '}' {
			return nil, fmt.Errorf("%q has a } that closes nothing", s)
		}
		if i > 0 {
			t = append(t, piece{text: rest[:i]})
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q has a { that is never closed", s)
		}
		name := rest[i+1 : i+end]
		if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz_") != "" {
			return nil, fmt.Errorf("%q: {%s} is not a placeholder (a name of a-z and _)", s, name)
		}
		t = append(t, piece{name: name})
		rest = rest[i+end+1:]
	}
	return t, nil
}

// matches checks a translation against English's phrase for the same key:
// the same kind, and placeholders English fills. A plain text keeps every
// placeholder (leaving one out would drop a name or a number); a plural
// form may leave {n} out ("one" may say "a block").
func matches(p, en phrase, key string, base *Catalog) error {
	if _, ok := base.phrases[key]; !ok {
		return fmt.Errorf("English has no such key (a typo, or a key that is no longer used)")
	}
	if (p.forms == nil) != (en.forms == nil) {
		if en.forms == nil {
			return fmt.Errorf("must be a text, as in English")
		}
		return fmt.Errorf("must be an object of plural forms, as in English")
	}
	if p.forms == nil {
		if want, got := en.text.names(), p.text.names(); !maps.Equal(want, got) {
			return fmt.Errorf("has the placeholders %s; English has %s", nameList(got), nameList(want))
		}
		return nil
	}
	want := map[string]bool{}
	for _, t := range en.forms {
		maps.Copy(want, t.names())
	}
	for _, t := range p.forms {
		for name := range t.names() {
			if !want[name] {
				return fmt.Errorf("has {%s}, which English does not fill", name)
			}
		}
	}
	return nil
}

func nameList(names map[string]bool) string {
	if len(names) == 0 {
		return "none"
	}
	var out []string
	for _, n := range slices.Sorted(maps.Keys(names)) {
		out = append(out, "{"+n+"}")
	}
	return strings.Join(out, ", ")
}

// checkTimeLayout refuses a layout that would not show the date and time:
// one written in the language's words ("ДД.ММ.РРРР") rather than Go's
// reference time prints itself for every event.
func checkTimeLayout(t template) error {
	if len(t) != 1 || t[0].name != "" {
		return fmt.Errorf("a Go time layout has no placeholders")
	}
	layout := t[0].text
	ref := time.Date(2017, 6, 13, 16, 54, 0, 0, time.UTC)
	// format.zoned_time shows the zone, in the language's words.
	if elsewhere := time.Date(2017, 6, 13, 16, 54, 0, 0, time.FixedZone("XYZ", 3*3600)); ref.Format(layout) != elsewhere.Format(layout) {
		return fmt.Errorf("%q shows the time zone; leave it to %s", layout, keyZonedTime)
	}
	for _, later := range []time.Time{ref.Add(time.Minute), ref.Add(time.Hour), ref.AddDate(0, 0, 1), ref.AddDate(0, 1, 0), ref.AddDate(1, 0, 0)} {
		if ref.Format(layout) == later.Format(layout) {
			return fmt.Errorf("%q does not show the minute, hour, day, month and year: write it with Go's reference time, 2006-01-02 15:04", layout)
		}
	}
	if s := ref.Format(layout); Line(s) != s {
		return fmt.Errorf("%q must give one line", layout)
	}
	return nil
}
