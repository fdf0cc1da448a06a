package epurse

import "fmt"

// SAM is a terminal's security module. It holds the issuer's purchase master
// key, so it can derive any card's DPK offline, authorise a debit with MAC1
// and check the card's MAC2. It cannot make or check TACs: the TAC key never
// leaves the issuer, so a compromised terminal cannot forge records.
// It is not safe for concurrent use; a terminal serves one card at a time.
type SAM struct {
	mpk      Key
	terminal TerminalID
	seq      uint32
}

// NewSAM returns the SAM of terminal, holding the purchase master key, whose
// next terminal sequence number is nextSeq (persisted by the terminal).
func NewSAM(purchaseMaster Key, terminal TerminalID, nextSeq uint32) *SAM {
	return &SAM{mpk: purchaseMaster, terminal: terminal, seq: nextSeq}
}

// Terminal is the id of the terminal the SAM sits in.
func (s *SAM) Terminal() TerminalID { return s.terminal }

// NextSeq is the terminal sequence number the next purchase will get.
func (s *SAM) NextSeq() uint32 { return s.seq }

// InitPurchase is the INITIALIZE FOR PURCHASE command for amount at this terminal.
func (s *SAM) InitPurchase(amount int64) InitPurchaseCommand {
	return InitPurchaseCommand{KeyIndex: KeyIndex, Amount: amount, Terminal: s.terminal}
}

// PurchaseSession is what a terminal keeps of a purchase between DEBIT and
// its answer; if the answer never comes (a torn transaction) it keeps it
// until the card's next tap and recovers it with GET LAST TRANSACTION PROOF.
// It holds no key: the SAM derives the session key again from it.
type PurchaseSession struct {
	Card           CardNumber
	OfflineCounter uint16
	Random         [4]byte
	Amount         int64
	BalanceBefore  int64
	TerminalSeq    uint32
	Time           uint32
}

// ProofCommand is the GET LAST TRANSACTION PROOF command for this purchase.
func (p PurchaseSession) ProofCommand() ProofCommand {
	return ProofCommand{Type: TypePurchase, Counter: p.OfflineCounter}
}

// Authorize answers a card's INITIALIZE FOR PURCHASE response for amount at
// time t: it takes the next terminal sequence number and makes MAC1 under
// the purchase session key. It refuses an unknown key version or algorithm,
// and an amount above the balance the card reported.
func (s *SAM) Authorize(resp InitPurchaseResponse, amount int64, t uint32) (PurchaseSession, DebitPurchaseCommand, error) {
	if resp.KeyVersion != KeyVersion || resp.AlgorithmID != AlgorithmID {
		return PurchaseSession{}, DebitPurchaseCommand{}, fail(ErrUnsupportedKey,
			fmt.Sprintf("key version %02x algorithm %02x", resp.KeyVersion, resp.AlgorithmID))
	}
	if amount <= 0 || amount > maxWireAmount {
		return PurchaseSession{}, DebitPurchaseCommand{}, fail(ErrInvalidAmount, fmt.Sprintf("amount %d", amount))
	}
	if amount > resp.Balance {
		return PurchaseSession{}, DebitPurchaseCommand{}, fail(ErrInsufficientBalance,
			fmt.Sprintf("purchase of %d, balance %d", amount, resp.Balance))
	}
	sess := PurchaseSession{
		Card:           resp.Card,
		OfflineCounter: resp.OfflineCounter,
		Random:         resp.Random,
		Amount:         amount,
		BalanceBefore:  resp.Balance,
		TerminalSeq:    s.seq,
		Time:           t,
	}
	s.seq++
	sk := s.sessionKey(sess)
	return sess, DebitPurchaseCommand{
		TerminalSeq: sess.TerminalSeq,
		Time:        t,
		MAC1:        purchaseMAC1(sk, amount, s.terminal, t),
	}, nil
}

func (s *SAM) sessionKey(p PurchaseSession) Key {
	return PurchaseSessionKey(deriveDPK(s.mpk, p.Card), p.Random, p.OfflineCounter, p.TerminalSeq)
}

// Complete checks the card's MAC2 for the purchase and returns the record
// to upload. ErrBadMAC means the card did not prove the debit: the terminal
// must not deliver the goods.
func (s *SAM) Complete(p PurchaseSession, resp DebitPurchaseResponse) (Record, error) {
	return s.record(p, resp.MAC2, resp.TAC)
}

// Recover finishes a torn purchase from the card's answer to
// p.ProofCommand(): with a MAC2 that verifies, the card did debit and the
// record is returned; the TAC is the card's and the issuer checks it.
func (s *SAM) Recover(p PurchaseSession, proof ProofResponse) (Record, error) {
	return s.record(p, proof.MAC2, proof.TAC)
}

func (s *SAM) record(p PurchaseSession, mac2, tac MAC) (Record, error) {
	if !macEqual(mac2, purchaseMAC2(s.sessionKey(p), p.Amount)) {
		return Record{}, fail(ErrBadMAC, "purchase MAC2")
	}
	return Record{
		Card:           p.Card,
		OfflineCounter: p.OfflineCounter,
		Amount:         p.Amount,
		Terminal:       s.terminal,
		TerminalSeq:    p.TerminalSeq,
		Time:           p.Time,
		TAC:            tac,
	}, nil
}
