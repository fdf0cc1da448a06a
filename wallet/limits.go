package wallet

import (
	"context"
	"sync"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Limit is one limit's size and what is left of it, in CNY fen;
// Unlimited (-1) in both for none.
type Limit struct {
	Limit     int64
	Remaining int64
}

// Limits are a user's effective limits now.
type Limits struct {
	PerTransaction Limit
	Daily          Limit
	Yearly         Limit
	Lifetime       Limit
	BalanceCap     Limit
}

// effectiveTier is the tier's defaults with the user's overrides applied.
func (s *Service) effectiveTier(u User) TierLimits {
	t := s.cfg.Tiers[u.KYCTier]
	for name, v := range u.Limits {
		switch name {
		case "per_transaction":
			t.PerTransaction = v
		case "daily":
			t.Daily = v
		case "yearly":
			t.Yearly = v
		case "balance_cap":
			t.BalanceCap = v
		}
	}
	return t
}

// usage is what a user has paid out, in CNY fen.
type usage struct {
	day, year     string
	daily, yearly int64
	lifetime      int64
}

// usageBook tracks each user's outflows in memory. It is filled from the
// ledger the first time a user pays in this process and kept current by
// the service under the user's lock, so limit checks cost no query.
type usageBook struct {
	mu    sync.Mutex
	users map[string]*userUsage
}

type userUsage struct {
	mu     sync.Mutex // serialises the user's outflows: check, move, count
	loaded bool
	u      usage
}

func (b *usageBook) get(userID string) *userUsage {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.users == nil {
		b.users = map[string]*userUsage{}
	}
	uu := b.users[userID]
	if uu == nil {
		uu = &userUsage{}
		b.users[userID] = uu
	}
	return uu
}

func (s *Service) dayYear(t time.Time) (string, string) {
	lt := t.In(s.cfg.Zone)
	return lt.Format("2006-01-02"), lt.Format("2006")
}

// add counts an outflow (negative: a release) made at t.
func (u *usage) add(day, year string, fen int64) {
	if u.day != day {
		u.day, u.daily = day, 0
	}
	if u.year != year {
		u.year, u.yearly = year, 0
	}
	u.daily += fen
	u.yearly += fen
	u.lifetime += fen
}

// current returns the usage as of now (periods that ended count zero).
func (u usage) current(day, year string) usage {
	if u.day != day {
		u.day, u.daily = day, 0
	}
	if u.year != year {
		u.year, u.yearly = year, 0
	}
	return u
}

// lockUsage takes the user's outflow lock and makes sure the usage is
// loaded. The caller must call unlock.
func (s *Service) lockUsage(ctx context.Context, userID string) (*userUsage, error) {
	uu := s.usage.get(userID)
	uu.mu.Lock()
	if !uu.loaded {
		u, err := s.loadUsage(ctx, userID)
		if err != nil {
			uu.mu.Unlock()
			return nil, err
		}
		uu.u, uu.loaded = u, true
	}
	return uu, nil
}

// limitsOf computes a user's limits and what remains of them.
func (s *Service) limitsOf(u User, used usage) Limits {
	t := s.effectiveTier(u)
	rem := func(limit, used int64) Limit {
		if limit == Unlimited {
			return Limit{Unlimited, Unlimited}
		}
		return Limit{limit, max(0, limit-used)}
	}
	return Limits{
		PerTransaction: rem(t.PerTransaction, 0),
		Daily:          rem(t.Daily, used.daily),
		Yearly:         rem(t.Yearly, used.yearly),
		Lifetime:       rem(t.Lifetime, used.lifetime),
		BalanceCap:     Limit{t.BalanceCap, t.BalanceCap},
	}
}

// checkOutflow refuses an outflow of fen CNY that a limit does not allow,
// naming the limit.
func (s *Service) checkOutflow(u User, used usage, fen int64) error {
	l := s.limitsOf(u, used)
	for _, c := range []struct {
		name string
		l    Limit
	}{{"per-transaction", l.PerTransaction}, {"daily", l.Daily}, {"yearly", l.Yearly}, {"lifetime", l.Lifetime}} {
		if c.l.Limit != Unlimited && fen > c.l.Remaining {
			return Errorf(CodeLimitExceeded, "the %s limit allows %s CNY more", c.name, money.Format(c.l.Remaining, money.CNY))
		}
	}
	return nil
}

// Limits returns a user's current limits.
func (s *Service) Limits(ctx context.Context, u User) (Limits, error) {
	uu, err := s.lockUsage(ctx, u.ID)
	if err != nil {
		return Limits{}, err
	}
	defer uu.mu.Unlock()
	day, year := s.dayYear(s.now())
	l := s.limitsOf(u, uu.u.current(day, year))
	if l.BalanceCap.Limit != Unlimited {
		bal, err := s.totalCNY(ctx, u)
		if err != nil {
			return Limits{}, err
		}
		l.BalanceCap.Remaining = max(0, l.BalanceCap.Limit-bal)
	}
	return l, nil
}

// forget makes the next outflow reload the user's usage from the ledger
// (after a release, such as a withdrawal the bank refused).
func (uu *userUsage) forget() {
	uu.mu.Lock()
	uu.loaded = false
	uu.mu.Unlock()
}
