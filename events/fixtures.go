// Package fixtures serves the files of events/ to tests: one API Gateway
// request per Nice Chat event type (apigw-<name>.json) and one SQS event
// per channel (sqs-<channel>.json). The files are the contract shared with
// the local runner and `sam local invoke`, so tests read them rather than
// copies.
//
// It embeds the files, so only tests and the local relay's demo import it
// (TestLambdasDoNotEmbedFixtures keeps the Lambdas free of it). Import it as
//
//	fixtures "github.com/nicechat-relay/nicechat-relay/events"
package fixtures

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

//go:embed *.json
var files embed.FS

// Request is events/apigw-<name>.json, as API Gateway passes it to the
// ingest Lambda. name is an event type ("new_chat") or a vendor example
// ("invalid_new_order").
//
// A missing or undecodable fixture is a broken test, not a condition to
// handle, so it panics (as regexp.MustCompile does).
func Request(name string) events.APIGatewayV2HTTPRequest {
	var req events.APIGatewayV2HTTPRequest
	decode("apigw-"+name+".json", &req)
	return req
}

// Body is the JSON Nice Chat posts for name: the body of Request(name).
func Body(name string) []byte {
	return []byte(Request(name).Body)
}

// Names lists the API Gateway fixtures by name (the argument Request
// takes): the event types first, then the vendor's malformed examples.
func Names() []string {
	files, _ := fs.Glob(files, "apigw-*.json")
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(f, "apigw-"), ".json")
	}
	sort.SliceStable(names, func(i, j int) bool {
		return !strings.HasPrefix(names[i], "invalid_") && strings.HasPrefix(names[j], "invalid_")
	})
	return names
}

// SQS is events/sqs-<channel>.json, the batch Lambda passes a consumer.
// It panics like Request.
func SQS(channel string) events.SQSEvent {
	var ev events.SQSEvent
	decode("sqs-"+channel+".json", &ev)
	return ev
}

func decode(file string, v any) {
	raw, err := files.ReadFile(file)
	if err != nil {
		panic(fmt.Sprintf("fixtures: %v", err))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		panic(fmt.Sprintf("fixtures: decode events/%s: %v", file, err))
	}
}
