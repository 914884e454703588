// Command ingest is the Lambda behind POST /callback/{token}: it
// authenticates, validates and enqueues Nice Chat callbacks.
package main

import "github.com/nicechat-relay/nicechat-relay/shared/ingest"

func main() { ingest.Main() }
