package epurse

import (
	"crypto/rand"
	"fmt"
	"io"
)

// Default limits of a card, in CNY minor units (fen).
const (
	// DefaultBalanceCap is the most a card may hold: 1,000.00 CNY (issue 6).
	DefaultBalanceCap int64 = 100_000
	// DefaultPurchaseCap is the most one offline purchase may take: 200.00 CNY.
	// The issue asks for a per-purchase cap without a number; this one keeps
	// a stolen card's offline exposure per tap small.
	DefaultPurchaseCap int64 = 20_000
	// LogSize is how many transactions a card remembers for proofs.
	LogSize = 10
)

// LogEntry is one transaction in a card's log, enough to answer GET LAST
// TRANSACTION PROOF and to show the holder their last taps.
type LogEntry struct {
	Type        byte   // TypeLoad or TypePurchase
	Counter     uint16 // online counter for loads, offline for purchases
	Amount      int64
	Balance     int64 // balance after the transaction
	Terminal    TerminalID
	TerminalSeq uint32 // purchases only
	Time        uint32
	MAC2        MAC
	TAC         MAC
}

// CardState is everything a card holds: what a chip keeps in its EEPROM, and
// what a software card saves to its file. Counters are those of the next
// transaction.
type CardState struct {
	Number         CardNumber
	Keys           CardKeys
	Balance        int64
	OnlineCounter  uint16
	OfflineCounter uint16
	BalanceCap     int64
	PurchaseCap    int64
	Log            []LogEntry // newest last, at most LogSize
}

// Card is a software e-purse applet: it answers the commands of this package
// as a chip would. It is not safe for concurrent use (neither is a chip).
type Card struct {
	st   CardState
	rand io.Reader
	// The transaction an INITIALIZE opened; any other command closes it,
	// as on a chip, so a MAC cannot be tried twice against one random.
	pending *pendingTx
}

type pendingTx struct {
	typ      byte
	amount   int64
	terminal TerminalID
	random   [4]byte
}

// NewCard personalises a card: its number and keys derived from the master
// keys, zero balance and counters, the default caps. rnd supplies card
// randoms; nil means crypto/rand.
func NewCard(n CardNumber, keys CardKeys, rnd io.Reader) *Card {
	return LoadCard(CardState{
		Number:      n,
		Keys:        keys,
		BalanceCap:  DefaultBalanceCap,
		PurchaseCap: DefaultPurchaseCap,
	}, rnd)
}

// LoadCard brings back a card from a saved state (a software card's file).
func LoadCard(st CardState, rnd io.Reader) *Card {
	if rnd == nil {
		rnd = rand.Reader
	}
	st.Log = append([]LogEntry(nil), st.Log...)
	return &Card{st: st, rand: rnd}
}

// State returns a copy of the card's state, to save or show.
func (c *Card) State() CardState {
	st := c.st
	st.Log = append([]LogEntry(nil), c.st.Log...)
	return st
}

// Number is the card's number.
func (c *Card) Number() CardNumber { return c.st.Number }

// Balance is the card's balance in minor units.
func (c *Card) Balance() int64 { return c.st.Balance }

func (c *Card) open(typ byte, amount int64, term TerminalID) (*pendingTx, error) {
	p := &pendingTx{typ: typ, amount: amount, terminal: term}
	if _, err := io.ReadFull(c.rand, p.random[:]); err != nil {
		return nil, fmt.Errorf("epurse: card random: %w", err)
	}
	c.pending = p
	return p, nil
}

// take closes the open transaction and returns it if it is of type typ.
func (c *Card) take(typ byte) (*pendingTx, error) {
	p := c.pending
	c.pending = nil
	if p == nil || p.typ != typ {
		return nil, fail(ErrNoSession, "no matching INITIALIZE before this command")
	}
	return p, nil
}

func (c *Card) appendLog(e LogEntry) {
	c.st.Log = append(c.st.Log, e)
	if len(c.st.Log) > LogSize {
		c.st.Log = append([]LogEntry(nil), c.st.Log[len(c.st.Log)-LogSize:]...)
	}
}

// InitializeForLoad opens a load: it refuses a key it does not hold, an
// amount that is not positive or would take the balance above the cap, and
// an exhausted online counter; otherwise it answers its balance, online
// counter, a fresh random and MAC1 under the load session key.
func (c *Card) InitializeForLoad(cmd InitLoadCommand) (InitLoadResponse, error) {
	c.pending = nil
	var r InitLoadResponse
	switch {
	case cmd.KeyIndex != KeyIndex:
		return r, fail(ErrUnsupportedKey, fmt.Sprintf("key index %02x", cmd.KeyIndex))
	case cmd.Amount <= 0:
		return r, fail(ErrInvalidAmount, "load amount must be positive")
	case cmd.Amount > c.st.BalanceCap-c.st.Balance:
		return r, fail(ErrOverLimit, fmt.Sprintf("load of %d would exceed balance cap %d", cmd.Amount, c.st.BalanceCap))
	case c.st.OnlineCounter == 0xFFFF:
		return r, fail(ErrCounterExhausted, "online counter exhausted")
	}
	p, err := c.open(TypeLoad, cmd.Amount, cmd.Terminal)
	if err != nil {
		return r, err
	}
	sk := LoadSessionKey(c.st.Keys.DLK, p.random, c.st.OnlineCounter)
	return InitLoadResponse{
		Card:          c.st.Number,
		Balance:       c.st.Balance,
		OnlineCounter: c.st.OnlineCounter,
		KeyVersion:    KeyVersion,
		AlgorithmID:   AlgorithmID,
		Random:        p.random,
		MAC1:          loadMAC1(sk, c.st.Balance, cmd.Amount, cmd.Terminal),
	}, nil
}

// CreditForLoad completes the load just initialised: it checks the issuer's
// MAC2, adds the amount, logs the load, increments the online counter and
// answers the load TAC. A wrong MAC2 changes nothing but closes the load.
func (c *Card) CreditForLoad(cmd CreditLoadCommand) (CreditLoadResponse, error) {
	p, err := c.take(TypeLoad)
	if err != nil {
		return CreditLoadResponse{}, err
	}
	sk := LoadSessionKey(c.st.Keys.DLK, p.random, c.st.OnlineCounter)
	if !macEqual(cmd.MAC2, loadMAC2(sk, p.amount, p.terminal, cmd.Time)) {
		return CreditLoadResponse{}, fail(ErrBadMAC, "load MAC2")
	}
	after := c.st.Balance + p.amount // below the cap: checked at INITIALIZE
	tac := loadTAC(c.st.Keys.DTK, c.st.Number, c.st.OnlineCounter, p.amount, p.terminal, cmd.Time, after)
	c.appendLog(LogEntry{
		Type: TypeLoad, Counter: c.st.OnlineCounter, Amount: p.amount, Balance: after,
		Terminal: p.terminal, Time: cmd.Time, MAC2: cmd.MAC2, TAC: tac,
	})
	c.st.Balance = after
	c.st.OnlineCounter++
	return CreditLoadResponse{TAC: tac}, nil
}

// InitializeForPurchase opens a purchase: it refuses a key it does not hold,
// an amount that is not positive, above the per-purchase cap or above the
// balance, and an exhausted offline counter; otherwise it answers its
// balance, offline counter and a fresh random.
func (c *Card) InitializeForPurchase(cmd InitPurchaseCommand) (InitPurchaseResponse, error) {
	c.pending = nil
	var r InitPurchaseResponse
	switch {
	case cmd.KeyIndex != KeyIndex:
		return r, fail(ErrUnsupportedKey, fmt.Sprintf("key index %02x", cmd.KeyIndex))
	case cmd.Amount <= 0:
		return r, fail(ErrInvalidAmount, "purchase amount must be positive")
	case cmd.Amount > c.st.PurchaseCap:
		return r, fail(ErrOverLimit, fmt.Sprintf("purchase of %d exceeds per-purchase cap %d", cmd.Amount, c.st.PurchaseCap))
	case cmd.Amount > c.st.Balance:
		return r, fail(ErrInsufficientBalance, fmt.Sprintf("purchase of %d, balance %d", cmd.Amount, c.st.Balance))
	case c.st.OfflineCounter == 0xFFFF:
		return r, fail(ErrCounterExhausted, "offline counter exhausted")
	}
	p, err := c.open(TypePurchase, cmd.Amount, cmd.Terminal)
	if err != nil {
		return r, err
	}
	return InitPurchaseResponse{
		Card:           c.st.Number,
		Balance:        c.st.Balance,
		OfflineCounter: c.st.OfflineCounter,
		KeyVersion:     KeyVersion,
		AlgorithmID:    AlgorithmID,
		Random:         p.random,
	}, nil
}

// DebitForPurchase completes the purchase just initialised: it checks the
// SAM's MAC1, debits, logs the purchase, increments the offline counter and
// answers the TAC and MAC2. A wrong MAC1 changes nothing but closes the
// purchase.
func (c *Card) DebitForPurchase(cmd DebitPurchaseCommand) (DebitPurchaseResponse, error) {
	p, err := c.take(TypePurchase)
	if err != nil {
		return DebitPurchaseResponse{}, err
	}
	sk := PurchaseSessionKey(c.st.Keys.DPK, p.random, c.st.OfflineCounter, cmd.TerminalSeq)
	if !macEqual(cmd.MAC1, purchaseMAC1(sk, p.amount, p.terminal, cmd.Time)) {
		return DebitPurchaseResponse{}, fail(ErrBadMAC, "purchase MAC1")
	}
	if p.amount > c.st.Balance { // checked at INITIALIZE; kept as the last word
		return DebitPurchaseResponse{}, fail(ErrInsufficientBalance, "balance changed")
	}
	after := c.st.Balance - p.amount
	tac := purchaseTAC(c.st.Keys.DTK, c.st.Number, c.st.OfflineCounter, p.amount, p.terminal, cmd.TerminalSeq, cmd.Time)
	mac2 := purchaseMAC2(sk, p.amount)
	c.appendLog(LogEntry{
		Type: TypePurchase, Counter: c.st.OfflineCounter, Amount: p.amount, Balance: after,
		Terminal: p.terminal, TerminalSeq: cmd.TerminalSeq, Time: cmd.Time, MAC2: mac2, TAC: tac,
	})
	c.st.Balance = after
	c.st.OfflineCounter++
	return DebitPurchaseResponse{TAC: tac, MAC2: mac2}, nil
}

// GetTransactionProof answers the MAC2 and TAC of the logged transaction of
// the given type and counter, or ErrNotFound when the card never completed
// it (or it has left the log).
func (c *Card) GetTransactionProof(cmd ProofCommand) (ProofResponse, error) {
	c.pending = nil
	for i := len(c.st.Log) - 1; i >= 0; i-- {
		e := c.st.Log[i]
		if e.Type == cmd.Type && e.Counter == cmd.Counter {
			return ProofResponse{MAC2: e.MAC2, TAC: e.TAC}, nil
		}
	}
	return ProofResponse{}, fail(ErrNotFound, fmt.Sprintf("type %02x counter %d", cmd.Type, cmd.Counter))
}
