package humanize

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// requiredLanguages are the languages the relay promises.
var requiredLanguages = []string{"en", "pl", "uk"}

func TestEmbeddedCatalogsLoadAndOfferTheRequiredLanguages(t *testing.T) {
	all, err := catalogs()
	if err != nil {
		t.Fatalf("the embedded catalogs do not load:\n%v", err)
	}
	for _, lang := range requiredLanguages {
		if all[lang] == nil {
			t.Errorf("no catalog for %s; Languages() = %v", lang, Languages())
		}
	}
	if got := Languages(); !slices.IsSorted(got) || len(got) != len(all) {
		t.Errorf("Languages() = %v, want every catalog, sorted", got)
	}
}

// TestEveryCatalogHasExactlyEnglishKeys reads the files itself rather than
// trusting the loader's own check.
func TestEveryCatalogHasExactlyEnglishKeys(t *testing.T) {
	keys := func(lang string) []string {
		data, err := catalogFiles.ReadFile("catalog/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s.json: %v", lang, err)
		}
		return slices.Sorted(maps.Keys(m))
	}
	english := keys("en")
	for _, lang := range Languages() {
		t.Run(lang, func(t *testing.T) {
			got := keys(lang)
			for _, k := range english {
				if !slices.Contains(got, k) {
					t.Errorf("%s.json lacks %s, which en.json has", lang, k)
				}
			}
			for _, k := range got {
				if !slices.Contains(english, k) {
					t.Errorf("%s.json has %s, which en.json lacks", lang, k)
				}
			}
		})
	}
}

func TestLoadCatalogsRefusesABrokenCatalog(t *testing.T) {
	const en = `{"greeting":"Hello {name}","count":{"one":"{n} item","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04","format.zoned_time":"{time} {zone}","format.zone":"UTC"}`
	tests := []struct {
		name    string
		files   map[string]string
		wantErr []string // all of these in the error
	}{
		{name: "a key English has is missing",
			files:   map[string]string{"uk.json": `{"count":{"one":"{n} товар","few":"{n} товари","many":"{n} товарів","other":"{n} товару"},"format.number":"№ {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"uk.json", "greeting is missing"}},
		{name: "a key English lacks",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć {name}","extra":"x","count":{"one":"{n} rzecz","few":"{n} rzeczy","many":"{n} rzeczy","other":"{n} rzeczy"},"format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"pl.json", "extra", "English has no such key"}},
		{name: "a placeholder left out",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć","count":{"one":"{n} rzecz","few":"{n} rzeczy","many":"{n} rzeczy","other":"{n} rzeczy"},"format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"greeting", "{name}"}},
		{name: "a placeholder English does not fill",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć {imie}","count":{"one":"{n} rzecz","few":"{n} rzeczy","many":"{n} rzeczy","other":"{n} rzeczy"},"format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"greeting", "{imie}"}},
		{name: "a plural category the language uses is missing",
			files:   map[string]string{"uk.json": `{"greeting":"Привіт, {name}","count":{"one":"{n} товар","other":"{n} товару"},"format.number":"№ {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"count", `"few" is missing`}},
		{name: "a plural category the language never uses",
			files:   map[string]string{"en.json": `{"greeting":"Hello {name}","count":{"one":"{n} item","few":"{n} items","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04","format.zoned_time":"{time} {zone}","format.zone":"UTC"}`},
			wantErr: []string{"en.json", "count", `"few"`}},
		{name: "a text where English counts",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć {name}","count":"{n} rzeczy","format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"count", "plural forms"}},
		{name: "a key given twice",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć {name}","greeting":"Hej {name}"}`},
			wantErr: []string{"pl.json", "greeting is there twice"}},
		{name: "a text on two lines",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć\n{name}","count":{"one":"{n} rzecz","few":"{n} rzeczy","many":"{n} rzeczy","other":"{n} rzeczy"},"format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"greeting", "one line"}},
		{name: "a brace that is not a placeholder",
			files:   map[string]string{"pl.json": `{"greeting":"Cześć {name} :}","count":{"one":"{n} rzecz","few":"{n} rzeczy","many":"{n} rzeczy","other":"{n} rzeczy"},"format.number":"nr {n}","format.time":"02.01.2006 15:04","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"greeting", "closes nothing"}},
		{name: "a time layout in words rather than Go's reference time",
			files:   map[string]string{"uk.json": `{"greeting":"Привіт, {name}","count":{"one":"{n} товар","few":"{n} товари","many":"{n} товарів","other":"{n} товару"},"format.number":"№ {n}","format.time":"ДД.ММ.РРРР","format.zoned_time":"{time} ({zone})","format.zone":"UTC"}`},
			wantErr: []string{"format.time", "reference time"}},
		{name: "a time layout that shows the zone, which format.zoned_time names",
			files:   map[string]string{"en.json": `{"greeting":"Hello {name}","count":{"one":"{n} item","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04 MST","format.zoned_time":"{time} {zone}","format.zone":"UTC"}`},
			wantErr: []string{"en.json", "format.time", "shows the time zone"}},
		{name: "a zoned time without the zone",
			files:   map[string]string{"en.json": `{"greeting":"Hello {name}","count":{"one":"{n} item","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04","format.zoned_time":"{time}","format.zone":"UTC"}`},
			wantErr: []string{"en.json", "format.zoned_time", "{zone}"}},
		{name: "a zone that is not an IANA zone",
			files:   map[string]string{"en.json": `{"greeting":"Hello {name}","count":{"one":"{n} item","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04","format.zoned_time":"{time} {zone}","format.zone":"Kyiv"}`},
			wantErr: []string{"en.json", "format.zone", "IANA"}},
		{name: "a zone the catalogs do not name",
			files:   map[string]string{"en.json": `{"greeting":"Hello {name}","count":{"one":"{n} item","other":"{n} items"},"format.number":"#{n}","format.time":"2006-01-02 15:04","format.zoned_time":"{time} {zone}","format.zone":"Europe/Kyiv"}`},
			wantErr: []string{"en.json", "Europe/Kyiv has no name", "zone.Europe/Kyiv"}},
		{name: "a file that is not named for a language",
			files:   map[string]string{"ukrainian!.json": `{}`},
			wantErr: []string{"BCP 47"}},
		{name: "not JSON",
			files:   map[string]string{"pl.json": `{"greeting": "Cześć {name}",}`},
			wantErr: []string{"pl.json", "JSON"}},
		{name: "no English",
			files:   map[string]string{"en.json": "", "uk.json": `{}`},
			wantErr: []string{"no en.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"en.json": {Data: []byte(en)}}
			for name, data := range tc.files {
				fsys[name] = &fstest.MapFile{Data: []byte(data)}
				if data == "" {
					delete(fsys, name)
				}
			}
			_, err := loadCatalogs(fsys)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, want := range tc.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func catalog(t *testing.T, lang string) *Catalog {
	t.Helper()
	c, err := CatalogFor(lang)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPluralFormsFollowCLDR(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 1, "1"}, {"en", 2, "2"}, {"en", 1000, "1,000"},
		{"uk", 1, "1 товар"}, {"uk", 2, "2 товари"}, {"uk", 4, "4 товари"}, {"uk", 5, "5 товарів"},
		{"uk", 11, "11 товарів"}, {"uk", 12, "12 товарів"}, {"uk", 21, "21 товар"}, {"uk", 22, "22 товари"},
		{"uk", 25, "25 товарів"}, {"uk", 101, "101 товар"}, {"uk", 1000, "1\u00a0000 товарів"}, {"uk", 1001, "1\u00a0001 товар"},
		{"pl", 1, "1 produkt"}, {"pl", 2, "2 produkty"}, {"pl", 4, "4 produkty"}, {"pl", 5, "5 produktów"},
		{"pl", 12, "12 produktów"}, {"pl", 21, "21 produktów"}, {"pl", 22, "22 produkty"}, {"pl", 101, "101 produktów"},
		{"pl", 1002, "1\u00a0002 produkty"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.want, func(t *testing.T) {
			if got := catalog(t, tc.lang).Plural("count.items", tc.n, nil); got != tc.want {
				t.Errorf("%d items in %s = %q, want %q", tc.n, tc.lang, got, tc.want)
			}
		})
	}
}

func TestNumbersAndAmountsFollowTheLanguage(t *testing.T) {
	tests := []struct {
		lang           string
		amount         float64
		wantAmount     string
		number         int64
		wantNumber     string
		wantLongAmount string // 1234567.891
	}{
		{"en", 2648.99, "2,648.99", 12345, "12,345", "1,234,567.89"},
		{"uk", 2648.99, "2\u00a0648,99", 12345, "12\u00a0345", "1\u00a0234\u00a0567,89"},
		{"pl", 2648.99, "2\u00a0648,99", 12345, "12\u00a0345", "1\u00a0234\u00a0567,89"},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			c := catalog(t, tc.lang)
			if got := c.Amount(tc.amount); got != tc.wantAmount {
				t.Errorf("Amount(%v) = %q, want %q", tc.amount, got, tc.wantAmount)
			}
			if got := c.Amount(1234567.891); got != tc.wantLongAmount {
				t.Errorf("Amount(1234567.891) = %q, want %q", got, tc.wantLongAmount)
			}
			if got := c.Number(tc.number); got != tc.wantNumber {
				t.Errorf("Number(%d) = %q, want %q", tc.number, got, tc.wantNumber)
			}
			if got := c.Amount(0.5); !strings.HasPrefix(got, "0") || len(got) != 4 {
				t.Errorf("Amount(0.5) = %q", got)
			}
		})
	}
}

func TestTimesFollowTheLanguageAndNameTheirZone(t *testing.T) {
	summer := time.Date(2017, 6, 13, 13, 54, 45, 0, time.UTC)
	winter := time.Date(2017, 12, 13, 13, 54, 45, 0, time.UTC)
	zone := func(name string) *time.Location {
		loc, err := LoadZone(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	tests := []struct {
		lang string
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"en", summer, time.UTC, "2017-06-13 13:54 UTC"},
		{"en", summer, zone("Europe/Kyiv"), "2017-06-13 16:54 Kyiv time"},
		{"en", winter, zone("Europe/Kyiv"), "2017-12-13 15:54 Kyiv time"},
		{"uk", summer, zone("Europe/Kyiv"), "13.06.2017 16:54 (за київським часом)"},
		{"uk", winter, zone("Europe/Kyiv"), "13.12.2017 15:54 (за київським часом)"},
		{"uk", summer, zone("Europe/Kiev"), "13.06.2017 16:54 (за київським часом)"},
		{"uk", summer, time.UTC, "13.06.2017 13:54 (UTC)"},
		{"uk", summer, zone("Europe/Warsaw"), "13.06.2017 15:54 (за варшавським часом)"},
		{"pl", summer, zone("Europe/Warsaw"), "13.06.2017 15:54 (czas polski)"},
		{"pl", winter, zone("Europe/Warsaw"), "13.12.2017 14:54 (czas polski)"},
		{"pl", summer, zone("Europe/Kyiv"), "13.06.2017 16:54 (czas kijowski)"},
		{"pl", summer, time.UTC, "13.06.2017 13:54 (UTC)"},
		// A zone the catalogs do not name is named by its offset, which
		// follows its summer time.
		{"en", summer, zone("America/New_York"), "2017-06-13 09:54 UTC-4"},
		{"uk", winter, zone("America/New_York"), "13.12.2017 08:54 (UTC-5)"},
		{"pl", summer, zone("Asia/Kolkata"), "13.06.2017 19:24 (UTC+5:30)"},
		{"en", winter, zone("Europe/London"), "2017-12-13 13:54 UTC"},
	}
	for _, tc := range tests {
		t.Run(tc.lang+"/"+tc.want, func(t *testing.T) {
			if got := catalog(t, tc.lang).Time(tc.at.In(tc.loc)); got != tc.want {
				t.Errorf("Time = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEachLanguageHasTheZoneOfItsShops(t *testing.T) {
	for lang, want := range map[string]string{"en": "UTC", "uk": "Europe/Kyiv", "pl": "Europe/Warsaw"} {
		if got := catalog(t, lang).Zone().String(); got != want {
			t.Errorf("%s: Zone = %s, want %s", lang, got, want)
		}
	}
}

func TestEventNameIsTheLanguagesForAKnownType(t *testing.T) {
	tests := []struct{ lang, typ, want string }{
		{"uk", "unanswered", "чат без відповіді"},
		{"pl", "push_form", "zgłoszenie z formularza"},
		{"en", "new_order", "new order"},
		{"uk", "new_review", "new_review"},
	}
	for _, tc := range tests {
		if got := catalog(t, tc.lang).EventName(tc.typ); got != tc.want {
			t.Errorf("%s: EventName(%s) = %q, want %q", tc.lang, tc.typ, got, tc.want)
		}
	}
}

func TestEarlierStepsAreCountedAsEventsInTheLanguage(t *testing.T) {
	tests := []struct {
		lang string
		n    int64
		want string
	}{
		{"uk", 1, "1 попередня подія"}, {"uk", 3, "3 попередні події"}, {"uk", 5, "5 попередніх подій"},
		{"uk", 21, "21 попередня подія"}, {"uk", 14, "14 попередніх подій"},
		{"pl", 1, "1 wcześniejsze zdarzenie"}, {"pl", 3, "3 wcześniejsze zdarzenia"}, {"pl", 5, "5 wcześniejszych zdarzeń"},
		{"pl", 22, "22 wcześniejsze zdarzenia"}, {"pl", 21, "21 wcześniejszych zdarzeń"},
	}
	for _, tc := range tests {
		if got := catalog(t, tc.lang).Plural(KeyEarlierSteps, tc.n, nil); got != tc.want {
			t.Errorf("%d earlier steps in %s = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}

func TestTextFillsPlaceholdersWithValuesAsGiven(t *testing.T) {
	en := catalog(t, "en")
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"a value holding a placeholder stays as typed",
			en.Text("visitor.from", nil, "who", "{place}", "place", "Kyiv"), "{place} from Kyiv"},
		{"only the catalog's text is escaped",
			en.Text("visitor.from", func(s string) string { return strings.ToUpper(s) }, "who", "Olena", "place", "Kyiv"), "Olena FROM Kyiv"},
		{"a missing value is left empty", en.Text("visitor.from", nil, "who", "Olena"), "Olena from "},
		{"an unknown key shows itself", en.Text("no.such.key", nil), "no.such.key"},
		{"a count fills {n} itself", en.Plural(KeySlackLeftOut, 3, nil), "… 3 more blocks left out: the message is longer than Slack allows."},
		{"a count of one takes the singular", en.Plural(KeySlackLeftOut, 1, nil), "… 1 more block left out: the message is longer than Slack allows."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestOptionsValidateAndCatalog(t *testing.T) {
	tests := []struct {
		name     string
		language string
		wantErr  bool
		wantLang string
	}{
		{"a zero language is English", "", false, "en"},
		{"Ukrainian", "uk", false, "uk"},
		{"Polish", "pl", false, "pl"},
		{"an unknown language is refused, and written in English", "de", true, "en"},
		{"a language is named in lower case", "UK", true, "en"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Language: tc.language}
			err := opts.Validate()
			if (err != nil) != tc.wantErr {
				t.Errorf("Validate = %v, want an error: %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "available: "+strings.Join(Languages(), ", ")) {
				t.Errorf("error %q does not list the languages", err)
			}
			if got := opts.Catalog().Language(); got != tc.wantLang {
				t.Errorf("Catalog is %s, want %s", got, tc.wantLang)
			}
		})
	}
}
