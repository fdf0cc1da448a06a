package banksim

import (
	"math/rand/v2"
	"sync"
)

// Behaviour is how the sandbox bank treats one request. The empty
// behaviour is a bank that works.
type Behaviour string

const (
	Normal Behaviour = ""
	// Decline refuses the request: card_declined.
	Decline Behaviour = "decline"
	// Insufficient refuses it: insufficient_funds_at_bank.
	Insufficient Behaviour = "insufficient"
	// Slow stores the request and waits until the caller gives up (or
	// Config.SlowDelay passes) before processing it; the outcome comes by
	// callback and status query.
	Slow Behaviour = "slow"
	// Timeout processes the request at once but withholds the answer until
	// the caller gives up: it times out, and the bank succeeded.
	Timeout Behaviour = "timeout"
	// FailAfterAccept accepts (a charge is authorised, a payout queued),
	// answers pending, and fails after Config.AsyncDelay: processing_error.
	FailAfterAccept Behaviour = "fail_after_accept"
	// DuplicateCallback works, and posts its final callback twice.
	DuplicateCallback Behaviour = "duplicate_callback"
	// OutOfOrder works, and posts its callbacks newest first: the final
	// one, then a stale pending one.
	OutOfOrder Behaviour = "out_of_order"
)

// Misbehaviours lists every behaviour but Normal, the choices of ChaosRate.
var Misbehaviours = []Behaviour{Decline, Insufficient, Slow, Timeout, FailAfterAccept, DuplicateCallback, OutOfOrder}

// ParseBehaviour reads a behaviour's name ("" and "normal" are Normal).
func ParseBehaviour(s string) (Behaviour, bool) {
	if s == "" || s == "normal" {
		return Normal, true
	}
	for _, b := range Misbehaviours {
		if string(b) == s {
			return b, true
		}
	}
	return Normal, false
}

// The test cards of shared/API.md, and one more per misbehaviour (all pass
// the Luhn check). Any other card approves.
const (
	CardApproves          = "4242424242424242"
	CardDeclined          = "4000000000000002"
	CardInsufficient      = "4000000000009995" // opens with no money
	CardTimesOut          = "4000000000000119"
	CardSlow              = "4000000000000010"
	CardFailsAfterAccept  = "4000000000000028"
	CardDuplicateCallback = "4000000000000036"
	CardOutOfOrder        = "4000000000000044"
)

var cardBehaviours = map[string]Behaviour{
	CardDeclined:          Decline,
	CardTimesOut:          Timeout,
	CardSlow:              Slow,
	CardFailsAfterAccept:  FailAfterAccept,
	CardDuplicateCallback: DuplicateCallback,
	CardOutOfOrder:        OutOfOrder,
}

// chooser picks a new request's behaviour: the header's if it names one,
// else the card's, else by chance at the configured rate.
type chooser struct {
	mu     sync.Mutex
	rng    *rand.Rand
	rate   float64
	among  []Behaviour
	header bool
}

func (c *chooser) choose(header, card string) Behaviour {
	if b, ok := ParseBehaviour(header); ok && header != "" && c.header {
		return b
	}
	if b, ok := cardBehaviours[card]; ok {
		return b
	}
	if c.rate <= 0 || len(c.among) == 0 {
		return Normal
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rng.Float64() >= c.rate {
		return Normal
	}
	return c.among[c.rng.IntN(len(c.among))]
}
