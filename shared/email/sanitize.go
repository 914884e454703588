package email

import "github.com/nicechat-relay/nicechat-relay/shared/humanize"

// headerText makes s safe for a header such as the subject: one line with
// no control character (CR, LF and NUL included), Unicode line separator or
// bidirectional override, cut to at most max characters with an ellipsis.
// Visitor text passed through it can neither end the header nor start
// another. The human headline has been through humanize.Line already; it
// goes through it again here because the header is where an injection
// would land, and this package keeps that guarantee whatever the renderer
// does.
func headerText(s string, max int) string {
	return humanize.Truncate(humanize.Line(s), max)
}
