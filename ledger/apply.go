package ledger

import (
	"time"

	"github.com/ewallet/ewallet/money"
)

type answer struct {
	res Result
	err error
}

// acct is an account's working state inside a batch.
type acct struct {
	Account
	changed bool
}

// batchState decides a batch's requests in order against the state loaded
// under the head lock, and accumulates what the batch will write.
type batchState struct {
	head     Head
	now      time.Time
	priors   map[string]Prior
	accounts map[AccountID]*acct
	holds    map[string]*HoldState
	decided  map[string]decided // IDs decided earlier in this batch
	pre      *precomputed       // the request being applied, when the caller precomputed it
	out      Batch

	// scratch space reused across transfers
	deltas []delta
}

type decided struct {
	fp  [32]byte
	ans answer
}

type delta struct {
	a           *acct
	amount      int64 // change to posted
	held        int64 // change to held
	newPosted   int64
	newHeld     int64
	debitChecks bool // apply the no-negative rule (a debit or a new hold)
}

func newBatchState(head Head, now time.Time, priors map[string]Prior, accounts map[AccountID]Account, holds map[string]HoldState) *batchState {
	st := &batchState{
		head:     head,
		now:      now,
		priors:   priors,
		accounts: make(map[AccountID]*acct, len(accounts)),
		holds:    make(map[string]*HoldState, len(holds)),
		decided:  map[string]decided{},
	}
	for id, a := range accounts {
		st.accounts[id] = &acct{Account: a}
	}
	for id, h := range holds {
		h := h
		st.holds[id] = &h
	}
	return st
}

// decide answers one request and records its effects in st.out.
func (st *batchState) decide(r *request) answer {
	id := r.t.ID
	if d, ok := st.decided[id]; ok {
		return replayOf(d.fp, r.fp, d.ans)
	}
	if p, ok := st.priors[id]; ok {
		var ans answer
		if p.Transfer != nil {
			ans.res = Result{Transfer: *p.Transfer}
		} else {
			ans.err = p.Err
		}
		return replayOf(p.Fingerprint, r.fp, ans)
	}
	t := r.t
	t.RequestHash = r.fp
	ans := answer{}
	st.pre = r.pre
	err := st.apply(&t)
	st.pre = nil
	if err != nil {
		ans.err = err
		if err.Code == CodeHoldNotExpired || r.t.ForgetRefusal {
			// Depends on the clock, not on the ledger, or the caller asked:
			// a later try may succeed.
			return ans
		}
		st.out.Rejections = append(st.out.Rejections, Rejection{ID: id, Fingerprint: r.fp, Code: err.Code, Message: err.Message, Time: st.now})
	} else {
		ans.res = Result{Transfer: t}
	}
	st.decided[id] = decided{fp: r.fp, ans: ans}
	return ans
}

// replayOf answers a request whose ID was already decided: the same answer for
// the same request, a conflict for a different one.
func replayOf(firstFP, fp [32]byte, first answer) answer {
	if firstFP != fp {
		return answer{err: errorf(CodeIdempotencyConflict, "transfer id was already used for a different transfer")}
	}
	if first.err != nil {
		return first
	}
	first.res.Replayed = true
	return first
}

// apply checks t against the state and, if every rule holds, assigns its
// sequence and hash and records its effects. On error nothing changes.
func (st *batchState) apply(t *Transfer) *Error {
	st.deltas = st.deltas[:0]
	var hold *HoldState
	switch t.Type {
	case Posted, Hold:
		if err := st.addPostings(t.Postings, t.Type == Hold); err != nil {
			return err
		}
	case Post, Void, Expire:
		var err *Error
		if hold, err = st.pendingHold(t); err != nil {
			return err
		}
		if err := st.release(hold); err != nil {
			return err
		}
		if t.Type == Post {
			if t.Postings == nil {
				t.Postings = append([]Posting(nil), hold.Postings...)
			}
			if err := st.checkWithinHold(t.Postings, hold); err != nil {
				return err
			}
			if err := st.addPostings(t.Postings, false); err != nil {
				return err
			}
		}
	}
	if err := st.checkDeltas(); err != nil {
		return err
	}
	st.commit(t, hold)
	return nil
}

func (st *batchState) pendingHold(t *Transfer) (*HoldState, *Error) {
	h, ok := st.holds[t.HoldID]
	if !ok {
		return nil, errorf(CodeHoldNotFound, "hold %q not found", t.HoldID)
	}
	if h.Status != HoldPending {
		return nil, errorf(CodeHoldNotPending, "hold %q is %s", t.HoldID, h.Status)
	}
	expired := !h.ExpiresAt.IsZero() && !st.now.Before(h.ExpiresAt)
	if t.Type == Post && expired {
		return nil, errorf(CodeHoldExpired, "hold %q expired at %s", t.HoldID, h.ExpiresAt.Format(time.RFC3339))
	}
	if t.Type == Expire && !expired {
		return nil, errorf(CodeHoldNotExpired, "hold %q has not expired", t.HoldID)
	}
	return h, nil
}

// deltaFor returns the working delta of account id, creating it.
func (st *batchState) deltaFor(id AccountID) (*delta, *Error) {
	for i := range st.deltas {
		if st.deltas[i].a.ID == id {
			return &st.deltas[i], nil
		}
	}
	a, ok := st.accounts[id]
	if !ok {
		return nil, errorf(CodeAccountNotFound, "account %d not found", id)
	}
	st.deltas = append(st.deltas, delta{a: a})
	return &st.deltas[len(st.deltas)-1], nil
}

// release frees what hold reserved on its debited accounts.
func (st *batchState) release(h *HoldState) *Error {
	for _, p := range h.Postings {
		if p.Amount >= 0 {
			continue
		}
		d, err := st.deltaFor(p.Account)
		if err != nil {
			return err
		}
		d.held += p.Amount // p.Amount < 0: held shrinks by what was reserved
	}
	return nil
}

// addPostings adds postings to the deltas: to posted, or for a hold, its
// debits to held. It checks that they sum to zero in each currency.
func (st *batchState) addPostings(ps []Posting, hold bool) *Error {
	var sums [8]struct {
		cur money.Currency
		sum int64
	}
	n := 0
	for _, p := range ps {
		d, err := st.deltaFor(p.Account)
		if err != nil {
			return err
		}
		i := 0
		for i < n && sums[i].cur != d.a.Currency {
			i++
		}
		if i == n {
			if n == len(sums) {
				return errorf(CodeInvalid, "too many currencies in one transfer")
			}
			sums[i].cur, n = d.a.Currency, n+1
		}
		s, oerr := money.Add(sums[i].sum, p.Amount)
		if oerr != nil {
			return errorf(CodeOverflow, "postings overflow")
		}
		sums[i].sum = s
		switch {
		case hold && p.Amount < 0:
			d.held -= p.Amount
			d.debitChecks = true
		case !hold:
			d.amount += p.Amount
			if p.Amount < 0 {
				d.debitChecks = true
			}
		}
	}
	for i := 0; i < n; i++ {
		if sums[i].sum != 0 {
			return errorf(CodeUnbalanced, "postings in %s sum to %s, not zero", sums[i].cur, money.Format(sums[i].sum, sums[i].cur))
		}
	}
	return nil
}

// checkWithinHold refuses a post that debits an account the hold did not
// reserve on, or more than it reserved there.
func (st *batchState) checkWithinHold(ps []Posting, h *HoldState) *Error {
	for _, p := range ps {
		if p.Amount >= 0 {
			continue
		}
		reserved := int64(0)
		for _, q := range h.Postings {
			if q.Account == p.Account && q.Amount < 0 {
				reserved = -q.Amount
			}
		}
		if -p.Amount > reserved {
			return errorf(CodeExceedsHold, "posting %d from account %d exceeds the %d held", -p.Amount, p.Account, reserved)
		}
	}
	return nil
}

// checkDeltas computes the new balances and checks the accounts' rules.
func (st *batchState) checkDeltas() *Error {
	for i := range st.deltas {
		d := &st.deltas[i]
		var err error
		if d.newPosted, err = money.Add(d.a.Posted, d.amount); err != nil {
			return errorf(CodeOverflow, "account %d balance would overflow", d.a.ID)
		}
		if d.newHeld, err = money.Add(d.a.Held, d.held); err != nil {
			return errorf(CodeOverflow, "account %d held balance would overflow", d.a.ID)
		}
		if d.newHeld < 0 {
			return errorf(CodeInvalid, "account %d held balance would go below zero", d.a.ID)
		}
		if d.debitChecks && d.a.Flags&NoNegative != 0 {
			avail, err := money.Sub(d.newPosted, d.newHeld)
			if err != nil || avail < 0 {
				return errorf(CodeInsufficientFunds, "account %d has insufficient funds", d.a.ID)
			}
		}
		if d.amount > 0 && d.a.Flags&NoPositive != 0 && d.newPosted > 0 {
			return errorf(CodeCreditLimit, "account %d may not be credited beyond its debits", d.a.ID)
		}
	}
	return nil
}

// commit applies the checked deltas, assigns the transfer its place in the
// journal and records every row the batch writes.
func (st *batchState) commit(t *Transfer, hold *HoldState) {
	t.Seq = st.head.Seq + 1
	t.Time = st.now
	for i := range st.deltas {
		d := &st.deltas[i]
		if d.amount == 0 && d.held == 0 {
			continue // named by the transfer (a hold's credit side) but unchanged: no entry
		}
		d.a.Posted, d.a.Held, d.a.LastSeq = d.newPosted, d.newHeld, t.Seq
		if !d.a.changed {
			d.a.changed = true
			st.out.Balances = append(st.out.Balances, AccountBalance{ID: d.a.ID})
		}
		st.out.Entries = append(st.out.Entries, Entry{Account: d.a.ID, Seq: t.Seq, Amount: d.amount, HeldDelta: d.held, Balance: d.newPosted, HeldAfter: d.newHeld})
	}
	if pre := st.pre; pre != nil {
		t.Hash = pre.chainHash(st.head.Hash, t, st.currencyOf)
		enc := EncodedTransfer{Postings: pre.postings, Metadata: pre.metadata}
		if enc.Postings == "" && len(t.Postings) > 0 {
			enc.Postings = EncodePostings(t.Postings) // a post that moves what its hold held
		}
		st.out.Encoded = append(st.out.Encoded, enc)
	} else {
		t.Hash = ChainHash(st.head.Hash, t, st.currencyOf)
	}
	st.head = Head{Seq: t.Seq, Hash: t.Hash, Time: t.Time}
	st.out.Head = st.head
	st.out.Transfers = append(st.out.Transfers, t)
	switch t.Type {
	case Hold:
		h := &HoldState{ID: t.ID, Seq: t.Seq, Status: HoldPending, ExpiresAt: t.ExpiresAt, Postings: t.Postings}
		st.holds[t.ID] = h
		st.out.NewHolds = append(st.out.NewHolds, *h)
	case Post, Void, Expire:
		hold.Status = resolvedStatus(t.Type)
		hold.ResolvedBy = t.Seq
		st.out.Resolved = append(st.out.Resolved, *hold)
	}
}

func (st *batchState) currencyOf(id AccountID) money.Currency {
	return st.accounts[id].Currency
}

// written starts a new set of rows after the current ones were written, for
// requests that join the batch before it commits.
func (st *batchState) written() {
	for _, b := range st.out.Balances {
		st.accounts[b.ID].changed = false
	}
	st.out = Batch{Head: st.head}
}

// finalBalances fills in the batch's final balance of each changed account.
func (st *batchState) finalBalances() {
	for i := range st.out.Balances {
		a := st.accounts[st.out.Balances[i].ID]
		st.out.Balances[i] = AccountBalance{ID: a.ID, Posted: a.Posted, Held: a.Held, LastSeq: a.LastSeq}
	}
}

func resolvedStatus(t Type) HoldStatus {
	switch t {
	case Post:
		return HoldPosted
	case Void:
		return HoldVoided
	default:
		return HoldExpired
	}
}
