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

	"golang.org/x/text/language"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
)

// keyHeadlinePrefix + a visitor's or a chat's event type is its headline,
// with {who}: English grades the leads by temperature (cold, warm, hot,
// angry), as the vendor does; other languages say what happened.
const keyHeadlinePrefix = "headline."

// Values the vendor fills in for what it does not know. They are its
// words, not the visitor's, so a message says them in its own language.
const (
	// vendorGuest is the name of a visitor who has given none: the
	// message names them as it names any nameless visitor.
	vendorGuest = "Guest"
	// vendorDirect is the referrer of a visit that had none (an address
	// typed in, a bookmark).
	vendorDirect = "(direct)"
)

const (
	// maxFormDepth bounds the nesting of "flat" groups followed.
	maxFormDepth = 8
	// maxGenericFields bounds what an unknown event type shows.
	maxGenericFields = 30
	// maxLanguageTag bounds the browser language tags looked up by name.
	maxLanguageTag = 35
)

type renderer struct {
	opts Options
	cat  *Catalog
	m    Message
}

// text is the catalog's text for key, vars filled in.
func (r *renderer) text(key string, vars ...string) string {
	return r.cat.Text(key, nil, vars...)
}

// field adds the line labelled by the catalog's text for key, leaving it
// out when there is nothing to show.
func (r *renderer) field(key, value string) {
	if value != "" {
		r.m.Fields = append(r.m.Fields, Field{Label: r.text(key), Value: value})
	}
}

func (r *renderer) section(key string, lines []string) {
	if len(lines) > 0 {
		r.m.Sections = append(r.m.Sections, Section{Title: r.text(key), Lines: lines})
	}
}

// number is an identifier such as an order's or a chat's as the language
// writes it: "#23", "№ 23", "nr 23".
func (r *renderer) number(id string) string {
	return r.text(keyNumber, "n", id)
}

func (r *renderer) time(t nicechat.Time) string {
	if !t.Set || t.Value.IsZero() {
		return ""
	}
	return r.cat.Time(t.Value.In(r.opts.Location))
}

// count is a count of things, grouped as the language groups digits.
func (r *renderer) count(n nicechat.Int) string {
	if !n.Set || n.Value < 0 {
		return ""
	}
	return r.cat.Number(n.Value)
}

// money is an amount as the language writes it, then the currency as
// the shop sent it.
func (r *renderer) money(v float64, currency string) string {
	return join(" ", r.cat.Amount(v), currency)
}

func (r *renderer) link(chatID nicechat.Int) {
	if r.opts.ChatURLTemplate != "" && chatID.Set && chatID.Value > 0 {
		r.m.Link = strings.ReplaceAll(r.opts.ChatURLTemplate, ChatIDPlaceholder, strconv.FormatInt(chatID.Value, 10))
	}
}

func (r *renderer) ip(ip nicechat.String) {
	if r.opts.ShowIP {
		r.field("field.ip", Line(ip.Value))
	}
}

// visitorName is a visitor's name, "" when they have given none.
func visitorName(s nicechat.String) string {
	name := Line(s.Value)
	if strings.EqualFold(name, vendorGuest) {
		return ""
	}
	return name
}

// referrer is where the visit came from; a visit from nowhere says so in
// the message's language.
func (r *renderer) referrer(s nicechat.String) string {
	ref := Line(s.Value)
	if strings.EqualFold(ref, vendorDirect) {
		return r.text("referrer.direct")
	}
	return ref
}

// language is the visitor's browser language by its name in the message's
// language ("uk-UA": "українська"); a language the catalogs do not name,
// or a value that is not a language tag, is shown as sent.
func (r *renderer) language(values ...string) string {
	v := Line(firstOf(values...))
	// An Accept-Language header's first language: "uk-UA,uk;q=0.9".
	tag, _, _ := strings.Cut(v, ",")
	tag, _, _ = strings.Cut(tag, ";")
	// A browser's tag is short ("uk", "zh-Hant-TW"); a longer value is
	// not one, and the parser is not given it.
	if tag = strings.TrimSpace(tag); len(tag) > maxLanguageTag {
		return v
	}
	if t, err := language.Parse(tag); err == nil {
		if base, _ := t.Base(); r.cat.has(keyLanguagePrefix + base.String()) {
			return r.text(keyLanguagePrefix + base.String())
		}
	}
	return v
}

func (r *renderer) visitor(e *nicechat.Event) {
	v := e.Visitor()
	name := visitorName(v.ClientName)
	who := name
	if who == "" {
		who = r.text("visitor.numbered", "number", r.number(strconv.FormatInt(e.DataID, 10)))
	}
	r.m.Headline = r.text(keyHeadlinePrefix+e.Type, "who", who)
	r.field("field.client", name)
	r.field("field.visits", r.count(v.VisitCount))
	r.field("field.chats", r.count(v.ChatCount))
	r.field("field.purchases", r.count(v.PurchaseCount))
	r.field("field.first_seen", r.time(v.FirstSeen))
	r.field("field.last_activity", r.time(v.LastActivity))
}

func (r *renderer) chat(e *nicechat.Event) {
	c := e.Chat()
	name, city, country := visitorName(c.ClientName), Line(c.City.Value), Line(c.Country.Value)
	who := name
	switch {
	case who != "":
	case c.ClientID.Set:
		who = r.text("visitor.numbered", "number", r.number(strconv.FormatInt(c.ClientID.Value, 10)))
	default:
		who = r.text("visitor.anonymous")
	}
	if where := firstOf(city, country); where != "" {
		who = r.text("visitor.from", "who", who, "place", where)
	}
	r.m.Headline = r.text(keyHeadlinePrefix+e.Type, "who", who)
	r.field("field.client", name)
	r.field("field.location", join(", ", city, country))
	r.field("field.language", r.language(c.LangFull.Value, c.Lang.Value))
	r.field("field.browser", Line(c.Browser.Value))
	r.field("field.os", Line(c.OS.Value))
	r.field("field.referrer", r.referrer(c.Referrer))
	r.field("field.utm", utm(c.UTM))
	r.field("field.chat_opened", r.time(c.Opened))
	r.field("field.chat_closed", r.time(c.Closed))
	r.ip(c.IP)
	r.field("field.chat", r.number(strconv.FormatInt(e.DataID, 10)))
	r.link(nicechat.Int{Value: e.DataID, Set: true})
}

func (r *renderer) order(e *nicechat.Event) {
	o := e.Order()
	number := Line(o.OrderNum.Value)
	if number == "" || strings.EqualFold(number, "n/a") {
		number = strconv.FormatInt(e.DataID, 10)
	}

	products, sum := r.products(o)

	r.m.Headline = r.text("order.headline", "number", r.number(number))
	if len(sum) > 0 {
		r.m.Headline += ": " + strings.Join(sum, " + ")
	}
	r.field("field.order", r.number(number))
	r.field("field.placed", r.time(o.OrderDate))
	r.field("field.total", strings.Join(sum, ", "))
	if o.Qty.Set && o.Qty.Value > 0 {
		r.field("field.items", r.cat.Plural("count.items", o.Qty.Value, nil))
	}
	r.field("field.agents", agents(o.Agents))
	d := o.Detail
	r.field("field.client_location", join(", ", Line(d.City.Value), Line(d.Country.Value)))
	r.field("field.language", r.language(d.LangFull.Value))
	r.field("field.browser", Line(d.Browser.Value))
	r.field("field.os", Line(d.OS.Value))
	r.ip(d.IP)
	r.section("section.products", products)
	r.section("section.shipping_address", r.address(o.ShippingAddress))
	r.section("section.billing_address", r.address(o.BillingAddress))
	r.link(o.ChatID)
}

// products are an order's product lines and its totals, one per
// currency.
func (r *renderer) products(o nicechat.Order) (products, sum []string) {
	var totals []total
	for _, p := range o.Products {
		title := Line(p.Title.Value)
		if title == "" {
			title = r.text("product.untitled")
		}
		qty := int64(1)
		if p.Qty.Set && p.Qty.Value > 0 {
			qty = p.Qty.Value
			title += " × " + r.cat.Number(qty)
		}
		currency := Line(p.Currency.Value)
		if price, ok := amount(p.Price); ok {
			title += " — " + r.money(price, currency)
			// The vendor does not say whether price is per unit; a
			// quantity only appears on multi-unit lines, so it is taken
			// as the unit price.
			totals = addTotal(totals, currency, price*float64(qty))
		}
		products = append(products, title)
	}
	sum = make([]string, len(totals))
	for i, t := range totals {
		sum[i] = r.money(t.amount, t.currency)
	}

	return products, sum
}

func (r *renderer) form(e *nicechat.Event) {
	f := e.Form()
	r.m.Headline = r.text("form.headline")
	if label := Line(f.Label.Value); label != "" {
		r.m.Headline = r.text("form.headline_labelled", "label", label)
	}
	r.m.Fields = r.formFields(r.m.Fields, f.Result, "", 0)
	r.field("field.submitted", r.time(f.Created))
	r.link(f.ChatID)
}

// formFields appends each answered field in order; "flat" groups are
// flattened, their label (unless the vendor's "default") prefixing their
// fields' labels.
func (r *renderer) formFields(out []Field, fields []nicechat.FormField, prefix string, depth int) []Field {
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
			out = r.formFields(out, f.Data, group, depth+1)
			continue
		}
		value := Clean(f.Value.Value)
		if value == "" {
			continue // titles and unanswered fields
		}
		if label == "" {
			label = firstOf(Line(f.Type.Value), r.text("field.unnamed"))
		}
		out = append(out, Field{Label: join(" / ", prefix, label), Value: value})
	}
	return out
}

// generic shows an unknown event type's top-level values, so a new vendor
// event is readable before this package learns it.
func (r *renderer) generic(e *nicechat.Event) {
	r.m.Headline = r.text("event.headline", "type", firstOf(Line(e.Type), r.text("event.unknown_type")))
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
			// The label is the vendor's key, not a catalog's text.
			r.m.Fields = append(r.m.Fields, Field{Label: r.label(k), Value: v})
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
func (r *renderer) address(a map[string]json.RawMessage) []string {
	var lines []string
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if v := scalar(a[k]); v != "" {
			lines = append(lines, r.label(k)+": "+v)
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

// label turns a JSON key such as "first_name" into "First name": the
// vendor's word, shown as it is in every language.
func (r *renderer) label(key string) string {
	s := Line(strings.ReplaceAll(key, "_", " "))
	if s == "" {
		return r.text("field.value")
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
