package localaws

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// moto's DynamoDB checks a condition and writes the item in two steps
// that its server's threads may interleave: on a busy machine two
// conditional puts of one key both succeeded, each on its first attempt
// (seen in 2 of 150 rounds of 16 concurrent claims; DynamoDB itself makes
// a conditional write atomic). The tests' AWS is therefore moto behind a
// proxy that lets one DynamoDB call through at a time, so that a test of
// the relay's conditions does not depend on a guarantee moto does not
// give. Every other service passes through as it comes (SQS's long polls
// among them).

// dynamoDBTarget is the X-Amz-Target prefix of DynamoDB's JSON protocol.
const dynamoDBTarget = "DynamoDB_"

// serializer is the proxy in front of the moto server.
type serializer struct {
	server *http.Server
	url    string
}

// startSerializer starts the proxy to upstream on a free 127.0.0.1 port.
func startSerializer(upstream string) (*serializer, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	var dynamo sync.Mutex
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("X-Amz-Target"), dynamoDBTarget) {
			dynamo.Lock()
			defer dynamo.Unlock()
		}
		proxy.ServeHTTP(w, r)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &serializer{server: &http.Server{Handler: handler}, url: "http://" + l.Addr().String()}
	go func() { _ = s.server.Serve(l) }()
	return s, nil
}

func (s *serializer) close() { _ = s.server.Close() }
