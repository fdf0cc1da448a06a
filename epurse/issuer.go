package epurse

import "fmt"

// Issuer holds the master keys: it personalises cards, authorises loads
// (checks the card's MAC1, makes MAC2, checks the load TAC) and, at
// clearing, recomputes each record's TAC. It keeps no state; what it must
// remember of a load between its two steps is the LoadSession the caller
// stores.
type Issuer struct {
	keys MasterKeys
}

// NewIssuer returns the issuer of the given master keys.
func NewIssuer(keys MasterKeys) *Issuer { return &Issuer{keys: keys} }

// CardKeys are the keys to write into card n.
func (is *Issuer) CardKeys(n CardNumber) CardKeys { return DeriveCardKeys(is.keys, n) }

// PurchaseMasterKey is the key to put in terminals' SAMs.
func (is *Issuer) PurchaseMasterKey() Key { return is.keys.Purchase }

// LoadSession is what the server keeps of a load between issuing MAC2 and
// seeing the TAC. If the TAC never arrives, at the card's next contact the
// server asks GET LAST TRANSACTION PROOF with ProofCommand(): a proof whose
// TAC passes VerifyLoad means the card was credited (complete the load);
// ErrNotFound with the card's online counter still at OnlineCounter means it
// was not (reverse the load).
type LoadSession struct {
	Card          CardNumber
	OnlineCounter uint16
	Random        [4]byte
	Amount        int64
	BalanceBefore int64
	Terminal      TerminalID
	Time          uint32
	MAC2          MAC
}

// ProofCommand is the GET LAST TRANSACTION PROOF command for this load.
func (l LoadSession) ProofCommand() ProofCommand {
	return ProofCommand{Type: TypeLoad, Counter: l.OnlineCounter}
}

// AuthorizeLoad checks the card's MAC1 for the load cmd asked and, if it
// verifies, returns the session to store and the CREDIT FOR LOAD command
// with MAC2 for time t. It refuses an unknown key version or algorithm
// (ErrUnsupportedKey), a non-positive amount (ErrInvalidAmount) and a MAC1
// that does not verify (ErrBadMAC). The caller moves the money (wallet to
// e-purse float) before sending the command to the card.
func (is *Issuer) AuthorizeLoad(cmd InitLoadCommand, resp InitLoadResponse, t uint32) (LoadSession, CreditLoadCommand, error) {
	if resp.KeyVersion != KeyVersion || resp.AlgorithmID != AlgorithmID {
		return LoadSession{}, CreditLoadCommand{}, fail(ErrUnsupportedKey,
			fmt.Sprintf("key version %02x algorithm %02x", resp.KeyVersion, resp.AlgorithmID))
	}
	if cmd.Amount <= 0 || cmd.Amount > maxWireAmount || resp.Balance > maxWireAmount-cmd.Amount {
		return LoadSession{}, CreditLoadCommand{}, fail(ErrInvalidAmount, fmt.Sprintf("amount %d", cmd.Amount))
	}
	sk := LoadSessionKey(deriveDLK(is.keys.Load, resp.Card), resp.Random, resp.OnlineCounter)
	if !macEqual(resp.MAC1, loadMAC1(sk, resp.Balance, cmd.Amount, cmd.Terminal)) {
		return LoadSession{}, CreditLoadCommand{}, fail(ErrBadMAC, "load MAC1")
	}
	mac2 := loadMAC2(sk, cmd.Amount, cmd.Terminal, t)
	return LoadSession{
		Card:          resp.Card,
		OnlineCounter: resp.OnlineCounter,
		Random:        resp.Random,
		Amount:        cmd.Amount,
		BalanceBefore: resp.Balance,
		Terminal:      cmd.Terminal,
		Time:          t,
		MAC2:          mac2,
	}, CreditLoadCommand{Time: t, MAC2: mac2}, nil
}

// VerifyLoad checks the card's TAC for a load, from CREDIT FOR LOAD or from
// GET LAST TRANSACTION PROOF; ErrBadTAC when it does not verify.
func (is *Issuer) VerifyLoad(l LoadSession, tac MAC) error {
	dtk := deriveDTK(is.keys.TAC, l.Card)
	want := loadTAC(dtk, l.Card, l.OnlineCounter, l.Amount, l.Terminal, l.Time, l.BalanceBefore+l.Amount)
	if !macEqual(tac, want) {
		return fail(ErrBadTAC, fmt.Sprintf("load TAC of card %s counter %d", l.Card, l.OnlineCounter))
	}
	return nil
}

// VerifyRecord recomputes an uploaded purchase record's TAC with the card's
// TAC key; ErrBadTAC when it does not verify (forged or altered), and
// ErrInvalidAmount for an amount no card would debit. It does not
// de-duplicate or check counters: clearing does, with its store.
func (is *Issuer) VerifyRecord(r Record) error {
	if r.Amount <= 0 || r.Amount > maxWireAmount {
		return fail(ErrInvalidAmount, fmt.Sprintf("record amount %d", r.Amount))
	}
	dtk := deriveDTK(is.keys.TAC, r.Card)
	if !macEqual(r.TAC, purchaseTAC(dtk, r.Card, r.OfflineCounter, r.Amount, r.Terminal, r.TerminalSeq, r.Time)) {
		return fail(ErrBadTAC, fmt.Sprintf("record of card %s counter %d", r.Card, r.OfflineCounter))
	}
	return nil
}
