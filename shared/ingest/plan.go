package ingest

import (
	"encoding/json"
	"log/slog"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/nicechat-relay/nicechat-relay/shared/message"
)

// plan is what ingest does with the callbacks of one event type: the
// routes that take it and all about them that does not depend on the
// body, worked out once at start.
type plan struct {
	event        string // empty in the plan of the types no route names
	routes       []planRoute
	channels     []string // the routes' names, for the receipt and the log
	channelsJSON string
	// formats are the attribute sets the routes need: the routes of one
	// format (none, tech, human) share one attribute map.
	formats     []message.Format
	formatAttrs []sqstypes.MessageAttributeValue
	eventAttr   sqstypes.MessageAttributeValue // when event is set
	queuedLog   *slog.Logger                   // with the "callback queued" line's constant attributes
	pool        sync.Pool                      // of *batch
}

type planRoute struct {
	name     string
	queueURL *string
	set      int // index in formats
}

// newPlan works out the plan of eventType, or with "" of any type no
// route names (which only the routes configured with * take).
func newPlan(routes []Route, eventType string, log *slog.Logger) *plan {
	p := &plan{event: eventType, channels: []string{}}
	for _, r := range routes {
		if eventType == "" && !r.Events.All || eventType != "" && !r.Events.Has(eventType) {
			continue
		}
		set := slices.Index(p.formats, r.Format)
		if set < 0 {
			set = len(p.formats)
			p.formats = append(p.formats, r.Format)
			p.formatAttrs = append(p.formatAttrs, attrOf(aws.String(string(r.Format))))
		}
		p.routes = append(p.routes, planRoute{name: r.Name(), queueURL: aws.String(r.QueueURL), set: set})
		p.channels = append(p.channels, r.Name())
	}
	b, _ := json.Marshal(p.channels)
	p.channelsJSON = string(b)
	p.queuedLog = log.With("channel", "ingest", "status", 202, "channels", p.channels)
	if eventType != "" {
		p.eventAttr = attrOf(aws.String(eventType))
	}
	return p
}

// callbackValues are what one callback's inputs point to.
type callbackValues struct {
	body, id, event, receivedAt string
}

// batch is one callback's SendMessage inputs, one per route, with the
// attributes message.Message.Attributes renders. The routes of a format
// share one attribute map, and every pointer in the inputs and the maps
// points to the batch's own values: a batch is built once, kept in its
// plan's pool, and a callback only sets its values. Every value is of
// characters SQS carries (the type passed Parse's rule, the id is base32,
// the time RFC 3339), so none needs message.SQSSafe.
type batch struct {
	values callbackValues
	in     []sqs.SendMessageInput
	errs   []error
}

func (p *plan) newBatch() *batch {
	b := &batch{in: make([]sqs.SendMessageInput, len(p.routes)), errs: make([]error, len(p.routes))}
	eventAttr := p.eventAttr
	if p.event == "" {
		eventAttr = attrOf(&b.values.event)
	}
	sets := make([]map[string]sqstypes.MessageAttributeValue, len(p.formats))
	for i, f := range p.formats {
		sets[i] = map[string]sqstypes.MessageAttributeValue{
			message.AttrEvent:      eventAttr,
			message.AttrEventID:    attrOf(&b.values.id),
			message.AttrReceivedAt: attrOf(&b.values.receivedAt),
		}
		if f != "" {
			sets[i][message.AttrFormat] = p.formatAttrs[i]
		}
	}
	for i, r := range p.routes {
		b.in[i] = sqs.SendMessageInput{QueueUrl: r.queueURL, MessageBody: &b.values.body, MessageAttributes: sets[r.set]}
	}
	return b
}

// batch returns a batch of the plan holding one callback's values.
func (p *plan) batch(v callbackValues) *batch {
	b, _ := p.pool.Get().(*batch)
	if b == nil {
		b = p.newBatch()
	}
	b.values = v
	return b
}

// release returns a batch to the pool once every send of its callback
// has returned: a Sender keeps nothing of an input after that.
func (p *plan) release(b *batch) {
	b.values = callbackValues{} // keeps no body alive
	clear(b.errs)
	p.pool.Put(b)
}

// stringDataType is every attribute's data type; the SDK only reads it.
var stringDataType = "String"

func attrOf(v *string) sqstypes.MessageAttributeValue {
	return sqstypes.MessageAttributeValue{DataType: &stringDataType, StringValue: v}
}
