package webhook

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// MaxEndpoints is how many enabled endpoints a merchant may have: every
// event is sent to each, so the number bounds an event's fan-out.
const MaxEndpoints = 16

// maxURL bounds an endpoint's URL (browsers and proxies agree on 2 KB).
const maxURL = 2048

// CreateEndpoint registers url to receive the merchant's events of the
// given types (or AllTypes alone). Outside Dev the URL must be https to a
// public address; a host name must resolve only to public addresses (the
// relay checks the address again when it connects, in case the name's
// addresses change). With Dev, http and https to loopback pass too.
// Refusals are CodeInvalidRequest.
func (s *Service) CreateEndpoint(ctx context.Context, merchantID, url string, events []string) (Endpoint, error) {
	events, err := checkEvents(events)
	if err != nil {
		return Endpoint{}, err
	}
	url = strings.TrimSpace(url)
	if err := s.checkURL(ctx, url); err != nil {
		return Endpoint{}, err
	}
	have, err := s.ListEndpoints(ctx, merchantID)
	if err != nil {
		return Endpoint{}, err
	}
	if len(have) >= MaxEndpoints {
		return Endpoint{}, wallet.Errorf(wallet.CodeInvalidRequest, "a merchant may have at most %d webhook endpoints", MaxEndpoints)
	}
	e := Endpoint{ID: "we_" + randomID(), MerchantID: merchantID, URL: url, Events: events, CreatedAt: s.now().UTC()}
	if err := s.Store.CreateWebhookEndpoint(ctx, e); err != nil {
		return Endpoint{}, err
	}
	return e, nil
}

// ListEndpoints lists the merchant's enabled endpoints, oldest first.
func (s *Service) ListEndpoints(ctx context.Context, merchantID string) ([]Endpoint, error) {
	all, err := s.Store.WebhookEndpoints(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(e Endpoint) bool { return e.Disabled }), nil
}

// Endpoint returns one of the merchant's endpoints, deleted ones too (their
// log stays readable); CodeNotFound for another merchant's.
func (s *Service) Endpoint(ctx context.Context, merchantID, id string) (Endpoint, error) {
	e, err := s.Store.WebhookEndpoint(ctx, id)
	if err == nil && e.MerchantID != merchantID {
		err = wallet.Errorf(wallet.CodeNotFound, "webhook endpoint not found")
	}
	return e, err
}

// DeleteEndpoint disables the merchant's endpoint: it gets no new events,
// and its pending deliveries fail when they come due. Its row and log stay.
// Deleting it again is no error; CodeNotFound if the merchant has no such
// endpoint.
func (s *Service) DeleteEndpoint(ctx context.Context, merchantID, id string) error {
	return s.Store.DisableWebhookEndpoint(ctx, merchantID, id)
}

// checkEvents returns the event types of a new endpoint, or why they do not
// do: none, unknown ones, one twice, or AllTypes beside others.
func checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, wallet.Errorf(wallet.CodeInvalidRequest, "events must list at least one event type")
	}
	for i, e := range events {
		switch {
		case e == AllTypes && len(events) > 1:
			return nil, wallet.Errorf(wallet.CodeInvalidRequest, `"*" subscribes to every event type and must be alone`)
		case e != AllTypes && !KnownType(e):
			return nil, wallet.Errorf(wallet.CodeInvalidRequest, "unknown event type %q", e)
		case slices.Contains(events[:i], e):
			return nil, wallet.Errorf(wallet.CodeInvalidRequest, "event type %q is listed twice", e)
		}
	}
	return slices.Clone(events), nil
}

// checkURL refuses an endpoint URL that is not https to a public address
// (or, with Dev, http(s) to loopback). Webhooks are requests the server
// makes on a merchant's word; without this a merchant could make it call
// the operator's own network (server-side request forgery).
func (s *Service) checkURL(ctx context.Context, raw string) error {
	bad := func(format string, args ...any) error {
		return wallet.Errorf(wallet.CodeInvalidRequest, "url "+format, args...)
	}
	if len(raw) > maxURL {
		return bad("must be at most %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return bad("must be an absolute https URL")
	}
	if u.User != nil {
		return bad("must not carry a user name or password")
	}
	if u.Fragment != "" {
		return bad("must not have a #fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad("has an invalid port")
		}
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return bad("must name a host")
	}
	ip, ipErr := netip.ParseAddr(host)
	loopback := host == "localhost" || strings.HasSuffix(host, ".localhost") || (ipErr == nil && ip.Unmap().IsLoopback())
	switch u.Scheme {
	case "https":
	case "http":
		if !s.Dev || !loopback {
			return bad("must use https")
		}
	default:
		return bad("must use https")
	}
	switch {
	case s.Dev && loopback:
		return nil
	case loopback:
		return bad("must point to a public address, not loopback")
	case ipErr == nil:
		if !publicAddr(ip) {
			return bad("must point to a public address")
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := s.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return bad("host %q does not resolve", host)
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return bad("host %q resolves to %s, which is not a public address", host, a)
		}
	}
	return nil
}

// nonPublic are ranges outside the public internet that netip's predicates
// (loopback, private, link-local, multicast, unspecified) leave out.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT; Alibaba Cloud's metadata service is 100.100.100.200
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001::/32"),       // Teredo tunnels: the IPv4 end is hidden in the address
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated): ::10.0.0.1
}

// Prefixes whose IPv6 addresses carry an IPv4 address, which a gateway
// would reach: the IPv4 address decides.
var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96") // the IPv4 address is the last 4 bytes
	sixTo4 = netip.MustParsePrefix("2002::/16")    // bytes 2-5
)

// publicAddr reports whether a is an address on the public internet.
func publicAddr(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() || a.IsMulticast() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixTo4.Contains(a):
		return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return true
}

// allowedAddr reports whether the relay may connect to a: a public address,
// or with dev a loopback one.
func allowedAddr(a netip.Addr, dev bool) bool {
	return publicAddr(a) || (dev && a.Unmap().IsLoopback())
}
