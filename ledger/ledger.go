// Package ledger is ewallet's double-entry engine: accounts, transfers whose
// postings sum to zero per currency, two-phase holds, idempotency by transfer
// ID, a hash-chained journal and Verify. All writes go through one
// group-commit writer per process (see writer.go); storage is behind Store.
package ledger

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"
)

// Options tune a Ledger. The zero value is usable.
type Options struct {
	// Now is the clock; time.Now when nil. Tests move it to expire holds.
	Now func() time.Time
	// MaxBatch caps the transfers one group commit takes (default 4096).
	MaxBatch int
	// OnCommit, when set, is called after each group commit with the number of
	// transfers it decided and how long it took (for metrics).
	OnCommit func(size int, took time.Duration)
	// OnTransfer, when set, is called after each group commit with every
	// transfer it committed (not replays), from the writer goroutine: it
	// must be quick (for metrics).
	OnTransfer func(t Transfer)
}

// Ledger is safe for concurrent use.
type Ledger struct {
	store Store
	opts  Options
	queue chan *request
	cache balanceCache // owned by the writer goroutine

	mu      sync.RWMutex // guards closed against sends on queue
	closed  bool
	stopped chan struct{}

	// pipelined batches waiting to be durable before they are answered, in
	// commit order (see PipelinedCommit)
	durable chan pipelined
}

// New starts a ledger on store. Close stops it; it does not close the store.
func New(store Store, opts Options) *Ledger {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 4096
	}
	l := &Ledger{store: store, opts: opts, queue: make(chan *request, 1<<16), stopped: make(chan struct{}), durable: make(chan pipelined, 64)}
	go l.writeLoop()
	return l
}

// Close stops accepting transfers, finishes the ones queued and waits for the
// writer to stop.
func (l *Ledger) Close() error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.queue)
	}
	l.mu.Unlock()
	<-l.stopped
	return nil
}

// Result is the outcome of a committed transfer.
type Result struct {
	Transfer Transfer // as committed, with Seq, Time and Hash
	Replayed bool     // the ID had already committed this same transfer
}

// Transfer submits one transfer and waits for the group commit that decides
// it. A ledger *Error carries the reason for a refusal. If ctx ends first the
// transfer may still commit: retry with the same ID to learn its fate.
func (l *Ledger) Transfer(ctx context.Context, t Transfer) (Result, error) {
	out := l.Submit(ctx, []Transfer{t})
	return out[0].Result, out[0].Err
}

// Outcome is one transfer's answer from Submit.
type Outcome struct {
	Result Result
	Err    error
}

// Submit hands several independent transfers to the writer at once and waits
// for all of them. Each is decided on its own, in order: one refusal does not
// affect the others.
func (l *Ledger) Submit(ctx context.Context, ts []Transfer) []Outcome {
	return l.submit(ctx, ts, (*Transfer).validateRequest)
}

// submit is Submit with the validation to apply: callers' requests, or the
// sweeper's own expiries.
func (l *Ledger) submit(ctx context.Context, ts []Transfer, validate func(*Transfer) error) []Outcome {
	out := make([]Outcome, len(ts))
	reqs := make([]*request, 0, len(ts))
	c := &call{done: make(chan struct{})}
	for i := range ts {
		t := ts[i]
		t.Postings = append([]Posting(nil), t.Postings...) // the caller keeps its slice and map
		t.Metadata = maps.Clone(t.Metadata)
		t.Seq, t.Time, t.Hash, t.RequestHash = 0, time.Time{}, [32]byte{}, [32]byte{}
		if !t.ExpiresAt.IsZero() {
			t.ExpiresAt = t.ExpiresAt.UTC().Truncate(TimePrecision)
		}
		if err := validate(&t); err != nil {
			out[i].Err = err
			continue
		}
		pre := t.precompute()
		reqs = append(reqs, &request{t: t, fp: pre.fp, pre: pre, call: c, idx: i})
	}
	if len(reqs) == 0 {
		return out
	}
	c.left.Store(int64(len(reqs)))
	if err := l.enqueue(ctx, reqs); err != nil {
		for _, r := range reqs {
			out[r.idx].Err = err
		}
		return out
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		for _, r := range reqs {
			out[r.idx].Err = ctx.Err()
		}
		return out
	}
	for _, r := range reqs {
		out[r.idx] = Outcome{Result: r.res, Err: r.err}
	}
	return out
}

// ErrClosed is returned for transfers submitted after Close.
var ErrClosed = &Error{Code: CodeClosed, Message: "ledger is closed"}

// enqueue hands reqs to the writer. A caller whose ctx has ended queues
// nothing; one whose ctx ends while the queue is full stops queueing (what
// was queued already may still commit, as with any ended ctx).
func (l *Ledger) enqueue(ctx context.Context, reqs []*request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	for _, r := range reqs {
		select {
		case l.queue <- r:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// CreateAccounts creates accounts idempotently by name; see Store.CreateAccounts.
func (l *Ledger) CreateAccounts(ctx context.Context, specs []AccountSpec) ([]Account, error) {
	for _, s := range specs {
		if err := validateSpec(s); err != nil {
			return nil, err
		}
	}
	return l.store.CreateAccounts(ctx, specs)
}

// CreateAccount creates one account idempotently by name.
func (l *Ledger) CreateAccount(ctx context.Context, spec AccountSpec) (Account, error) {
	as, err := l.CreateAccounts(ctx, []AccountSpec{spec})
	if err != nil {
		return Account{}, err
	}
	return as[0], nil
}

// Account returns an account with its current balances.
func (l *Ledger) Account(ctx context.Context, id AccountID) (Account, error) {
	return l.store.Account(ctx, id)
}

// AccountByName returns an account by its unique name.
func (l *Ledger) AccountByName(ctx context.Context, name string) (Account, error) {
	return l.store.AccountByName(ctx, name)
}

// GetTransfer returns a committed transfer by ID.
func (l *Ledger) GetTransfer(ctx context.Context, id string) (Transfer, error) {
	return l.store.Transfer(ctx, id)
}

// TransfersBySeq returns committed transfers by sequence, in Seq order
// (for rendering an account's history); unknown sequences are skipped.
func (l *Ledger) TransfersBySeq(ctx context.Context, seqs []int64) ([]Transfer, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	return l.store.TransfersBySeq(ctx, seqs)
}

// Holds returns the current state of holds by their transfer IDs; unknown
// IDs are absent from the map.
func (l *Ledger) Holds(ctx context.Context, ids []string) (map[string]HoldState, error) {
	if len(ids) == 0 {
		return map[string]HoldState{}, nil
	}
	return l.store.HoldStates(ctx, ids)
}

// History returns an account's entries older than beforeSeq (0: from the
// newest), newest first, each with the balance after it.
func (l *Ledger) History(ctx context.Context, id AccountID, beforeSeq int64, limit int) ([]Entry, error) {
	if limit <= 0 || limit > 1000 {
		return nil, errorf(CodeInvalid, "limit must be 1-1000")
	}
	return l.store.History(ctx, id, beforeSeq, limit)
}

// BalanceAtSeq returns the account's posted and held balances just after the
// journal reached seq.
func (l *Ledger) BalanceAtSeq(ctx context.Context, id AccountID, seq int64) (posted, held int64, err error) {
	if _, err := l.store.Account(ctx, id); err != nil {
		return 0, 0, err
	}
	e, err := l.store.EntryAt(ctx, id, seq)
	if ErrorCode(err) == CodeNotFound {
		return 0, 0, nil
	}
	return e.Balance, e.HeldAfter, err
}

// SeqAt returns the last journal sequence committed at or before t (0 if
// none): the journal's position at a moment, for reports over a period.
func (l *Ledger) SeqAt(ctx context.Context, t time.Time) (int64, error) {
	return l.store.SeqAt(ctx, t)
}

// BalanceAt returns the account's balances as they stood at time t.
func (l *Ledger) BalanceAt(ctx context.Context, id AccountID, t time.Time) (posted, held int64, err error) {
	seq, err := l.store.SeqAt(ctx, t)
	if err != nil {
		return 0, 0, err
	}
	return l.BalanceAtSeq(ctx, id, seq)
}

// ExpireHolds releases up to limit pending holds whose deadline has passed
// and returns how many it released. Each expiry is itself an idempotent
// transfer ("expire:" + hold ID), so concurrent sweepers are harmless.
func (l *Ledger) ExpireHolds(ctx context.Context, limit int) (int, error) {
	ids, err := l.store.ExpiredHolds(ctx, l.opts.Now(), limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	ts := make([]Transfer, len(ids))
	for i, id := range ids {
		ts[i] = Transfer{ID: reservedPrefix + id, Type: Expire, Kind: "expire", HoldID: id}
	}
	n := 0
	for _, o := range l.submit(ctx, ts, (*Transfer).validate) {
		switch {
		case o.Err == nil && !o.Result.Replayed:
			n++
		case o.Err != nil && ErrorCode(o.Err) != CodeHoldNotPending:
			return n, o.Err
		}
	}
	return n, nil
}

// RunSweeper calls ExpireHolds every interval until ctx ends.
func (l *Ledger) RunSweeper(ctx context.Context, interval time.Duration, onErr func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			for {
				n, err := l.ExpireHolds(ctx, 500)
				if err != nil && onErr != nil && !errors.Is(err, ctx.Err()) {
					onErr(err)
				}
				if err != nil || n < 500 {
					break
				}
			}
		}
	}
}
