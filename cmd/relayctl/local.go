package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nicechat-relay/nicechat-relay/shared/channels"
	"github.com/nicechat-relay/nicechat-relay/shared/localrelay"
)

// relayFromEnvironment is the local relay a command works on when no flag
// says where the relay is: RELAY_URL, else, when discover is set, the
// relay `make run` started on this machine's data directory
// (RELAY_DATA_DIR, else ./var), which keeps its admin URL there; "" when
// neither says.
func relayFromEnvironment(discover bool) string {
	if v := strings.TrimSpace(os.Getenv("RELAY_URL")); v != "" {
		return v
	}
	if !discover {
		return ""
	}
	running, err := localrelay.Find(localrelay.DataDir(os.Getenv))
	if err != nil {
		return ""
	}
	return running.AdminURL
}

// queueVariableSet reports whether a channel's queue URL variable is set
// (WEBHOOK_DLQ_URL, ...): the operator means queues in AWS, and a local
// relay that happens to run is not looked for.
func queueVariableSet() bool {
	for _, spec := range channels.All {
		for _, name := range []string{spec.DLQEnv(), spec.QueueEnv()} {
			if strings.TrimSpace(os.Getenv(name)) != "" {
				return true
			}
		}
	}
	return false
}

// hintLocalRelay says to add --relay when no AWS account could be used and
// a local relay runs on this machine's data directory: the likeliest
// reason for a command that named queues in AWS without an account is a
// user trying `make run`.
func hintLocalRelay(w io.Writer, o options, err error) {
	var noAWS *noAWSError
	if o.relay != "" || o.stack != "" || !errors.As(err, &noAWS) {
		return
	}
	if admin := relayFromEnvironment(true); admin != "" {
		fmt.Fprintf(w, "A local relay is running at %s: add --relay %s\n", admin, admin)
	}
}
