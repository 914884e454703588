package localaws_test

import (
	"net"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/localaws"
)

func TestFreeAddrIsALoopbackAddressAServerCanListenOn(t *testing.T) {
	addr := localaws.FreeAddr(t)
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("FreeAddr = %q, want 127.0.0.1 and a chosen port", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	l.Close()
}
