package humanize

import (
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// maxStepLabel bounds the shop-supplied part of a step (a form's label),
// so one step never crowds out the others on a summary line.
const maxStepLabel = 40

// maxStepTotal bounds an order's totals in its step: one per currency,
// each named as the shop sent it.
const maxStepTotal = 2 * maxStepLabel

// Step is the event as one step in its lead's story, a few words in
// opts' language for a summary line such as "new chat → first message →
// unanswered → order 2 648.99 PLN". Like Render it never fails; the words
// are plain text, to be escaped by the channel that shows them.
func Step(e *nicechat.Event, opts Options) string {
	r := renderer{opts: opts, cat: opts.Catalog()}
	var s string
	switch e.Type {
	case nicechat.TypeNewVisitor, nicechat.TypeNewChat, nicechat.TypeFirstMessage, nicechat.TypeUnanswered:
		s = r.text("step." + e.Type)
	case nicechat.TypeNewOrder:
		_, sum := r.products(e.Order())
		s = r.text("step.new_order", "total", Truncate(strings.Join(sum, " + "), maxStepTotal))
	case nicechat.TypePushForm:
		s = r.cat.EventName(e.Type) // "form «…»" would show empty quotes
		if label := Truncate(Line(e.Form().Label.Value), maxStepLabel); label != "" {
			s = r.text("step.push_form", "label", label)
		}
	default:
		s = r.text("step.other", "type", Truncate(e.Type, maxStepLabel))
	}
	return strings.TrimSpace(s)
}
