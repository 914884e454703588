package nicechat

import (
	"encoding/json"
	"time"
)

// Visitor is the data of new_visitor (a cold lead).
type Visitor struct {
	ID                  Int    `json:"id"`
	ClientName          String `json:"client_name"`
	VisitCount          Int    `json:"visit_count"`
	ChatCount           Int    `json:"chat_count"`
	PurchaseCount       Int    `json:"purchase_count"`
	ProductViewCount    Int    `json:"product_view_count"`
	UnacceptedChatCount Int    `json:"unaccepted_chat_count"`
	VoidChatCount       Int    `json:"void_chat_count"`
	FirstSeen           Time   `json:"first_ts"`
	LastActivity        Time   `json:"last_activity_ts"`
}

func (v *Visitor) UnmarshalJSON(b []byte) error { decodeView(b, v, 1); return nil }

// Chat is the data of new_chat, first_message and unanswered (warm, hot
// and angry leads).
type Chat struct {
	ID         Int               `json:"id"`
	ClientID   Int               `json:"client_id"`
	ClientName String            `json:"client_name"`
	IP         String            `json:"sys_ip"`
	Country    String            `json:"geoCountry"`
	City       String            `json:"geoCity"`
	Lat        Float             `json:"geo_lat"`
	Lon        Float             `json:"geo_lon"`
	TimeOffset Int               `json:"sys_time"`
	Lang       String            `json:"sys_lang"`
	LangFull   String            `json:"sys_lang_full"`
	Browser    String            `json:"sys_browser"`
	OS         String            `json:"sys_os"`
	Referrer   String            `json:"page_ref"`
	UTM        map[string]String `json:"page_utm"`
	Opened     Time              `json:"ts_open"`
	Closed     Time              `json:"ts_close"`
}

func (c *Chat) UnmarshalJSON(b []byte) error { decodeView(b, c, 1); return nil }

// Order is the data of new_order (a purchase).
type Order struct {
	ID              Int                        `json:"id"`
	ChatID          Int                        `json:"chat_id"`
	Website         Int                        `json:"website"`
	Client          Int                        `json:"client"`
	Qty             Int                        `json:"qty"`
	OrderNum        String                     `json:"order_num"`
	OrderDate       Time                       `json:"order_date"`
	Products        []Product                  `json:"products"`
	Agents          []Agent                    `json:"agents"`
	Detail          ClientDetail               `json:"product_detail"`
	BillingAddress  map[string]json.RawMessage `json:"billing_address"`
	ShippingAddress map[string]json.RawMessage `json:"shipping_address"`
}

func (o *Order) UnmarshalJSON(b []byte) error { decodeView(b, o, 1); return nil }

// Product is one line of an order.
type Product struct {
	Title      String `json:"title"`
	URL        String `json:"url"`
	Price      Float  `json:"price"`
	Currency   String `json:"currency"`
	Qty        Int    `json:"qty"`
	OriginalID String `json:"original_id"`
	ImageURL   String `json:"image_url"`
}

func (p *Product) UnmarshalJSON(b []byte) error { decodeView(b, p, 1); return nil }

// Agent is a shop operator assigned to an order.
type Agent struct {
	FirstName String `json:"first_name"`
	LastName  String `json:"last_name"`
	Email     String `json:"email"`
}

func (a *Agent) UnmarshalJSON(b []byte) error { decodeView(b, a, 1); return nil }

// ClientDetail is the buyer's environment attached to an order.
type ClientDetail struct {
	IP         String `json:"sysIp"`
	Country    String `json:"geoCountry"`
	City       String `json:"geoCity"`
	Browser    String `json:"sysBrowser"`
	LangFull   String `json:"sysLangFull"`
	OS         String `json:"sysOs"`
	TimeOffset Int    `json:"sysTime"`
}

func (d *ClientDetail) UnmarshalJSON(b []byte) error { decodeView(b, d, 1); return nil }

// Form is the data of push_form (a filled form).
type Form struct {
	ID      Int         `json:"id"`
	FormID  Int         `json:"form_id"`
	Website Int         `json:"website"`
	Client  Int         `json:"client"`
	ChatID  Int         `json:"chat_id"`
	Label   String      `json:"label"`
	Created Time        `json:"created"`
	Result  []FormField `json:"result"`
}

func (f *Form) UnmarshalJSON(b []byte) error { decodeView(b, f, 1); return nil }

// FormField is one entry of a form result; a "flat" entry groups others in Data.
type FormField struct {
	Type  String      `json:"type"`
	Label String      `json:"label"`
	Value String      `json:"value"`
	Data  []FormField `json:"data"`
}

func (f *FormField) UnmarshalJSON(b []byte) error { decodeView(b, f, 1); return nil }

// dataDepth is the level of data in a body.
const dataDepth = 2

// Visitor reads the data as a new_visitor's. Like the other views it never
// fails: absent or odd-typed fields are simply unset, and so is what nests
// deeper than MaxDepth. A view takes one pass over the data.
func (e *Event) Visitor() Visitor { var v Visitor; decodeView(e.Data, &v, dataDepth); return v }

// Chat reads the data as a new_chat's, first_message's or unanswered's.
func (e *Event) Chat() Chat { var c Chat; decodeView(e.Data, &c, dataDepth); return c }

// Order reads the data as a new_order's.
func (e *Event) Order() Order { var o Order; decodeView(e.Data, &o, dataDepth); return o }

// Form reads the data as a push_form's.
func (e *Event) Form() Form { var f Form; decodeView(e.Data, &f, dataDepth); return f }

// VisitorID is the visitor the event is about, as Nice Chat numbers
// visitors: a new_visitor's data.id, a chat event's data.client_id, an
// order's or a form's data.client. ok is false for other event types and
// when the number is missing or not positive.
func (e *Event) VisitorID() (id int64, ok bool) {
	var n Int
	switch e.Type {
	case TypeNewVisitor:
		n = Int{Value: e.DataID, Set: true}
	case TypeNewChat, TypeFirstMessage, TypeUnanswered:
		n = e.Chat().ClientID
	case TypeNewOrder:
		n = e.Order().Client
	case TypePushForm:
		n = e.Form().Client
	}
	return n.Value, n.Set && n.Value > 0
}

// Occurred is when the event happened by its own data: a visitor's last
// activity, a chat's opening, an order's date, a form's creation. ok is
// false when the event does not say.
func (e *Event) Occurred() (t time.Time, ok bool) {
	var at Time
	switch e.Type {
	case TypeNewVisitor:
		at = e.Visitor().LastActivity
	case TypeNewChat, TypeFirstMessage, TypeUnanswered:
		at = e.Chat().Opened
	case TypeNewOrder:
		at = e.Order().OrderDate
	case TypePushForm:
		at = e.Form().Created
	}
	return at.Value, at.Set && !at.Value.IsZero()
}
