package humanize

import (
	"archive/zip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadZoneSuggestsTheZoneAMistypedNameMeans(t *testing.T) {
	tests := []struct {
		name    string
		suggest string // "" for no suggestion
	}{
		{"Kyiv", "Europe/Kyiv"},
		{"kyiv", "Europe/Kyiv"},
		{"KYIV", "Europe/Kyiv"},
		{"Kiev", "Europe/Kyiv"},
		{"europe/kyiv", "Europe/Kyiv"},
		{"Warsaw", "Europe/Warsaw"},
		{"new york", "America/New_York"},
		{"new_york", "America/New_York"},
		{"buenos aires", "America/Buenos_Aires"}, // tzdata's link to America/Argentina/Buenos_Aires
		{"dar es salaam", "Africa/Dar_es_Salaam"},
		{"port-au-prince", "America/Port-au-Prince"},
		{"utc", "UTC"},
		{"gmt+3", "Etc/GMT+3"},
		{"Mars/Olympus", ""},
		{"EEST", ""},
		{"Київ", ""},
		{"../../etc/passwd", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadZone(tc.name)
			if err == nil {
				t.Fatal("loaded")
			}
			msg := err.Error()
			if !strings.Contains(msg, EnvTimezone) || !strings.Contains(msg, "IANA") {
				t.Errorf("error %q does not name %s and say what it wants", msg, EnvTimezone)
			}
			if hint := "did you mean " + tc.suggest + "?"; tc.suggest != "" && !strings.HasSuffix(msg, hint) {
				t.Errorf("error %q does not end %q", msg, hint)
			}
			if tc.suggest == "" && strings.Contains(msg, "did you mean") {
				t.Errorf("error %q suggests a zone", msg)
			}
		})
	}
}

func TestLoadZoneLoadsAZoneUnderItsCurrentName(t *testing.T) {
	for name, want := range map[string]string{"Europe/Kyiv": "Europe/Kyiv", "Europe/Kiev": "Europe/Kyiv", "UTC": "UTC", "America/New_York": "America/New_York", "Poland": "Europe/Warsaw"} {
		loc, err := LoadZone(name)
		if err != nil || loc.String() != want {
			t.Errorf("LoadZone(%q) = %v, %v; want %s", name, loc, err, want)
		}
	}
	for _, name := range []string{"", "Local"} {
		if _, err := LoadZone(name); err == nil {
			t.Errorf("LoadZone(%q) loaded", name)
		}
	}
}

// TestSuggestZoneFindsEveryZoneByItsLastElement holds SuggestZone, which
// guesses a name's spelling in tzdata's areas, to every zone Go's own
// copy of tzdata has: each is found from its last element in lower case,
// with spaces for underscores, and from its whole name in lower case.
func TestSuggestZoneFindsEveryZoneByItsLastElement(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	zr, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	found := 0
	for _, f := range zr.File {
		name := f.Name
		if strings.HasSuffix(name, "/") {
			continue
		}
		found++
		want := name
		if now, ok := renamedZones[name]; ok {
			want = now
		}
		last := name[strings.LastIndexByte(name, '/')+1:]
		typed := strings.ToLower(strings.ReplaceAll(last, "_", " "))
		got := SuggestZone(typed)
		// Several zones may share a last element (US/Pacific,
		// Canada/Pacific): one of them will do.
		gotLast := got[strings.LastIndexByte(got, '/')+1:]
		wantLast := want[strings.LastIndexByte(want, '/')+1:]
		if !strings.EqualFold(gotLast, wantLast) {
			t.Errorf("SuggestZone(%q) = %q, want a zone ending %s", typed, got, wantLast)
		}
		if got := SuggestZone(strings.ToLower(name)); got != want {
			t.Errorf("SuggestZone(%q) = %q, want %s", strings.ToLower(name), got, want)
		}
	}
	if found < 300 {
		t.Fatalf("only %d zones in Go's tzdata", found)
	}
}

// DefaultZone reads a catalog's format.zone without parsing the catalog,
// for a function's start; it is the zone the parsed catalog holds.
func TestDefaultZoneIsTheParsedCatalogsZone(t *testing.T) {
	for _, lang := range append(Languages(), "") {
		t.Run(lang, func(t *testing.T) {
			got, err := DefaultZone(lang)
			if err != nil {
				t.Fatal(err)
			}
			cat, err := CatalogFor(lang)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != cat.Zone().String() {
				t.Errorf("DefaultZone(%q) = %s, the catalog's zone is %s", lang, got, cat.Zone())
			}
		})
	}
	if _, err := DefaultZone("xx"); err == nil || !strings.Contains(err.Error(), "available") {
		t.Errorf("DefaultZone of a language without a catalog = %v, want the error listing those available", err)
	}
}
