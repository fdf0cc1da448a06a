package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultClient is the HTTP client deliveries use unless Deps.HTTP is set:
// a 10 s timeout per attempt; redirects are not followed (a 3xx is a failed
// attempt, as the spec's senders do, and following one would let a
// receiver point the server at an address CreateEndpoint refused); no
// proxy from the environment; and every connection is refused unless its
// address, as resolved at dial time, is public (or loopback with dev), so
// that a host name that changes its addresses after CreateEndpoint checked
// them (DNS rebinding) still cannot reach the operator's network.
func DefaultClient(dev bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("webhook: dial %s: %w", address, err)
			}
			if !allowedAddr(ap.Addr(), dev) {
				return fmt.Errorf("webhook: %s is not a public address", ap.Addr())
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: 10 * time.Second,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
