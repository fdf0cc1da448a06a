package ledger

import (
	"time"

	"github.com/ewallet/ewallet/money"
)

// AccountID identifies an account. The store assigns it at creation.
type AccountID int64

// AccountFlags constrain an account's balance. They are fixed at creation.
type AccountFlags uint32

const (
	// NoNegative forbids the available balance (posted minus held) from going
	// below zero: a holder's wallet.
	NoNegative AccountFlags = 1 << iota
	// NoPositive forbids the posted balance from going above zero: a source of
	// money such as the bank settlement account, which only ever pays out of the outside world.
	NoPositive
)

// AccountSpec describes an account to create. Name is unique in the ledger
// (e.g. "wal_9f3k:CNY" or "sys:fees:CNY") so that creation is idempotent.
type AccountSpec struct {
	Name     string
	Currency money.Currency
	Flags    AccountFlags
}

// Account is an account with its balances in minor units.
type Account struct {
	ID        AccountID
	Name      string
	Currency  money.Currency
	Flags     AccountFlags
	Posted    int64     // sum of posted entries
	Held      int64     // debits reserved by pending holds, >= 0
	LastSeq   int64     // journal sequence of the last entry, 0 if none
	CreatedAt time.Time // when the account was created
}

// Available is what may be spent now: posted minus held.
func (a Account) Available() int64 { return a.Posted - a.Held }

func validateSpec(s AccountSpec) error {
	if s.Name == "" || len(s.Name) > MaxIDLen {
		return errorf(CodeInvalid, "account name must be 1-%d bytes", MaxIDLen)
	}
	if !s.Currency.Valid() {
		return errorf(CodeInvalid, "unsupported currency %q", s.Currency)
	}
	if s.Flags&^(NoNegative|NoPositive) != 0 || s.Flags == NoNegative|NoPositive {
		return errorf(CodeInvalid, "invalid account flags %d", s.Flags)
	}
	return nil
}
