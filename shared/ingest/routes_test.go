package ingest

import (
	"os"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/infra/generate"
	"github.com/nicechat-relay/nicechat-relay/shared/channels"
)

// TestTheRouteTableIsTheChannelList keeps routes.go, ingest's copy of what
// routing needs of shared/channels, equal to the list. Ingest does not
// import the list: that would link every channel's code (its SDK clients,
// its renderers) into the ingest Lambda, 2.5 MB and 2 ms of start-up it
// never uses. make generate writes the file.
func TestTheRouteTableIsTheChannelList(t *testing.T) {
	want := generate.Routes(channels.All)
	got, err := os.ReadFile("routes.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("routes.go differs from shared/channels: run %s\n--- want\n%s", generate.Command, want)
	}
}
