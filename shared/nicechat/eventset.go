package nicechat

import (
	"fmt"
	"slices"
	"strings"
)

// EventSet selects event types. All selects every type, including ones
// the vendor has not documented yet.
type EventSet struct {
	All   bool
	Types []string
}

// Has reports whether the set selects eventType.
func (s EventSet) Has(eventType string) bool { return s.All || slices.Contains(s.Types, eventType) }

// Empty reports whether the set selects nothing (the channel is off).
func (s EventSet) Empty() bool { return !s.All && len(s.Types) == 0 }

// ParseEventSet reads a comma list of event types; "*" selects all, an
// empty list none. A name the vendor does not document is refused as a
// likely typo: undocumented types reach the channels configured with "*".
func ParseEventSet(list string) (EventSet, error) {
	var set EventSet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		switch {
		case item == "":
		case item == "*":
			set.All = true
		case IsKnownType(item):
			if !slices.Contains(set.Types, item) {
				set.Types = append(set.Types, item)
			}
		default:
			return EventSet{}, fmt.Errorf("unknown event type %q (known: %s; or * for all)", item, strings.Join(KnownTypes, ", "))
		}
	}
	if set.All {
		set.Types = nil
	}
	return set, nil
}
