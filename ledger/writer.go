package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// request is one transfer waiting for the writer.
type request struct {
	t    Transfer
	fp   [32]byte
	idx  int   // position in its Submit call
	call *call // the Submit call waiting for it

	res Result
	err error
}

// call is one Submit waiting for its requests; the last to finish wakes it.
type call struct {
	left atomic.Int64
	done chan struct{}
}

func (r *request) finish(res Result, err error) {
	r.res, r.err = res, err
	if r.call.left.Add(-1) == 0 {
		close(r.call.done)
	}
}

// writeLoop is the group-commit writer: it takes every request that is
// waiting (up to MaxBatch), decides them all against the ledger's state in
// memory and writes the outcome in one database transaction with one sync.
// While a batch commits, new requests queue up and form the next batch, so
// the batch size grows with the load and the cost of a sync is shared.
func (l *Ledger) writeLoop() {
	defer close(l.stopped)
	batch := make([]*request, 0, l.opts.MaxBatch)
	for {
		r, ok := <-l.queue
		if !ok {
			return
		}
		batch = append(batch[:0], r)
	fill:
		for len(batch) < l.opts.MaxBatch {
			select {
			case r, ok := <-l.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		start := time.Now()
		l.commitBatch(batch)
		if l.opts.OnCommit != nil {
			l.opts.OnCommit(len(batch), time.Since(start))
		}
	}
}

// commitBatch decides and writes one batch. If the database refuses the
// batch's rows (a constraint the in-memory checks did not foresee), each
// request is retried in a batch of its own so that one bad request cannot
// fail its neighbours. Any other storage failure fails the whole batch:
// nothing of it was committed, so every caller may retry.
func (l *Ledger) commitBatch(reqs []*request) {
	inWrite, err := l.tryBatch(reqs)
	for try := 1; err != nil && retryable(err) && try <= maxRetries; try++ {
		time.Sleep(time.Duration(try) * time.Millisecond)
		inWrite, err = l.tryBatch(reqs)
	}
	if err == nil {
		return
	}
	if inWrite && len(reqs) > 1 {
		for _, r := range reqs {
			if _, e := l.tryBatch([]*request{r}); e != nil {
				r.finish(Result{}, e)
			}
		}
		return
	}
	for _, r := range reqs {
		r.finish(Result{}, err)
	}
}

// tryBatch runs one batch in one transaction. On success every request has
// its answer; on error none has been answered and nothing was written.
// inWrite reports that the database refused the batch's rows.
func (l *Ledger) tryBatch(reqs []*request) (inWrite bool, err error) {
	ctx := context.Background()
	tx, err := l.store.BeginBatch(ctx)
	if err != nil {
		return false, unavailable("begin", err)
	}
	defer tx.Rollback()
	st, err := l.load(tx, reqs)
	if err != nil {
		return false, unavailable("load", err)
	}
	answers := make([]answer, len(reqs))
	defer func() {
		if err != nil {
			l.cache.reset() // what the failed batch loaded may not be what was committed
		}
	}()
	for i, r := range reqs {
		answers[i] = st.decide(r)
	}
	st.finalBalances()
	if err := tx.Write(&st.out); err != nil {
		return true, unavailable("write", err)
	}
	if err := tx.Commit(); err != nil {
		return false, unavailable("commit", err)
	}
	l.cache.keep(st.head, st.accounts)
	for i, r := range reqs {
		r.finish(answers[i].res, answers[i].err)
	}
	return false, nil
}

func unavailable(step string, err error) error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf("ledger storage failed (%s): %v", step, err), cause: err}
}

// Retryable is implemented by storage errors after which the whole batch may
// simply run again: a serialisation failure or deadlock (SQLSTATE 40001,
// 40P01) reported by PostgreSQL or CockroachDB.
type Retryable interface{ Retryable() bool }

func retryable(err error) bool {
	var r Retryable
	return errors.As(err, &r) && r.Retryable()
}

// maxRetries bounds how often a batch runs again after retryable failures.
const maxRetries = 10

// load reads, under the head lock, everything the batch's requests refer to.
func (l *Ledger) load(tx BatchTx, reqs []*request) (*batchState, error) {
	ids := make([]string, 0, len(reqs))
	var holdIDs []string
	acctSet := make(map[AccountID]struct{}, 2*len(reqs))
	for _, r := range reqs {
		ids = append(ids, r.t.ID)
		if r.t.HoldID != "" {
			holdIDs = append(holdIDs, r.t.HoldID)
		}
		for _, p := range r.t.Postings {
			acctSet[p.Account] = struct{}{}
		}
	}
	priors, err := tx.Priors(ids)
	if err != nil {
		return nil, err
	}
	holds := map[string]HoldState{}
	if len(holdIDs) > 0 {
		if holds, err = tx.Holds(holdIDs); err != nil {
			return nil, err
		}
		for _, h := range holds {
			for _, p := range h.Postings {
				acctSet[p.Account] = struct{}{}
			}
		}
	}
	head := tx.Head()
	accounts := l.cache.valid(head, len(acctSet))
	acctIDs := make([]AccountID, 0, len(acctSet))
	for id := range acctSet {
		if a, ok := l.cache.accounts[id]; ok {
			accounts[id] = a
		} else {
			acctIDs = append(acctIDs, id)
		}
	}
	if len(acctIDs) > 0 {
		loaded, err := tx.Accounts(acctIDs)
		if err != nil {
			return nil, err
		}
		for id, a := range loaded {
			accounts[id] = a
		}
	}
	now := l.opts.Now().UTC().Truncate(TimePrecision)
	if now.Before(head.Time) {
		now = head.Time // the journal's time never runs backwards
	}
	return newBatchState(head, now, priors, accounts, holds), nil
}
