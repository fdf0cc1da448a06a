package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ewallet/ewallet/ledger"
)

// batchTx is a ledger write transaction. BEGIN IMMEDIATE takes SQLite's
// write lock before the head is read, which is the head lock the ledger's
// locking contract asks for, across processes too.
type batchTx struct {
	ctx   context.Context
	tx    *sql.Tx
	st    txStmts
	head  ledger.Head
	moved bool // a Write stored transfers: Commit writes the head
	// journalRec, when set, is the last journal record this transaction
	// applies; Commit stores it with the head.
	journalRec uint64
	pinned     bool // on a connection taken from the pool: see beginDirect
}

// flush prepares the statements this transaction used unprepared, on the
// pool, which needs the pool's connection back first.
func (b *batchTx) flush() {
	if !b.pinned {
		b.st.cache.flush(b.ctx)
	}
}

// walRestartFrames is how long the WAL may grow (16 MiB of 4 KiB pages)
// before the writer restarts it; see restartWAL.
var walRestartFrames int64 = 4096

// restartWAL lets the WAL start again from its beginning. SQLite restarts
// the WAL when a write transaction begins while every frame in it has been
// copied into the database. Under a steady load the background
// checkpointer never wins that race: the writer appends while it copies,
// and the WAL grew by gigabytes in a minute, every commit appending to new
// blocks of the file. So when the WAL is long, the writer itself, between
// two batches, copies the frames the checkpointer has not copied yet (its
// last 50 ms or so) and the next batch starts the WAL over.
func (db *DB) restartWAL(ctx context.Context, c writeConn) {
	if db.walFrames.Load() < walRestartFrames {
		return
	}
	db.walFrames.Store(0)
	// PASSIVE: if the background checkpointer is busy right now, this does
	// what it can and the next long WAL tries again.
	c.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
}

// BeginBatch implements ledger.Store. A database opened with Open commits
// through its journal (journal.go); one opened with OpenShared commits
// straight into SQLite, which several processes may do at once.
func (db *DB) BeginBatch(ctx context.Context) (ledger.BatchTx, error) {
	if db.journal != nil {
		return db.journal.begin(ctx)
	}
	if err := db.shareWrites(); err != nil {
		return nil, err
	}
	return db.beginDirect(ctx, db.write)
}

// writeConn is the writer pool or one connection taken from it.
type writeConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// beginDirect starts a write transaction on SQLite holding its write lock.
// On a connection taken from the pool (c is not db.write), the statements
// it could not find prepared are left for the caller to flush once it has
// given the connection back.
func (db *DB) beginDirect(ctx context.Context, c writeConn) (*batchTx, error) {
	db.restartWAL(ctx, c)
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	b := &batchTx{ctx: ctx, tx: tx, st: txStmts{ctx: ctx, tx: tx, cache: &db.stmts}, pinned: c != writeConn(db.write)}
	var hash []byte
	var t int64
	// From the statement cache like every other statement of the batch:
	// preparing it anew took ~2% of the writer's time.
	s, err := b.st.stmt(`SELECT seq, hash, time FROM ledger_head`)
	if err == nil {
		err = s.QueryRowContext(ctx).Scan(&b.head.Seq, &hash, &t)
	}
	if err != nil {
		tx.Rollback()
		b.flush()
		return nil, fmt.Errorf("read head: %w", err)
	}
	copy(b.head.Hash[:], hash)
	b.head.Time = fromNanos(t)
	return b, nil
}

func (b *batchTx) Head() ledger.Head { return b.head }

func (b *batchTx) Priors(ids []string) (map[string]ledger.Prior, error) {
	out := map[string]ledger.Prior{}
	return out, priorsFrom(b.ctx, b.st, ids, out)
}

// priorsFrom adds to out what each of ids became: a transfer or a refusal.
func priorsFrom(ctx context.Context, q querier, ids []string, out map[string]ledger.Prior) error {
	err := queryIn(ctx, q, `SELECT `+transferCols+` FROM transfers WHERE id`, ``, ids, func(r *sql.Rows) error {
		t, err := scanTransfer(r)
		if err != nil {
			return err
		}
		out[t.ID] = ledger.Prior{Fingerprint: t.RequestHash, Transfer: t}
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up transfer ids: %w", err)
	}
	err = queryIn(ctx, q, `SELECT id, fp, code, message FROM rejections WHERE id`, ``, ids, func(r *sql.Rows) error {
		var id, code, msg string
		var fp []byte
		if err := r.Scan(&id, &fp, &code, &msg); err != nil {
			return err
		}
		p := ledger.Prior{Err: &ledger.Error{Code: ledger.Code(code), Message: msg}}
		copy(p.Fingerprint[:], fp)
		out[id] = p
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up rejections: %w", err)
	}
	return nil
}

func (b *batchTx) Accounts(ids []ledger.AccountID) (map[ledger.AccountID]ledger.Account, error) {
	return accountsFrom(b.ctx, b.st, ids)
}

func accountsFrom(ctx context.Context, q querier, ids []ledger.AccountID) (map[ledger.AccountID]ledger.Account, error) {
	out := make(map[ledger.AccountID]ledger.Account, len(ids))
	err := queryIn(ctx, q, selectAccounts+`WHERE a.id`, ``, ids, func(r *sql.Rows) error {
		a, err := scanAccount(r)
		out[a.ID] = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load accounts: %w", err)
	}
	return out, nil
}

func (b *batchTx) Holds(ids []string) (map[string]ledger.HoldState, error) {
	out := make(map[string]ledger.HoldState, len(ids))
	return out, holdsFrom(b.ctx, b.st, ids, out)
}

func holdsFrom(ctx context.Context, q querier, ids []string, out map[string]ledger.HoldState) error {
	err := queryIn(ctx, q, `SELECT h.id, h.seq, h.status, h.expires_at, h.resolved_by, t.postings FROM holds h JOIN transfers t ON t.seq = h.seq WHERE h.id`, ``, ids, func(r *sql.Rows) error {
		h, err := scanHold(r)
		out[h.ID] = h
		return err
	})
	if err != nil {
		return fmt.Errorf("load holds: %w", err)
	}
	return nil
}

func scanHold(s scanner) (ledger.HoldState, error) {
	var h ledger.HoldState
	var exp int64
	var postings string
	if err := s.Scan(&h.ID, &h.Seq, &h.Status, &exp, &h.ResolvedBy, &postings); err != nil {
		return h, err
	}
	h.ExpiresAt = fromNanos(exp)
	var err error
	h.Postings, err = ledger.DecodePostings(postings)
	return h, err
}

// Write's statements say OR FAIL. A multi-row statement whose constraint
// failure would ABORT (the default) must be able to undo its own rows while
// keeping the transaction's, so SQLite copies every page it is about to
// change into a statement journal first: 5-8% of the writer's time went into
// those copies. FAIL stops the statement where it failed and undoes nothing,
// which is all the writer needs: a batch whose rows the database refuses is
// rolled back whole and retried request by request. (Profiles show the
// entries insert no longer journals; the transfers insert still does a
// little, most likely for its explicit INTEGER PRIMARY KEY.)
func (b *batchTx) Write(w *ledger.Batch) error {
	st := b.st
	encoded := len(w.Encoded) == len(w.Transfers)
	err := execRows(st, `INSERT OR FAIL INTO transfers (seq, id, type, kind, hold_id, expires_at, postings, metadata, created_at, fp, hash)`, ``, 11, len(w.Transfers),
		func(i int, args []any) []any {
			t := w.Transfers[i]
			var postings, metadata string
			if encoded {
				postings, metadata = w.Encoded[i].Postings, w.Encoded[i].Metadata
			} else {
				postings, metadata = ledger.EncodePostings(t.Postings), ledger.EncodeMetadata(t.Metadata)
			}
			return append(args, t.Seq, t.ID, int64(t.Type), t.Kind, t.HoldID, nanos(t.ExpiresAt),
				postings, metadata, nanos(t.Time), t.RequestHash[:], t.Hash[:])
		})
	if err != nil {
		return fmt.Errorf("insert transfers: %w", err)
	}
	err = execRows(st, `INSERT OR FAIL INTO entries (`+entryCols+`)`, ``, 6, len(w.Entries),
		func(i int, args []any) []any {
			e := &w.Entries[i]
			return append(args, e.Account, e.Seq, e.Amount, e.HeldDelta, e.Balance, e.HeldAfter)
		})
	if err != nil {
		return fmt.Errorf("insert entries: %w", err)
	}
	err = execRows(st, `INSERT OR FAIL INTO rejections (id, fp, code, message, created_at)`, ``, 5, len(w.Rejections),
		func(i int, args []any) []any {
			r := &w.Rejections[i]
			return append(args, r.ID, r.Fingerprint[:], string(r.Code), r.Message, nanos(r.Time))
		})
	if err != nil {
		return fmt.Errorf("insert rejections: %w", err)
	}
	// w.Balances needs no write: the entries just inserted are the balances.
	err = execRows(st, `INSERT OR FAIL INTO holds (id, seq, status, expires_at)`, ``, 4, len(w.NewHolds),
		func(i int, args []any) []any {
			h := &w.NewHolds[i]
			return append(args, h.ID, h.Seq, int64(h.Status), nanos(h.ExpiresAt))
		})
	if err != nil {
		return fmt.Errorf("insert holds: %w", err)
	}
	err = execRows(st, `WITH v(id, status, resolved_by) AS (`, `) UPDATE OR FAIL holds SET status = v.status, resolved_by = v.resolved_by FROM v WHERE holds.id = v.id`, 3, len(w.Resolved),
		func(i int, args []any) []any {
			h := &w.Resolved[i]
			return append(args, h.ID, int64(h.Status), h.ResolvedBy)
		})
	if err != nil {
		return fmt.Errorf("resolve holds: %w", err)
	}
	if len(w.Transfers) > 0 {
		b.head, b.moved = w.Head, true
	}
	return nil
}

// Commit writes the head once for the whole batch, however many rounds of
// Write it had, then commits.
func (b *batchTx) Commit() error {
	var err error
	if b.moved {
		err = b.st.exec(`UPDATE ledger_head SET seq = ?, hash = ?, time = ?`, b.head.Seq, b.head.Hash[:], nanos(b.head.Time))
	}
	if err == nil && b.journalRec > 0 {
		err = b.st.exec(`UPDATE ledger_head SET journal_rec = ?`, int64(b.journalRec))
	}
	if err != nil {
		err = fmt.Errorf("update head: %w", err)
		b.tx.Rollback()
	}
	if err == nil {
		err = b.tx.Commit()
	}
	b.flush()
	return err
}

func (b *batchTx) Rollback() error {
	err := b.tx.Rollback()
	b.flush()
	return err
}
