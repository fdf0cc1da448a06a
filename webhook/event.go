package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"strings"

	"github.com/ewallet/ewallet/wallet"
)

// EventID derives an event's ID from its type and the ID of what happened
// (a payment, a refund, a ledger transfer), so that publishing again, say
// after a crash between moving the money and publishing, finds the event
// already stored instead of sending a second one. Different (type, source)
// pairs give different IDs.
func EventID(typ, source string) string {
	h := sha256.New()
	// Length-prefixed, so ("a.b", "c") and ("a", "b.c") differ.
	h.Write(binary.AppendUvarint(nil, uint64(len(typ))))
	h.Write([]byte(typ))
	h.Write([]byte(source))
	sum := h.Sum(nil)
	return "evt_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// Publish stores e and queues it, in the same transaction, for every
// enabled endpoint of its merchant that subscribes to its type; the relay
// sends it from there. A zero CreatedAt is now. Publishing an ID that is
// stored already changes nothing and is no error, so a caller that is not
// sure whether it published (a retry, a replay after a crash) publishes
// again. Refusals (see Event.Validate) are CodeInvalidRequest.
func (s *Service) Publish(ctx context.Context, e Event) error {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if err := e.Validate(); err != nil {
		return err
	}
	created, err := s.Store.PublishWebhookEvent(ctx, e, e.CreatedAt.Add(MaxAge))
	if err != nil {
		return err
	}
	s.Log.DebugContext(ctx, "webhook event", "event", e.ID, "type", e.Type, "merchant", e.MerchantID, "new", created)
	return nil
}

// Event returns one of the merchant's events; CodeNotFound for another
// merchant's.
func (s *Service) Event(ctx context.Context, merchantID, id string) (Event, error) {
	e, err := s.Store.WebhookEvent(ctx, id)
	if err == nil && e.MerchantID != merchantID {
		err = wallet.Errorf(wallet.CodeNotFound, "event not found")
	}
	return e, err
}

// ListEvents lists the merchant's events newest first, one page, and
// whether more follow it.
func (s *Service) ListEvents(ctx context.Context, merchantID string, p Page) ([]Event, bool, error) {
	n, err := limit(p.Limit)
	if err != nil {
		return nil, false, err
	}
	es, err := s.Store.WebhookEvents(ctx, merchantID, p.StartingAfter, n+1)
	if err != nil {
		return nil, false, err
	}
	if len(es) > n {
		return es[:n], true, nil
	}
	return es, false, nil
}

// Deliveries lists the deliveries of one of the merchant's endpoints or
// events (or of both: one delivery), newest first, with their state and
// next attempt.
func (s *Service) Deliveries(ctx context.Context, merchantID string, f Filter) ([]Delivery, error) {
	f, err := s.filter(ctx, merchantID, f)
	if err != nil {
		return nil, err
	}
	return s.Store.WebhookDeliveries(ctx, f)
}

// Attempts lists the attempt log of one of the merchant's endpoints or
// events (or both), newest first.
func (s *Service) Attempts(ctx context.Context, merchantID string, f Filter) ([]Attempt, error) {
	f, err := s.filter(ctx, merchantID, f)
	if err != nil {
		return nil, err
	}
	return s.Store.WebhookAttempts(ctx, f)
}

// filter checks that f names an endpoint or event of the merchant, so that
// one merchant never reads another's log.
func (s *Service) filter(ctx context.Context, merchantID string, f Filter) (Filter, error) {
	n, err := limit(f.Limit)
	if err != nil {
		return f, err
	}
	f.Limit = n
	if f.EndpointID == "" && f.EventID == "" {
		return f, wallet.Errorf(wallet.CodeInvalidRequest, "name an endpoint or an event")
	}
	if f.EndpointID != "" {
		if _, err := s.Endpoint(ctx, merchantID, f.EndpointID); err != nil {
			return f, err
		}
	}
	if f.EventID != "" {
		if _, err := s.Event(ctx, merchantID, f.EventID); err != nil {
			return f, err
		}
	}
	return f, nil
}

// Redeliver sends one of the merchant's events again, now, to every
// enabled endpoint that subscribes to its type (whether or not it got it
// before), retrying for MaxAge from now. It returns how many endpoints it
// queued the event for.
func (s *Service) Redeliver(ctx context.Context, merchantID, eventID string) (int, error) {
	if _, err := s.Event(ctx, merchantID, eventID); err != nil {
		return 0, err
	}
	now := s.now().UTC()
	n, err := s.Store.RedeliverWebhookEvent(ctx, eventID, now, now.Add(MaxAge))
	if err != nil {
		return 0, err
	}
	s.Log.InfoContext(ctx, "webhook redelivery", "event", eventID, "merchant", merchantID, "endpoints", n)
	return n, nil
}
