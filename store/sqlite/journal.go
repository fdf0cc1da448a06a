package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/ewallet/ewallet/ledger"
)

// journal is the write path of a database opened with Open: the ledger's
// group commits are made durable by appending them to a journal of our own
// (one write and one fdatasync of a few hundred bytes per transfer) instead
// of by SQLite's commit, and a background applier copies them into SQLite's
// tables in large transactions.
//
// Why: committing to SQLite's B-trees writes whole pages, about 1.7 WAL
// frames of 4 KiB per transfer at 64 transfers a commit, and that commit was
// over half of the single writer's time. The journal's append costs a small
// fraction of that; the B-tree work moves to a second goroutine (the
// machine's second core) and into transactions of thousands of transfers,
// where pages are shared between transfers.
//
// What stays true:
//   - a transfer is acknowledged only once its record is on disk;
//   - records are applied to SQLite in order, each applying transaction
//     also storing the number of the last record it holds (journal_rec), so a
//     restart applies exactly the records SQLite does not hold yet;
//   - the writer decides against SQLite plus the records not applied yet
//     (the overlay), so it sees every committed transfer;
//   - every read of the Store (history, balances, Verify, …) first waits
//     until SQLite holds every record committed before it began.
//
// One process journals a database at a time (an exclusive lock on the
// journal directory); several ledgers in that process take turns as they
// would on SQLite's write lock.
type journal struct {
	db  *DB
	dir string

	lock *lockFile

	// Writer side, held from BeginBatch until Commit or Rollback.
	mu      sync.Mutex
	seg     *os.File
	segSize int64
	head    ledger.Head // the durable journal's end
	nextRec uint64
	ids     *idFilter
	closed  bool

	// Shared with the syncer, the applier and the readers (seg is also
	// read by the syncer).
	amu        sync.Mutex
	unsynced   []record      // committed by the writer, not yet durable, in order
	unwritten  []byte        // their bytes, not yet written
	spare      []byte        // the syncer's other buffer
	synced     chan struct{} // closed and replaced at each sync
	pending    []record      // durable, not yet applied, in order
	pendingN   int           // transfers in pending
	lastRec    uint64        // last durable record
	appliedRec uint64        // last record SQLite holds
	applied    chan struct{}
	full       []segment // closed segments, deleted once applied
	err        error     // sticky: the journal or the applier failed
	ov         overlay

	syncWake chan struct{} // the syncer has work
	wake     chan struct{} // the applier has work
	hurry    chan struct{} // a read waits for the applier
	stop     chan struct{}
	syncDone chan struct{}
	done     chan struct{}
}

// maxLag bounds the transfers that are durable but not yet in SQLite: past
// it the writer waits for the applier, so memory stays bounded and the
// rate a run shows is the rate SQLite keeps up with.
var maxLag = 1 << 15

// maxApply bounds the transfers of one applying transaction.
const maxApply = 1 << 14

// BeginBatch implements ledger.Store: the journaling batch.
func (j *journal) begin(ctx context.Context) (ledger.BatchTx, error) {
	j.mu.Lock()
	if err := j.ready(ctx); err != nil {
		j.mu.Unlock()
		return nil, err
	}
	return &journalTx{j: j, ctx: ctx, head: j.head}, nil
}

// ready checks, under mu, that the journal may take a batch: not failed or
// closed, the applier not too far behind, and the segment not full.
func (j *journal) ready(ctx context.Context) error {
	if j.closed {
		return errors.New("database is closed")
	}
	for {
		j.amu.Lock()
		err, lag, ch := j.err, j.pendingN, j.applied
		j.amu.Unlock()
		if err != nil {
			return err
		}
		if lag <= maxLag {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if j.segSize >= segmentBytes {
		return j.rotate()
	}
	return nil
}

// rotate closes the full segment, once synced, and starts the next one.
func (j *journal) rotate() error {
	if err := j.waitDurable(j.nextRec - 1); err != nil {
		return err
	}
	if err := j.seg.Close(); err != nil {
		return j.fail(fmt.Errorf("close journal segment: %w", err))
	}
	j.amu.Lock()
	j.full = append(j.full, segment{path: j.seg.Name(), last: j.nextRec - 1})
	j.amu.Unlock()
	return j.startSegment()
}

func (j *journal) startSegment() error {
	f, err := os.OpenFile(segmentName(j.dir, j.nextRec), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		return j.fail(fmt.Errorf("start journal segment: %w", err))
	}
	j.amu.Lock()
	j.seg, j.segSize = f, 0
	j.amu.Unlock()
	return nil
}

// fail makes err sticky: once a record may be half on disk, or SQLite
// refuses what the journal holds, nothing more is acknowledged until the
// database is opened again and the journal replayed.
func (j *journal) fail(err error) error {
	j.amu.Lock()
	defer j.amu.Unlock()
	if j.err == nil {
		j.err = fmt.Errorf("ledger journal stopped: %w", err)
	}
	return j.err
}

// caughtUp waits until SQLite holds every record durable when it was
// called, so that a read sees every transfer committed before it began.
func (j *journal) caughtUp(ctx context.Context) error {
	j.amu.Lock()
	target := j.lastRec
	for j.appliedRec < target {
		if j.err != nil {
			err := j.err
			j.amu.Unlock()
			return err
		}
		ch := j.applied
		j.amu.Unlock()
		select {
		case j.hurry <- struct{}{}:
		default:
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		j.amu.Lock()
	}
	j.amu.Unlock()
	return nil
}

// journalTx is one group commit on the journal.
type journalTx struct {
	j    *journal
	ctx  context.Context
	head ledger.Head
	recs []record
	buf  []byte
	done bool
}

func (t *journalTx) Head() ledger.Head { return t.head }

// Priors looks each ID up in the overlay, then, when the ID filter says it
// may have been used, in SQLite. The overlay is read first: a record leaves
// it only after SQLite has committed it, so an ID missing from the overlay
// is in SQLite if anywhere (the writer holds mu: no record is added
// meanwhile).
func (t *journalTx) Priors(ids []string) (map[string]ledger.Prior, error) {
	out := make(map[string]ledger.Prior, len(ids))
	var ask []string
	t.j.amu.Lock()
	for _, id := range ids {
		if p, ok := t.j.ov.priors[id]; ok {
			out[id] = p.v
		} else if t.j.ids.mayContain(id) {
			ask = append(ask, id)
		}
	}
	t.j.amu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	return out, priorsFrom(t.ctx, t.j.db.read, ask, out)
}

func (t *journalTx) Accounts(ids []ledger.AccountID) (map[ledger.AccountID]ledger.Account, error) {
	t.j.amu.Lock()
	newer := make(map[ledger.AccountID]ledger.AccountBalance)
	for _, id := range ids {
		if b, ok := t.j.ov.balances[id]; ok {
			newer[id] = b.v
		}
	}
	t.j.amu.Unlock()
	out, err := accountsFrom(t.ctx, t.j.db.read, ids)
	for id, b := range newer {
		if a, ok := out[id]; ok {
			a.Posted, a.Held, a.LastSeq = b.Posted, b.Held, b.LastSeq
			out[id] = a
		}
	}
	return out, err
}

func (t *journalTx) Holds(ids []string) (map[string]ledger.HoldState, error) {
	out := make(map[string]ledger.HoldState, len(ids))
	var ask []string
	t.j.amu.Lock()
	for _, id := range ids {
		if h, ok := t.j.ov.holds[id]; ok {
			out[id] = h.v
		} else {
			ask = append(ask, id)
		}
	}
	t.j.amu.Unlock()
	if len(ask) == 0 {
		return out, nil
	}
	return out, holdsFrom(t.ctx, t.j.db.read, ask, out)
}

// Write encodes the batch as the journal's next record; Commit writes it.
func (t *journalTx) Write(b *ledger.Batch) error {
	if len(b.Transfers) == 0 && len(b.Rejections) == 0 && len(b.NewHolds) == 0 && len(b.Resolved) == 0 {
		return nil
	}
	no := t.j.nextRec + uint64(len(t.recs))
	kept := *b // the ledger starts a new Batch after each Write
	t.buf = appendRecord(t.buf, no, &kept)
	t.recs = append(t.recs, record{no: no, batch: &kept})
	if len(b.Transfers) > 0 {
		t.head = b.Head
	}
	return nil
}

// CommitAsync implements ledger.PipelinedCommit: it queues the batch's
// records for the syncer and lets the next batch begin, which sees them
// through the overlay. The syncer writes and syncs them with whatever else
// was queued meanwhile: one write and one fdatasync for many batches.
func (t *journalTx) CommitAsync() (func() error, error) {
	if t.done {
		return nil, errors.New("batch already finished")
	}
	t.done = true
	j := t.j
	defer j.mu.Unlock()
	if len(t.recs) > 0 {
		j.segSize += int64(len(t.buf))
		j.nextRec += uint64(len(t.recs))
		j.head = t.head
		for _, r := range t.recs {
			for _, tr := range r.batch.Transfers {
				j.ids.add(tr.ID)
			}
			for _, rj := range r.batch.Rejections {
				j.ids.add(rj.ID)
			}
		}
		j.amu.Lock()
		for _, r := range t.recs {
			j.ov.add(r)
		}
		j.unsynced = append(j.unsynced, t.recs...)
		j.unwritten = append(j.unwritten, t.buf...)
		j.amu.Unlock()
		select {
		case j.syncWake <- struct{}{}:
		default:
		}
	}
	// Even a batch that wrote nothing may have answered from a record not
	// durable yet (a retry of a transfer in the batch before): it waits for
	// everything appended so far.
	target := j.nextRec - 1
	return func() error { return j.waitDurable(target) }, nil
}

// Commit is CommitAsync and its wait.
func (t *journalTx) Commit() error {
	wait, err := t.CommitAsync()
	if err != nil {
		return err
	}
	return wait()
}

// waitDurable waits until record rec is durable, or the journal failed.
func (j *journal) waitDurable(rec uint64) error {
	j.amu.Lock()
	defer j.amu.Unlock()
	for j.lastRec < rec {
		if j.err != nil {
			return j.err
		}
		ch := j.synced
		j.amu.Unlock()
		<-ch
		j.amu.Lock()
	}
	return nil
}

// syncLoop makes committed records durable: each round writes and syncs
// every record queued before it began, so the writer never waits for the
// disk and one sync serves as many batches as arrived while the last one
// ran. Durable records go to the applier.
func (j *journal) syncLoop() {
	defer close(j.syncDone)
	for {
		select {
		case <-j.syncWake:
		case <-j.stop:
			j.syncOnce()
			return
		}
		j.syncOnce()
	}
}

func (j *journal) syncOnce() {
	j.amu.Lock()
	if len(j.unsynced) == 0 {
		j.amu.Unlock()
		return
	}
	// Two buffers take turns: the writer fills one while the syncer writes
	// the other. They must never be the same array.
	recs, f, buf := j.unsynced, j.seg, j.unwritten
	j.unsynced, j.unwritten, j.spare = nil, j.spare[:0], nil
	j.amu.Unlock()
	_, err := f.Write(buf)
	if err == nil {
		err = syscall.Fdatasync(int(f.Fd()))
	}
	j.amu.Lock()
	j.spare = buf[:0]
	j.amu.Unlock()
	if err != nil {
		j.fail(fmt.Errorf("sync: %w", err))
	}
	j.amu.Lock()
	if err == nil {
		j.pending = append(j.pending, recs...)
		for _, r := range recs {
			j.pendingN += len(r.batch.Transfers)
		}
		j.lastRec = recs[len(recs)-1].no
	}
	close(j.synced)
	j.synced = make(chan struct{})
	j.amu.Unlock()
	select {
	case j.wake <- struct{}{}:
	default:
	}
}

func (t *journalTx) Rollback() error {
	if !t.done {
		t.done = true
		t.j.mu.Unlock()
	}
	return nil
}

// overlay is what the records not yet applied changed, for the writer's
// look-ups. Each value carries the record that last set it, so that
// applying a record removes only what no later record has set again.
type overlay struct {
	priors   map[string]tagged[ledger.Prior]
	holds    map[string]tagged[ledger.HoldState]
	balances map[ledger.AccountID]tagged[ledger.AccountBalance]
}

type tagged[T any] struct {
	rec uint64
	v   T
}

func (o *overlay) add(r record) {
	if o.priors == nil {
		o.priors = map[string]tagged[ledger.Prior]{}
		o.holds = map[string]tagged[ledger.HoldState]{}
		o.balances = map[ledger.AccountID]tagged[ledger.AccountBalance]{}
	}
	b := r.batch
	for _, t := range b.Transfers {
		o.priors[t.ID] = tagged[ledger.Prior]{r.no, ledger.Prior{Fingerprint: t.RequestHash, Transfer: t}}
	}
	for _, rj := range b.Rejections {
		o.priors[rj.ID] = tagged[ledger.Prior]{r.no, ledger.Prior{Fingerprint: rj.Fingerprint, Err: &ledger.Error{Code: rj.Code, Message: rj.Message}}}
	}
	for _, hs := range [][]ledger.HoldState{b.NewHolds, b.Resolved} {
		for _, h := range hs {
			o.holds[h.ID] = tagged[ledger.HoldState]{r.no, h}
		}
	}
	for _, a := range b.Balances {
		o.balances[a.ID] = tagged[ledger.AccountBalance]{r.no, a}
	}
}

// remove drops what record r set, unless a later record set it again.
func (o *overlay) remove(r record) {
	b := r.batch
	for _, t := range b.Transfers {
		dropIfFrom(o.priors, t.ID, r.no)
	}
	for _, rj := range b.Rejections {
		dropIfFrom(o.priors, rj.ID, r.no)
	}
	for _, hs := range [][]ledger.HoldState{b.NewHolds, b.Resolved} {
		for _, h := range hs {
			dropIfFrom(o.holds, h.ID, r.no)
		}
	}
	for _, a := range b.Balances {
		dropIfFrom(o.balances, a.ID, r.no)
	}
}

func dropIfFrom[K comparable, T any](m map[K]tagged[T], k K, rec uint64) {
	if v, ok := m[k]; ok && v.rec <= rec {
		delete(m, k)
	}
}
