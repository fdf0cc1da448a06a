package wallet

import (
	"fmt"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Config holds the wallet's rules that an operator may change.
type Config struct {
	// Tiers are the KYC tiers' default limits, by tier number.
	Tiers map[int]TierLimits
	// Rates convert other currencies into CNY for limits.
	Rates map[money.Currency]Rate
	// Zone is the operator's time zone: it decides where a day and a year
	// begin for daily and yearly limits.
	Zone *time.Location
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// CodeTTL is how long an SMS code stays valid.
	CodeTTL time.Duration
	// AnswerTTL is how long idempotent answers are kept (the contract: 24 h).
	AnswerTTL time.Duration
}

// TierLimits are one KYC tier's outflow limits in CNY minor units;
// Unlimited (-1) means none.
type TierLimits struct {
	PerTransaction int64
	Daily          int64
	Yearly         int64
	Lifetime       int64
	BalanceCap     int64
}

// Rate is an exact conversion into CNY: one minor unit of the currency is
// worth Num/Den CNY minor units (fen). Outflows convert rounding up, so a
// limit is never exceeded by rounding.
type Rate struct{ Num, Den int64 }

// DefaultConfig returns limits modelled on the PBOC payment-account classes
// (2015 No. 43): class I 1,000.00 CNY since opening, class II 100,000.00 a
// year, class III 200,000.00 a year; 5,000.00 a day and a transaction for all.
func DefaultConfig() Config {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		zone = time.FixedZone("CST", 8*3600) // China has had no DST since 1991
	}
	const yuan = 100
	return Config{
		Tiers: map[int]TierLimits{
			1: {PerTransaction: 5000 * yuan, Daily: 5000 * yuan, Yearly: Unlimited, Lifetime: 1000 * yuan, BalanceCap: Unlimited},
			2: {PerTransaction: 5000 * yuan, Daily: 5000 * yuan, Yearly: 100000 * yuan, Lifetime: Unlimited, BalanceCap: Unlimited},
			3: {PerTransaction: 5000 * yuan, Daily: 5000 * yuan, Yearly: 200000 * yuan, Lifetime: Unlimited, BalanceCap: Unlimited},
		},
		Rates: map[money.Currency]Rate{
			money.CNY: {1, 1},
			money.USD: {71, 10},  // 1 cent = 7.1 fen
			money.EUR: {77, 10},  // 1 cent = 7.7 fen
			money.HKD: {91, 100}, // 1 cent = 0.91 fen
			money.JPY: {47, 10},  // 1 yen = 4.7 fen
			money.PTS: {1, 1},    // 1 point = 1 fen
		},
		Zone:       zone,
		SessionTTL: 24 * time.Hour,
		CodeTTL:    10 * time.Minute,
		AnswerTTL:  24 * time.Hour,
	}
}

// Validate checks that every tier and rate is usable.
func (c Config) Validate() error {
	for _, tier := range []int{1, 2, 3} {
		if _, ok := c.Tiers[tier]; !ok {
			return fmt.Errorf("config: limits for KYC tier %d missing", tier)
		}
	}
	for _, cur := range money.Currencies() {
		r, ok := c.Rates[cur]
		if !ok || r.Num < 0 || r.Den <= 0 {
			return fmt.Errorf("config: rate for %s missing or invalid", cur)
		}
	}
	if c.Zone == nil {
		return fmt.Errorf("config: time zone missing")
	}
	return nil
}

// toCNY converts an amount into CNY fen, rounding up, with overflow checked.
func (c Config) toCNY(amount int64, cur money.Currency) (int64, error) {
	r := c.Rates[cur]
	if r.Den == 0 {
		return 0, fmt.Errorf("no rate for %s", cur)
	}
	if amount != 0 && r.Num > (1<<62)/amount {
		return 0, money.ErrOverflow
	}
	p := amount * r.Num
	return (p + r.Den - 1) / r.Den, nil
}
