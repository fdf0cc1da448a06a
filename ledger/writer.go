package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// request is one transfer waiting for the writer.
type request struct {
	t    Transfer
	fp   [32]byte
	idx  int   // position in its Submit call
	call *call // the Submit call waiting for it

	pre *precomputed // fingerprint, hash and stored forms, done by the caller

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
	answered := make(chan struct{})
	go l.answerLoop(answered)
	defer func() {
		close(l.durable)
		<-answered
		close(l.stopped)
	}()
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
		n := l.commitBatch(batch)
		if l.opts.OnCommit != nil {
			l.opts.OnCommit(n, time.Since(start))
		}
	}
}

// commitBatch decides and writes one batch. If the database refuses the
// batch's rows (a constraint the in-memory checks did not foresee), each
// request is retried in a batch of its own so that one bad request cannot
// fail its neighbours. Any other storage failure fails the whole batch:
// nothing of it was committed, so every caller may retry. It returns how
// many requests it answered: the batch grows while it writes.
func (l *Ledger) commitBatch(reqs []*request) int {
	reqs, inWrite, err := l.tryBatch(reqs, true)
	for try := 1; err != nil && retryable(err) && try <= maxRetries; try++ {
		time.Sleep(time.Duration(try) * time.Millisecond)
		reqs, inWrite, err = l.tryBatch(reqs, false)
	}
	if err == nil {
		return len(reqs)
	}
	if inWrite && len(reqs) > 1 {
		for _, r := range reqs {
			if _, _, e := l.tryBatch([]*request{r}, false); e != nil {
				r.finish(Result{}, e)
			}
		}
		return len(reqs)
	}
	for _, r := range reqs {
		r.finish(Result{}, err)
	}
	return len(reqs)
}

// maxRounds bounds how many times a batch takes in requests that arrived
// while its rows were being written.
const maxRounds = 4

// tryBatch runs one batch in one transaction. On success every request has
// its answer; on error none has been answered and nothing was written.
// inWrite reports that the database refused the batch's rows. With grow,
// requests that arrive while the batch's rows are being written join the
// same transaction before it commits, sharing its lock, pages and sync: the
// batch grows with the load without anyone waiting for it. The requests the
// batch ended up holding are returned.
func (l *Ledger) tryBatch(reqs []*request, grow bool) (all []*request, inWrite bool, err error) {
	all = reqs
	ctx := context.Background()
	tx, err := l.store.BeginBatch(ctx)
	if err != nil {
		return all, false, unavailable("begin", err)
	}
	defer tx.Rollback()
	defer func() {
		if err != nil {
			l.cache.reset() // what the failed batch loaded may not be what was committed
		}
	}()
	st, err := l.load(tx, reqs)
	if err != nil {
		return all, false, unavailable("load", err)
	}
	answers := make([]answer, 0, len(reqs))
	for round := 0; ; round++ {
		for _, r := range reqs {
			answers = append(answers, st.decide(r))
		}
		st.finalBalances()
		if err := tx.Write(&st.out); err != nil {
			return all, true, unavailable("write", err)
		}
		st.written()
		if !grow || round == maxRounds {
			break
		}
		if reqs = l.drain(l.opts.MaxBatch - len(all)); len(reqs) == 0 {
			break
		}
		all = append(all, reqs...)
		if err := l.extend(tx, st, reqs); err != nil {
			return all, false, unavailable("load", err)
		}
	}
	if pc, ok := tx.(PipelinedCommit); ok {
		wait, err := pc.CommitAsync()
		if err != nil {
			return all, false, unavailable("commit", err)
		}
		l.cache.keep(st.head, st.accounts)
		// all may share writeLoop's batch slice, which the next batch reuses
		l.durable <- pipelined{reqs: slices.Clone(all), answers: answers, wait: wait}
		return all, false, nil
	}
	if err := tx.Commit(); err != nil {
		return all, false, unavailable("commit", err)
	}
	l.cache.keep(st.head, st.accounts)
	l.answer(all, answers)
	return all, false, nil
}

// pipelined is a batch committed with CommitAsync, to be answered once
// wait says it is durable.
type pipelined struct {
	reqs    []*request
	answers []answer
	wait    func() error
}

// answerLoop answers pipelined batches in commit order as they become
// durable, until the writer closes l.durable.
func (l *Ledger) answerLoop(done chan<- struct{}) {
	defer close(done)
	for p := range l.durable {
		if err := p.wait(); err != nil {
			// Nothing of this batch may be reported as committed: after a
			// restart the journal has it or not. A retry with the same IDs
			// learns which.
			for _, r := range p.reqs {
				r.finish(Result{}, unavailable("sync", err))
			}
			continue
		}
		l.answer(p.reqs, p.answers)
	}
}

func (l *Ledger) answer(reqs []*request, answers []answer) {
	for i, r := range reqs {
		r.finish(answers[i].res, answers[i].err)
	}
	if l.opts.OnTransfer != nil {
		for _, a := range answers {
			if a.err == nil && !a.res.Replayed {
				l.opts.OnTransfer(a.res.Transfer)
			}
		}
	}
}

// drain takes up to n requests that are waiting, without waiting for more.
func (l *Ledger) drain(n int) []*request {
	var out []*request
	for len(out) < n {
		select {
		case r, ok := <-l.queue:
			if !ok {
				return out
			}
			out = append(out, r)
		default:
			return out
		}
	}
	return out
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
	head := tx.Head()
	now := l.opts.Now().UTC().Truncate(TimePrecision)
	if now.Before(head.Time) {
		now = head.Time // the journal's time never runs backwards
	}
	st := newBatchState(head, now, map[string]Prior{}, l.cache.valid(head, 2*len(reqs)), nil)
	return st, l.extend(tx, st, reqs)
}

// extend reads into st what reqs refer to and st does not hold yet: prior
// uses of their IDs, holds and accounts. What st already holds is newer than
// the database's committed state (this batch may have changed it) and is kept.
func (l *Ledger) extend(tx BatchTx, st *batchState, reqs []*request) error {
	var ids, holdIDs []string
	acctSet := make(map[AccountID]struct{}, 2*len(reqs))
	for _, r := range reqs {
		if _, ok := st.decided[r.t.ID]; !ok {
			ids = append(ids, r.t.ID)
		}
		if _, ok := st.holds[r.t.HoldID]; r.t.HoldID != "" && !ok {
			holdIDs = append(holdIDs, r.t.HoldID)
		}
		for _, p := range r.t.Postings {
			acctSet[p.Account] = struct{}{}
		}
	}
	if len(ids) > 0 {
		priors, err := tx.Priors(ids)
		if err != nil {
			return err
		}
		for id, p := range priors {
			st.priors[id] = p
		}
	}
	if len(holdIDs) > 0 {
		holds, err := tx.Holds(holdIDs)
		if err != nil {
			return err
		}
		for id, h := range holds {
			st.holds[id] = &h
			for _, p := range h.Postings {
				acctSet[p.Account] = struct{}{}
			}
		}
	}
	var missing []AccountID
	for id := range acctSet {
		if _, ok := st.accounts[id]; ok {
			continue
		}
		if a, ok := l.cache.accounts[id]; ok {
			st.accounts[id] = &acct{Account: a}
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		loaded, err := tx.Accounts(missing)
		if err != nil {
			return err
		}
		for id, a := range loaded {
			st.accounts[id] = &acct{Account: a}
		}
	}
	return nil
}
