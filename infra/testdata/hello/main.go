// Command hello is the baseline of the cold-start benchmark
// (BenchmarkColdStart in infra): the smallest aws-lambda-go function,
// built with the same flags as the relay's functions, so the benchmark
// can say how much of a function's size and cold start is its own.
//
// It lives under testdata so that `go build ./...` and `go vet ./...`
// leave it out; the benchmark builds it by path.
package main

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, json.RawMessage) (string, error) { return "hello", nil })
}
