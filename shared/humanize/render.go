package humanize

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// The vendor grades chat events by lead temperature.
var leadTemperature = map[string]string{
	nicechat.TypeNewVisitor:   "Cold lead",
	nicechat.TypeNewChat:      "Warm lead",
	nicechat.TypeFirstMessage: "Hot lead",
	nicechat.TypeUnanswered:   "Angry lead",
}

const (
	// maxFormDepth bounds the nesting of "flat" groups followed.
	maxFormDepth = 8
	// maxGenericFields bounds what an unknown event type shows.
	maxGenericFields = 30
)

type renderer struct {
	opts Options
	m    Message
}

// field adds a line, leaving it out when there is nothing to show.
func (r *renderer) field(label, value string) {
	if value != "" {
		r.m.Fields = append(r.m.Fields, Field{Label: label, Value: value})
	}
}

func (r *renderer) section(title string, lines []string) {
	if len(lines) > 0 {
		r.m.Sections = append(r.m.Sections, Section{Title: title, Lines: lines})
	}
}

func (r *renderer) time(t nicechat.Time) string {
	if !t.Set || t.Value.IsZero() {
		return ""
	}
	return t.Value.In(r.opts.Location).Format("2006-01-02 15:04 MST")
}

func (r *renderer) link(chatID nicechat.Int) {
	if r.opts.ChatURLTemplate != "" && chatID.Set && chatID.Value > 0 {
		r.m.Link = strings.ReplaceAll(r.opts.ChatURLTemplate, ChatIDPlaceholder, strconv.FormatInt(chatID.Value, 10))
	}
}

func (r *renderer) ip(ip nicechat.String) {
	if r.opts.ShowIP {
		r.field("IP", Line(ip.Value))
	}
}

func (r *renderer) visitor(e *nicechat.Event) {
	v := e.Visitor()
	name := Line(v.ClientName.Value)
	who := name
	if who == "" {
		who = "Visitor #" + strconv.FormatInt(e.DataID, 10)
	}
	r.m.Headline = leadTemperature[e.Type] + ": " + who
	r.field("Client", name)
	r.field("Visits", count(v.VisitCount))
	r.field("Chats", count(v.ChatCount))
	r.field("Purchases", count(v.PurchaseCount))
	r.field("First seen", r.time(v.FirstSeen))
	r.field("Last activity", r.time(v.LastActivity))
}

func (r *renderer) chat(e *nicechat.Event) {
	c := e.Chat()
	name, city, country := Line(c.ClientName.Value), Line(c.City.Value), Line(c.Country.Value)
	who := name
	switch {
	case who != "":
	case c.ClientID.Set:
		who = "Visitor #" + strconv.FormatInt(c.ClientID.Value, 10)
	default:
		who = "A visitor"
	}
	if where := firstOf(city, country); where != "" {
		who += " from " + where
	}
	r.m.Headline = leadTemperature[e.Type] + ": " + who
	r.field("Client", name)
	r.field("Location", join(", ", city, country))
	r.field("Language", Line(firstOf(c.LangFull.Value, c.Lang.Value)))
	r.field("Browser", Line(c.Browser.Value))
	r.field("OS", Line(c.OS.Value))
	r.field("Referrer", Line(c.Referrer.Value))
	r.field("UTM", utm(c.UTM))
	r.field("Chat opened", r.time(c.Opened))
	r.field("Chat closed", r.time(c.Closed))
	r.ip(c.IP)
	r.field("Chat", "#"+strconv.FormatInt(e.DataID, 10))
	r.link(nicechat.Int{Value: e.DataID, Set: true})
}

func (r *renderer) order(e *nicechat.Event) {
	o := e.Order()
	number := Line(o.OrderNum.Value)
	if number == "" || strings.EqualFold(number, "n/a") {
		number = strconv.FormatInt(e.DataID, 10)
	}

	var products []string
	var totals []total
	for _, p := range o.Products {
		title := Line(p.Title.Value)
		if title == "" {
			title = "Untitled product"
		}
		qty := int64(1)
		if p.Qty.Set && p.Qty.Value > 0 {
			qty = p.Qty.Value
			title += " × " + strconv.FormatInt(qty, 10)
		}
		currency := Line(p.Currency.Value)
		if price, ok := amount(p.Price); ok {
			title += " — " + money(price, currency)
			// The vendor does not say whether price is per unit; a
			// quantity only appears on multi-unit lines, so it is taken
			// as the unit price.
			totals = addTotal(totals, currency, price*float64(qty))
		}
		products = append(products, title)
	}
	sum := make([]string, len(totals))
	for i, t := range totals {
		sum[i] = money(t.amount, t.currency)
	}

	r.m.Headline = "New order #" + number
	if len(sum) > 0 {
		r.m.Headline += ": " + strings.Join(sum, " + ")
	}
	r.field("Order", "#"+number)
	r.field("Placed", r.time(o.OrderDate))
	r.field("Total", strings.Join(sum, ", "))
	if o.Qty.Set && o.Qty.Value > 0 {
		r.field("Items", strconv.FormatInt(o.Qty.Value, 10))
	}
	r.field("Agents", agents(o.Agents))
	d := o.Detail
	r.field("Client location", join(", ", Line(d.City.Value), Line(d.Country.Value)))
	r.field("Language", Line(d.LangFull.Value))
	r.field("Browser", Line(d.Browser.Value))
	r.field("OS", Line(d.OS.Value))
	r.ip(d.IP)
	r.section("Products", products)
	r.section("Shipping address", address(o.ShippingAddress))
	r.section("Billing address", address(o.BillingAddress))
	r.link(o.ChatID)
}

func (r *renderer) form(e *nicechat.Event) {
	f := e.Form()
	r.m.Headline = "Form filled"
	if label := Line(f.Label.Value); label != "" {
		r.m.Headline += ": " + label
	}
	r.m.Fields = formFields(r.m.Fields, f.Result, "", 0)
	r.field("Submitted", r.time(f.Created))
	r.link(f.ChatID)
}

// formFields appends each answered field in order; "flat" groups are
// flattened, their label (unless the vendor's "default") prefixing their
// fields' labels.
func formFields(out []Field, fields []nicechat.FormField, prefix string, depth int) []Field {
	if depth > maxFormDepth {
		return out
	}
	for _, f := range fields {
		label := Line(f.Label.Value)
		if len(f.Data) > 0 || f.Type.Value == "flat" {
			group := prefix
			if label != "" && !strings.EqualFold(label, "default") {
				group = join(" / ", prefix, label)
			}
			out = formFields(out, f.Data, group, depth+1)
			continue
		}
		value := Clean(f.Value.Value)
		if value == "" {
			continue // titles and unanswered fields
		}
		if label == "" {
			label = firstOf(Line(f.Type.Value), "Field")
		}
		out = append(out, Field{Label: join(" / ", prefix, label), Value: value})
	}
	return out
}

// generic shows an unknown event type's top-level values, so a new vendor
// event is readable before this package learns it.
func (r *renderer) generic(e *nicechat.Event) {
	r.m.Headline = "Nice Chat event: " + firstOf(Line(e.Type), "unknown")
	var data map[string]json.RawMessage
	_ = json.Unmarshal(e.Data, &data)
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	shown := 0
	for _, k := range keys {
		if shown == maxGenericFields {
			break
		}
		if v := scalar(data[k]); v != "" {
			r.field(label(k), v)
			shown++
		}
	}
	var chatID nicechat.Int
	_ = json.Unmarshal(data["chat_id"], &chatID)
	r.link(chatID)
}

type total struct {
	currency string
	amount   float64
}

// addTotal keeps currencies in the order they first appear.
func addTotal(totals []total, currency string, v float64) []total {
	for i := range totals {
		if totals[i].currency == currency {
			totals[i].amount += v
			return totals
		}
	}
	return append(totals, total{currency: currency, amount: v})
}

// amount rejects what would print as nonsense: NaN, infinities (the lenient
// reader accepts "NaN" strings) and absurd magnitudes.
func amount(f nicechat.Float) (float64, bool) {
	if !f.Set || math.IsNaN(f.Value) || math.Abs(f.Value) >= 1e15 {
		return 0, false
	}
	return f.Value, true
}

func money(v float64, currency string) string {
	return join(" ", strconv.FormatFloat(v, 'f', 2, 64), currency)
}

func count(n nicechat.Int) string {
	if !n.Set || n.Value < 0 {
		return ""
	}
	return strconv.FormatInt(n.Value, 10)
}

func agents(list []nicechat.Agent) string {
	var names []string
	for _, a := range list {
		name := join(" ", Line(a.FirstName.Value), Line(a.LastName.Value))
		if email := Line(a.Email.Value); email != "" {
			name = join(" ", name, "<"+email+">")
		}
		if name != "" {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// utm lists the campaign tags in key order, so the rendering is stable.
func utm(tags map[string]nicechat.String) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if v := Line(tags[k].Value); v != "" && Line(k) != "" {
			parts = append(parts, Line(k)+"="+v)
		}
	}
	return strings.Join(parts, ", ")
}

// address lists an address object's text and number values by key; the
// vendor leaves its shape undocumented.
func address(a map[string]json.RawMessage) []string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if v := scalar(a[k]); v != "" {
			lines = append(lines, label(k)+": "+v)
		}
	}
	return lines
}

// scalar is a JSON string, number or boolean as one line of text; any
// other shape is "".
func scalar(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return Line(s)
	case '{', '[', 'n':
		return ""
	default:
		return Line(string(raw))
	}
}

// label turns a JSON key such as "first_name" into "First name".
func label(key string) string {
	s := Line(strings.ReplaceAll(key, "_", " "))
	if s == "" {
		return "Value"
	}
	first, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(first)) + s[size:]
}

// join joins the non-empty parts with sep.
func join(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// firstOf returns the first non-blank value.
func firstOf(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
