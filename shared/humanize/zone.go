package humanize

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EnvTimezone names the zone of the times in humane messages; unset, the
// zone of HUMANIZE_LANGUAGE's catalog (Catalog.Zone).
const EnvTimezone = "DISPLAY_TIMEZONE"

// renamedZones are the old names of zones the catalogs name under their
// new one: Europe/Kiev is Europe/Kyiv's old spelling, still in tzdata as
// a link, and shows as Kyiv's time.
var renamedZones = map[string]string{
	"Europe/Kiev": "Europe/Kyiv",
	"Poland":      "Europe/Warsaw",
}

// LoadZone is time.LoadLocation for a DISPLAY_TIMEZONE value, under its
// current name (Europe/Kiev loads as Europe/Kyiv). A name that is not a
// zone's is an error that suggests the zone meant when there is one: the
// zone whose last element is the name, whatever its case ("Kyiv",
// "new york", "europe/warsaw").
func LoadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err == nil && name != "" && name != "Local" {
		return renamed(loc), nil
	}
	msg := fmt.Sprintf("%s %q is not an IANA time zone name such as Europe/Kyiv or UTC", EnvTimezone, name)
	if s := SuggestZone(name); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return nil, fmt.Errorf("%s", msg)
}

func renamed(loc *time.Location) *time.Location {
	if now, ok := renamedZones[loc.String()]; ok {
		if l, err := time.LoadLocation(now); err == nil {
			return l
		}
	}
	return loc
}

// zoneAreas are tzdata's areas, most used first: a city's name is looked
// for in each, in this order.
var zoneAreas = []string{
	"Europe", "America", "Asia", "Africa", "Australia", "Pacific", "Atlantic", "Indian",
	"Antarctica", "Arctic", "Etc", "America/Argentina", "America/Indiana", "America/Kentucky",
	"America/North_Dakota", "US", "Canada", "Brazil", "Chile", "Mexico",
}

// irregularZoneNames are the zone names whose case the rule of zoneCase
// does not give.
var irregularZoneNames = map[string]string{
	"dumontdurville": "DumontDUrville",
	"mcmurdo":        "McMurdo",
	"comodrivadavia": "ComodRivadavia",
	"denoronha":      "DeNoronha",
	"easterisland":   "EasterIsland",
	"bajanorte":      "BajaNorte",
	"bajasur":        "BajaSur",
	"gb-eire":        "GB-Eire",
	"knox_in":        "Knox_IN",
}

// SuggestZone is the IANA zone a mistyped DISPLAY_TIMEZONE most likely
// means, under its current name, or "" when none: the zone whose name or
// last element matches name whatever its case and with spaces for
// underscores (Kyiv and kiev: Europe/Kyiv; "new york": America/New_York).
// tzdata lists no names, so the candidates are tried in each area.
func SuggestZone(name string) string {
	name = strings.Join(strings.Fields(name), "_")
	if name == "" || strings.Contains(name, "..") {
		return ""
	}
	elems := strings.Split(strings.Trim(name, "/"), "/")
	last := elems[len(elems)-1]
	var tries []string
	for _, c := range zoneCase(last) {
		if len(elems) > 1 {
			// Europe/…, America/North_Dakota/…, US/…
			area := slices.Clone(elems[:len(elems)-1])
			for i := range area {
				area[i] = titleCase(area[i])
			}
			tries = append(tries, strings.Join(area, "/")+"/"+c, strings.ToUpper(strings.Join(area, "/"))+"/"+c)
		}
		tries = append(tries, c)
		for _, area := range zoneAreas {
			tries = append(tries, area+"/"+c)
		}
	}
	for _, try := range tries {
		if loc, err := time.LoadLocation(try); err == nil && try != "Local" {
			return renamed(loc).String()
		}
	}
	return ""
}

// zoneCase are the spellings tzdata may give a zone's last element:
// each word capitalised, "es", "of" and "au" in lower case (Dar_es_Salaam,
// Isle_of_Man, Port-au-Prince), or all in capitals (UTC, GMT+3, EST5EDT).
func zoneCase(s string) []string {
	if irregular, ok := irregularZoneNames[strings.ToLower(s)]; ok {
		return []string{irregular}
	}
	return []string{titleCase(s), strings.ToUpper(s)}
}

func titleCase(s string) string {
	var b strings.Builder
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '_' && s[i] != '-' {
			continue
		}
		word := strings.ToLower(s[start:i])
		switch {
		case word == "es" || word == "of" || word == "au":
			b.WriteString(word)
		case word != "":
			r, size := utf8.DecodeRuneInString(word)
			b.WriteRune(unicode.ToUpper(r))
			b.WriteString(word[size:])
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
		start = i + 1
	}
	return b.String()
}

// utcOffset names t's zone by its offset from UTC: UTC, UTC+3, UTC-4,
// UTC+5:30.
func utcOffset(t time.Time) string {
	_, offset := t.Zone()
	if offset == 0 {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	s := "UTC" + sign + strconv.Itoa(offset/3600)
	if m := offset % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}
