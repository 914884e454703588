package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// checkListenAddr refuses a listen address that names no host and port,
// suggesting the address meant: a port alone (RELAY_ADDR=8085) is this
// machine's, 127.0.0.1:8085, as the defaults are; a URL is its host and
// port. net.Listen would take ":8085" (every interface) but say only
// "missing port in address" of "8085".
func checkListenAddr(name, addr string) error {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return nil
	}
	msg := fmt.Sprintf("%s %q is not a host and port such as 127.0.0.1:8080", name, addr)
	if s := suggestListenAddr(addr); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return fmt.Errorf("%s", msg)
}

func suggestListenAddr(addr string) string {
	addr = strings.TrimSpace(addr)
	if port, err := strconv.ParseUint(strings.TrimPrefix(addr, ":"), 10, 16); err == nil {
		return net.JoinHostPort("127.0.0.1", strconv.FormatUint(port, 10))
	}
	for _, scheme := range []string{"http://", "https://"} {
		if rest, ok := strings.CutPrefix(addr, scheme); ok {
			hostport, _, _ := strings.Cut(rest, "/")
			if _, _, err := net.SplitHostPort(hostport); err == nil {
				return hostport
			}
		}
	}
	return ""
}
