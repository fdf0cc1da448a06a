package webhook

import (
	"context"
	"time"
)

// Store keeps endpoints, events, deliveries and the attempt log. Errors
// are *wallet.Error with wallet.CodeNotFound for a missing row (and the
// codes named below); anything else is internal. Times come back exactly
// as stored, in UTC.
//
// The method names say "Webhook" because one store type (walletsql.Store)
// implements the Store interfaces of several services at once, and a bare
// Event or Claim would collide with the next service's.
type Store interface {
	// CreateWebhookEndpoint inserts e.
	CreateWebhookEndpoint(ctx context.Context, e Endpoint) error
	// WebhookEndpoint returns one endpoint, enabled or not.
	WebhookEndpoint(ctx context.Context, id string) (Endpoint, error)
	// WebhookEndpoints lists a merchant's endpoints, disabled ones too,
	// oldest first.
	WebhookEndpoints(ctx context.Context, merchantID string) ([]Endpoint, error)
	// DisableWebhookEndpoint disables the merchant's endpoint id (again, if
	// it is disabled already); CodeNotFound if the merchant has no such
	// endpoint.
	DisableWebhookEndpoint(ctx context.Context, merchantID, id string) error

	// PublishWebhookEvent stores e and, in the same transaction, one
	// pending delivery, due at e.CreatedAt and retried until deadline, to
	// each enabled endpoint of e.MerchantID that subscribes to e.Type. If
	// an event with e.ID is stored already it changes nothing and returns
	// false: an event is fanned out once, to the endpoints of that moment.
	PublishWebhookEvent(ctx context.Context, e Event, deadline time.Time) (bool, error)
	// WebhookEvent returns one event.
	WebhookEvent(ctx context.Context, id string) (Event, error)
	// WebhookEvents lists a merchant's events newest first (by CreatedAt,
	// then ID), at most limit, those after the event startingAfter in that
	// order when it is not empty (CodeNotFound if the merchant has no such
	// event: an empty page would read as "no more events").
	WebhookEvents(ctx context.Context, merchantID, startingAfter string, limit int) ([]Event, error)
	// RedeliverWebhookEvent makes the event's delivery to each enabled
	// endpoint that subscribes to its type pending again, due at now, with
	// its failures reset and the new deadline, creating the deliveries that
	// are missing (endpoints added since). It ends any lease, so that a send
	// in flight can no longer write its result over the new attempt. It
	// returns how many deliveries it queued; CodeNotFound if the event is
	// unknown.
	RedeliverWebhookEvent(ctx context.Context, eventID string, now, deadline time.Time) (int, error)

	// ClaimWebhookDeliveries leases up to limit pending deliveries that are
	// due (NextAt <= now) and not leased (LeaseUntil < now), earliest due
	// first: it sets their LeaseUntil to leaseUntil and adds one to their
	// Attempts, atomically, so that no two callers, in this process or in
	// another on the same database, hold one delivery at once.
	ClaimWebhookDeliveries(ctx context.Context, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	// RecordWebhookAttempt appends a to the log and, if d is still leased
	// as it was claimed (its Attempts and LeaseUntil unchanged: the lease
	// neither ran out and was claimed again nor was ended by a redelivery),
	// writes d's State, Failures, NextAt and UpdatedAt and ends the lease,
	// in one transaction. It returns whether the delivery was updated; the
	// attempt is logged either way, since it was made.
	RecordWebhookAttempt(ctx context.Context, d Delivery, a Attempt) (bool, error)
	// WebhookDeliveries lists the deliveries of f's endpoint or event (or
	// both), newest first, at most f.Limit.
	WebhookDeliveries(ctx context.Context, f Filter) ([]Delivery, error)
	// WebhookAttempts lists the attempt log of f's endpoint or event (or
	// both), newest first, at most f.Limit.
	WebhookAttempts(ctx context.Context, f Filter) ([]Attempt, error)
}
