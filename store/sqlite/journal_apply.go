package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

// openJournal takes the journal directory's exclusive lock, applies to
// SQLite the records a previous process made durable but did not apply,
// and starts the applier.
func openJournal(ctx context.Context, db *DB) (*journal, error) {
	dir := journalDir(db.path)
	lock, err := openLock(dir)
	if err != nil {
		return nil, err
	}
	if err := lock.try(true); err != nil {
		lock.close()
		return nil, err
	}
	j := &journal{db: db, dir: dir, lock: lock, applied: make(chan struct{}), synced: make(chan struct{}), hurry: make(chan struct{}, 1),
		syncWake: make(chan struct{}, 1), wake: make(chan struct{}, 1), stop: make(chan struct{}), syncDone: make(chan struct{}), done: make(chan struct{})}
	if err := j.recover(ctx); err != nil {
		lock.close()
		return nil, err
	}
	if err := j.startSegment(); err != nil {
		lock.close()
		return nil, err
	}
	go j.syncLoop()
	go j.applyLoop()
	return j, nil
}

// recover replays the journal into SQLite, deletes its segments (SQLite
// now holds everything durably) and loads the head and the ID filter.
func (j *journal) recover(ctx context.Context) error {
	if err := replayJournal(ctx, j.db, j.dir); err != nil {
		return err
	}
	head, rec, err := j.db.appliedHead(ctx)
	if err != nil {
		return err
	}
	j.head, j.appliedRec, j.lastRec, j.nextRec = head, rec, rec, rec+1
	j.ids, err = j.db.loadIDFilter(ctx, head.Seq)
	return err
}

// replayJournal applies the records in dir that SQLite does not hold yet,
// then deletes the segments. A torn record may end the last segment (the
// crash came during its write, so it was never acknowledged); anywhere else,
// or a gap in the numbering, means the journal is damaged, and the
// database is not opened rather than opened without committed transfers.
func replayJournal(ctx context.Context, db *DB, dir string) error {
	segs, err := listSegments(dir)
	if err != nil || len(segs) == 0 {
		return err
	}
	_, applied, err := db.appliedHead(ctx)
	if err != nil {
		return err
	}
	last := applied
	for i, s := range segs {
		recs, end, err := readSegment(s.path)
		if err != nil {
			return err
		}
		if st, err := os.Stat(s.path); err == nil && end < st.Size() && i < len(segs)-1 {
			return fmt.Errorf("ledger journal %s is damaged at offset %d, before its last segment", s.path, end)
		}
		var todo []record
		for _, r := range recs {
			if r.no <= last {
				continue
			}
			if r.no != last+1 {
				return fmt.Errorf("ledger journal %s: record %d follows record %d", s.path, r.no, last)
			}
			todo, last = append(todo, r), r.no
		}
		for len(todo) > 0 {
			n := applyChunk(todo)
			if err := db.applyRecords(ctx, todo[:n], true); err != nil {
				return fmt.Errorf("replay ledger journal: %w", err)
			}
			todo = todo[n:]
		}
	}
	for _, s := range segs {
		if err := os.Remove(s.path); err != nil {
			return err
		}
	}
	return syncDir(dir)
}

// applyChunk is how many of recs one applying transaction takes: whole
// records, up to maxApply transfers (at least one record).
func applyChunk(recs []record) int {
	n, transfers := 0, 0
	for n < len(recs) && (n == 0 || transfers+len(recs[n].batch.Transfers) <= maxApply) {
		transfers += len(recs[n].batch.Transfers)
		n++
	}
	return n
}

// applyLoop copies durable records into SQLite until close, then applies
// what is left and returns. It lets records gather (up to applyEvery, or
// applyAtLeast transfers) so that each transaction is large: the B-tree
// pages a transaction rewrites are shared by more transfers the more it
// holds, and SQLite writes each page once per transaction. A read waiting
// for the applier (caughtUp) cuts the wait short.
func (j *journal) applyLoop() {
	defer close(j.done)
	tick := time.NewTicker(applyEvery)
	defer tick.Stop()
	for {
		select {
		case <-j.wake:
			if !j.applyDue() {
				continue
			}
		case <-j.hurry:
		case <-tick.C:
		case <-j.stop:
			<-j.syncDone // the last records are durable
			for j.applyPending() {
			}
			return
		}
		for j.applyPending() && j.applyDue() {
		}
	}
}

// applyEvery and applyAtLeast bound how long records wait to be applied
// and how many transfers make it worth applying at once.
var (
	applyEvery   = 100 * time.Millisecond
	applyAtLeast = 4096
)

func (j *journal) applyDue() bool {
	j.amu.Lock()
	defer j.amu.Unlock()
	return j.pendingN >= applyAtLeast
}

// applyAttempts is how often the applier tries a transaction before the
// journal stops taking batches.
var applyAttempts = 20

// applyPending applies one chunk of the pending records and reports
// whether it did any work.
func (j *journal) applyPending() bool {
	j.amu.Lock()
	if j.err != nil || len(j.pending) == 0 {
		j.amu.Unlock()
		return false
	}
	recs := j.pending[:applyChunk(j.pending)]
	durable := len(j.full) > 0 && j.full[0].last <= recs[len(recs)-1].no
	j.amu.Unlock()
	var err error
	for try := 1; try <= applyAttempts; try++ {
		if err = j.db.applyRecords(context.Background(), recs, durable); err == nil {
			break
		}
		time.Sleep(time.Duration(try) * 10 * time.Millisecond)
	}
	if err != nil {
		j.fail(fmt.Errorf("apply to SQLite: %w", err))
		j.amu.Lock()
		close(j.applied) // wake the waiters to see the error
		j.applied = make(chan struct{})
		j.amu.Unlock()
		return false
	}
	j.amu.Lock()
	for _, r := range recs {
		j.ov.remove(r)
		j.pendingN -= len(r.batch.Transfers)
	}
	j.pending = j.pending[len(recs):]
	j.appliedRec = recs[len(recs)-1].no
	for durable && len(j.full) > 0 && j.full[0].last <= j.appliedRec {
		os.Remove(j.full[0].path) // one left behind is replayed as already applied
		j.full = j.full[1:]
	}
	close(j.applied)
	j.applied = make(chan struct{})
	j.amu.Unlock()
	return true
}

// applyRecords writes records into SQLite in one transaction, with the
// number of the last one. Only a durable transaction (synchronous=FULL)
// syncs: the others may be lost in a power cut, and the journal still has
// them. A segment is deleted only after a durable one has passed its end;
// SQLite syncs the WAL, which holds every earlier transaction, at each
// durable commit and each checkpoint.
func (db *DB) applyRecords(ctx context.Context, recs []record, durable bool) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer db.stmts.flush(ctx) // once the connection is back in the pool
	defer conn.Close()
	if !durable {
		if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
			return err
		}
		defer func() {
			// The pool's other users (the wallet's writes) need FULL: a
			// connection that cannot be put back is thrown away.
			if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = FULL`); err != nil {
				conn.Raw(func(any) error { return driver.ErrBadConn })
			}
		}()
	}
	tx, err := db.beginDirect(ctx, conn)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if ts := firstTransfers(recs); len(ts) > 0 && ts[0].Seq != tx.head.Seq+1 {
		return fmt.Errorf("journal record starts at seq %d but SQLite's journal ends at %d: the database was changed beside the journal", ts[0].Seq, tx.head.Seq)
	}
	if err := tx.Write(merge(recs)); err != nil {
		return err
	}
	tx.journalRec = recs[len(recs)-1].no
	return tx.Commit()
}

// close applies what is pending, stops the applier, deletes the segments
// and lets go of the lock. The ledgers on the database must be closed.
func (j *journal) close() error {
	j.mu.Lock()
	j.closed = true
	j.mu.Unlock()
	close(j.stop)
	<-j.done
	j.amu.Lock()
	err := j.err
	j.amu.Unlock()
	if j.seg != nil {
		j.seg.Close()
	}
	if err == nil {
		err = j.db.syncApplied(context.Background())
	}
	if err == nil {
		// Everything is in SQLite, durably: the journal is no longer needed.
		if segs, lerr := listSegments(j.dir); lerr == nil {
			for _, s := range segs {
				os.Remove(s.path)
			}
		}
	}
	if cerr := j.lock.close(); err == nil {
		err = cerr
	}
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// syncApplied makes every transaction applied so far durable: a FULL commit
// syncs the WAL, which holds them all.
func (db *DB) syncApplied(ctx context.Context) error {
	_, err := db.write.ExecContext(ctx, `UPDATE ledger_head SET journal_rec = journal_rec`)
	return err
}

func firstTransfers(recs []record) []*ledger.Transfer {
	for _, r := range recs {
		if len(r.batch.Transfers) > 0 {
			return r.batch.Transfers
		}
	}
	return nil
}

// merge joins consecutive records into one batch, so that SQLite gets one
// multi-row statement per table instead of one per record (a writer batch
// may be a single transfer). Order is kept, and every new hold is inserted
// before any resolution is written, so a hold made and resolved within the
// merged records is stored resolved.
func merge(recs []record) *ledger.Batch {
	if len(recs) == 1 {
		return recs[0].batch
	}
	out := &ledger.Batch{}
	for _, r := range recs {
		b := r.batch
		out.Transfers = append(out.Transfers, b.Transfers...)
		if len(b.Encoded) == len(b.Transfers) {
			out.Encoded = append(out.Encoded, b.Encoded...)
		} else {
			for _, t := range b.Transfers {
				out.Encoded = append(out.Encoded, ledger.EncodedTransfer{Postings: ledger.EncodePostings(t.Postings), Metadata: ledger.EncodeMetadata(t.Metadata)})
			}
		}
		out.Entries = append(out.Entries, b.Entries...)
		out.Rejections = append(out.Rejections, b.Rejections...)
		out.NewHolds = append(out.NewHolds, b.NewHolds...)
		out.Resolved = append(out.Resolved, b.Resolved...)
		if len(b.Transfers) > 0 {
			out.Head = b.Head
		}
	}
	return out
}
