package banksim

import (
	"log/slog"
	"time"
)

// Config is how the sandbox bank behaves.
type Config struct {
	// Secret is the HMAC key shared with the wallet; never logged.
	Secret []byte
	// Opening is the balance every new card account starts with, in minor
	// units (CardInsufficient starts with none). Default 1,000,000.00.
	Opening int64
	// AsyncDelay is how long an accepted request (every payout, and a
	// charge that fails after accepting) waits for its outcome. Default 1s.
	AsyncDelay time.Duration
	// SlowDelay caps how long Slow and Timeout wait for the caller to give
	// up. Default 30s.
	SlowDelay time.Duration
	// CallbackBackoffMax caps the wait between deliveries of a callback
	// that failed. Default 30s; the first retry is after 50ms.
	CallbackBackoffMax time.Duration
	// ChaosRate is the share of requests (0–1) given a misbehaviour by
	// chance, chosen evenly among Chaos (default: all of Misbehaviours).
	ChaosRate float64
	Chaos     []Behaviour
	// Seed seeds the chance (0: from the clock).
	Seed uint64
	// HeaderBehaviour lets a request name its behaviour in the
	// X-Sim-Behaviour header. Default on; a sandbox, not a bank.
	NoHeaderBehaviour bool
	Log               *slog.Logger
	Now               func() time.Time
}

func (c *Config) defaults() {
	if c.Opening == 0 {
		c.Opening = 100_000_000
	}
	if c.AsyncDelay == 0 {
		c.AsyncDelay = time.Second
	}
	if c.SlowDelay == 0 {
		c.SlowDelay = 30 * time.Second
	}
	if c.CallbackBackoffMax == 0 {
		c.CallbackBackoffMax = 30 * time.Second
	}
	if len(c.Chaos) == 0 {
		c.Chaos = Misbehaviours
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}
