// Package webhook tells merchants what happened to their money: signed HTTP
// POSTs (Standard Webhooks, https://www.standardwebhooks.com) to the
// endpoints they register, delivered from an outbox by a relay.
//
// The outbox: Publish stores an event and, in the same database
// transaction, one pending delivery per enabled endpoint of the merchant
// that subscribes to the event's type. The caller derives the event's ID
// from what happened (EventID), so publishing again after a crash stores
// nothing new, and an event stored is never lost: the relay (Run) finds
// its deliveries in the database, not in this process's memory.
//
// The relay leases due deliveries in the database before sending them, so
// several server processes on one PostgreSQL database never send the same
// attempt at once; a process that dies mid-send lets its lease run out and
// another takes the delivery over. A receiver that answers anything but 2xx
// is tried again on the schedule of NextAttempt, for MaxAge after the event
// (or after a Redeliver), so a receiver down for hours loses nothing.
// Delivery is at least once: receivers deduplicate on the webhook-id header,
// which is the event's ID on every attempt.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/ewallet/ewallet/wallet"
)

// The event types a merchant can subscribe to.
const (
	PaymentSucceeded  = "payment.succeeded"
	PaymentAuthorized = "payment.authorized"
	PaymentCanceled   = "payment.canceled"
	PaymentExpired    = "payment.expired"
	RefundSucceeded   = "refund.succeeded"
	PayoutPaid        = "payout.paid"
	PayoutFailed      = "payout.failed"

	// AllTypes, alone in an endpoint's Events, subscribes it to every type,
	// including types added later.
	AllTypes = "*"
)

// Types lists the event types, in the order the documentation shows them.
func Types() []string {
	return []string{PaymentSucceeded, PaymentAuthorized, PaymentCanceled, PaymentExpired, RefundSucceeded, PayoutPaid, PayoutFailed}
}

// KnownType reports whether t is one of Types.
func KnownType(t string) bool {
	for _, k := range Types() {
		if t == k {
			return true
		}
	}
	return false
}

// Endpoint is a URL a merchant receives events at.
type Endpoint struct {
	ID         string // we_…
	MerchantID string
	URL        string
	Events     []string // types it subscribes to, or just AllTypes
	CreatedAt  time.Time
	// Disabled endpoints (deleted by the merchant) get no new deliveries;
	// the relay drops their pending ones. The row stays for the log.
	Disabled bool
}

// Subscribes reports whether e wants events of type t.
func (e Endpoint) Subscribes(t string) bool {
	for _, s := range e.Events {
		if s == t || s == AllTypes {
			return true
		}
	}
	return false
}

// Event is something that happened to a merchant's money, as sent.
type Event struct {
	ID         string // evt_…; see EventID
	MerchantID string
	Type       string // one of Types
	CreatedAt  time.Time
	Data       json.RawMessage // the object (a payment, a refund, a payout), a JSON object
}

// Validate checks what Publish needs of an event. A package that stores
// events itself (see walletsql.Store.PublishWebhookEventTx) calls it first.
func (e Event) Validate() error {
	switch {
	case !strings.HasPrefix(e.ID, "evt_") || len(e.ID) > 64:
		return wallet.Errorf(wallet.CodeInvalidRequest, "event id must be evt_… of at most 64 characters")
	case e.MerchantID == "":
		return wallet.Errorf(wallet.CodeInvalidRequest, "event has no merchant")
	case !KnownType(e.Type):
		return wallet.Errorf(wallet.CodeInvalidRequest, "unknown event type %q", e.Type)
	case e.CreatedAt.IsZero():
		return wallet.Errorf(wallet.CodeInvalidRequest, "event has no time")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(e.Data, &obj); err != nil || obj == nil {
		return wallet.Errorf(wallet.CodeInvalidRequest, "event data must be a JSON object")
	}
	return nil
}

// State is where a delivery is.
type State string

const (
	Pending   State = "pending"   // to be sent (again) at NextAt
	Succeeded State = "succeeded" // the endpoint answered 2xx
	Failed    State = "failed"    // given up: MaxAge passed, or the endpoint was deleted
)

// Delivery is one event on its way to one endpoint: the outbox's row that
// the relay leases, sends and reschedules.
type Delivery struct {
	EventID    string
	EndpointID string
	MerchantID string
	State      State
	// Attempts counts every attempt ever started, including those before a
	// Redeliver; the next one is number Attempts+1. With LeaseUntil it
	// fences a claim: a result is written only if neither changed since.
	Attempts int
	// Failures counts failed attempts since the delivery was (re)queued;
	// it picks the next delay (NextAttempt).
	Failures   int
	NextAt     time.Time // Pending: due then; otherwise zero
	Deadline   time.Time // no attempt is scheduled after it
	LeaseUntil time.Time // a relay is sending it until then; zero when none
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Attempt is one row of the delivery log: one POST of an event to an
// endpoint and how it ended.
type Attempt struct {
	EventID    string
	EndpointID string
	Attempt    int // 1, 2, …; a gap is an attempt whose sender died before writing this row
	At         time.Time
	Status     int    // the HTTP status; 0 when there was no response
	Error      string // why there was no response (truncated); empty otherwise
	Duration   time.Duration
	NextAt     time.Time // when the next attempt is due; zero when none
	State      State     // the delivery's state after this attempt
}

// Page selects a page of a list, newest first.
type Page struct {
	StartingAfter string // the last ID of the previous page; empty for the first
	Limit         int    // 1-100; 0 means 20
}

// Filter selects deliveries or attempts by endpoint, by event, or both.
type Filter struct {
	EndpointID string
	EventID    string
	Limit      int // 1-100; 0 means 20
}

// Resolver looks up a host's addresses (net.DefaultResolver is one); tests
// give a fake so that URL checks need no DNS.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Deps are what a Service is built from.
type Deps struct {
	Store Store
	// HTTP sends the deliveries; nil is DefaultClient(Dev).
	HTTP *http.Client
	// Secret returns the merchant's webhook secret, "whsec_<base64>" (the
	// merchant package keeps it sealed).
	Secret func(ctx context.Context, merchantID string) (string, error)
	// Resolver checks endpoint hosts; nil is net.DefaultResolver.
	Resolver Resolver
	Now      func() time.Time
	Log      *slog.Logger
	// Dev also accepts http:// endpoints on loopback (127.0.0.1, [::1],
	// localhost), for a test suite on one machine.
	Dev bool
}

// Service manages endpoints, publishes events and relays them. It is safe
// for concurrent use, and several processes may run it on one database.
type Service struct {
	Deps
	now func() time.Time
}

// New builds a Service.
func New(d Deps) *Service {
	s := &Service{Deps: d, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.HTTP == nil {
		s.HTTP = DefaultClient(d.Dev)
	}
	if s.Resolver == nil {
		s.Resolver = net.DefaultResolver
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return s
}

// randomID is 24 lower-case base32 characters (120 bits), as the merchant
// package makes its IDs.
func randomID() string {
	b := make([]byte, 15)
	rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// limit is a Page's or Filter's limit with its default and cap.
func limit(n int) (int, error) {
	switch {
	case n == 0:
		return 20, nil
	case n < 0 || n > 100:
		return 0, wallet.Errorf(wallet.CodeInvalidRequest, "limit must be 1-100")
	}
	return n, nil
}
