package purse

import (
	"context"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Card statuses.
const (
	CardActive   = "active"
	CardLost     = "lost"     // on the deny list; the rest is refunded at RefundAt
	CardRefunded = "refunded" // the rest went back to the wallet
	// CardBlocked: clearing saw evidence of a cloned or rolled-back chip
	// (a counter used twice, or going back). Deny-listed like a lost card,
	// but its rest is not refunded automatically: that is for a person to
	// decide once the case is looked at.
	CardBlocked = "blocked"
)

// Card is a stored-value card issued to a wallet.
type Card struct {
	ID        string // epc_<number in hex>
	UserID    string
	WalletID  string
	Currency  money.Currency
	Status    string
	DeniedAt  time.Time // zero while active
	RefundAt  time.Time // zero while active
	Refunded  int64     // what the refund paid back
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Load statuses.
const (
	LoadPending   = "pending"   // money in the card account, MAC2 sent, no TAC yet
	LoadCompleted = "completed" // the card's TAC verified, or its counter moved on
	LoadReversed  = "reversed"  // the card never took it; the money went back
)

// Load is one online load of a card.
type Load struct {
	ID            string // epl_…
	CardID        string
	UserID        string
	OnlineCounter uint16
	Random        [4]byte
	Amount        int64
	BalanceBefore int64
	Terminal      [6]byte
	Time          uint32
	MAC2          [8]byte
	TransferID    string
	Status        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Terminal is a merchant's terminal with its SAM.
type Terminal struct {
	ID         string // trm_<terminal id in hex>
	MerchantID string
	Name       string
	Currency   money.Currency
	CreatedAt  time.Time
}

// Cleared is a purchase record cleared: its money moved in TransferID.
type Cleared struct {
	CardID      string
	Counter     uint16
	Terminal    [6]byte
	TerminalSeq uint32
	Amount      int64
	Time        uint32
	TAC         [8]byte
	TransferID  string
	ClearedAt   time.Time
}

// Denied is one entry of the deny list.
type Denied struct {
	CardID string
	Since  time.Time
}

// Store keeps cards, loads, terminals and cleared records. Errors are
// *wallet.Error with wallet.CodeNotFound for a missing row; anything else is
// internal. The money is not here: it is in the ledger.
type Store interface {
	CreateEpurseCard(ctx context.Context, c Card) error
	EpurseCard(ctx context.Context, id string) (Card, error)
	EpurseCards(ctx context.Context, userID string) ([]Card, error)
	// ReportEpurseCardLost moves an active card to lost; false when it was
	// not active (the card as it is comes back).
	ReportEpurseCardLost(ctx context.Context, id string, deniedAt, refundAt time.Time) (Card, bool, error)
	// BlockEpurseCard moves an active or lost card to blocked, deny-listed
	// from at unless it was listed earlier; false when it was neither.
	BlockEpurseCard(ctx context.Context, id string, at time.Time) (bool, error)
	// EpurseCardsDue lists lost cards whose refund time has come.
	EpurseCardsDue(ctx context.Context, now time.Time, limit int) ([]Card, error)
	// MarkEpurseCardRefunded moves a lost card to refunded with the amount.
	MarkEpurseCardRefunded(ctx context.Context, id string, amount int64, at time.Time) error
	// DenyList lists the cards on the deny list, oldest listing first.
	DenyList(ctx context.Context) ([]Denied, error)

	// CreateEpurseLoad inserts a pending load; false when the card already
	// has one pending (settle it first).
	CreateEpurseLoad(ctx context.Context, l Load) (bool, error)
	EpurseLoad(ctx context.Context, id string) (Load, error)
	// PendingEpurseLoad is the card's pending load; false when none.
	PendingEpurseLoad(ctx context.Context, cardID string) (Load, bool, error)
	// FinishEpurseLoad moves a pending load to status; false when it was
	// not pending.
	FinishEpurseLoad(ctx context.Context, id, status string, at time.Time) (bool, error)

	CreateTerminal(ctx context.Context, t Terminal) error
	Terminal(ctx context.Context, id string) (Terminal, error)
	Terminals(ctx context.Context, merchantID string) ([]Terminal, error)

	// PutCleared records cleared records, skipping any whose (card,
	// counter) is there already.
	PutCleared(ctx context.Context, cs []Cleared) error
	// ClearedRecord is the record cleared for the card's counter.
	ClearedRecord(ctx context.Context, cardID string, counter uint16) (Cleared, bool, error)
	// HighestCleared is the card's highest cleared counter.
	HighestCleared(ctx context.Context, cardID string) (uint16, bool, error)
	// LastClearedAt is the card's cleared record with the highest terminal
	// sequence at the terminal (hex id).
	LastClearedAt(ctx context.Context, cardID string, terminal [6]byte) (Cleared, bool, error)
	// ClearedCounters lists the card's cleared counters, ascending, for
	// showing gaps.
	ClearedCounters(ctx context.Context, cardID string) ([]uint16, error)
}
