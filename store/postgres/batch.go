package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ewallet/ewallet/ledger"
)

// batchTx is one ledger write transaction on a connection of the write pool.
//
// Locking: BeginBatch sends BEGIN and SELECT … FROM ledger_head FOR UPDATE
// in one round trip and returns only once the head row is locked. Every batch
// of every process takes that lock first, so batches run one after another
// across processes, and balances, holds and the journal change only under it.
//
// READ COMMITTED is enough under that rule, and is what makes it work: each
// later statement of the batch takes a fresh snapshot, after the lock was
// granted, so it sees everything the previous holder committed, and nothing
// it reads can change before it commits, since changing it needs the lock.
// (REPEATABLE READ would fix its snapshot at the locking statement, before
// the wait, and then fail with 40001 on the row it waited for.) CockroachDB
// runs the same statements serialisably (unless READ COMMITTED is enabled
// there) and reports conflicts as 40001, which the ledger's writer retries.
type batchTx struct {
	ctx  context.Context
	db   *DB
	conn *pgx.Conn
	head ledger.Head
	done bool
}

// BeginBatch implements ledger.Store.
func (db *DB) BeginBatch(ctx context.Context) (ledger.BatchTx, error) {
	c, err := db.write.acquire(ctx)
	if err != nil {
		return nil, err
	}
	b := &batchTx{ctx: ctx, db: db, conn: c}
	var q pgx.Batch
	q.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	q.Queue(`SELECT seq, hash, time FROM ledger_head FOR UPDATE`)
	br := c.SendBatch(ctx, &q)
	var hash []byte
	var t pgtype.Timestamptz
	_, err1 := br.Exec()
	err2 := br.QueryRow().Scan(&b.head.Seq, &hash, &t)
	err3 := br.Close()
	if err := cmp.Or(err1, err2, err3); err != nil { // the first: the later ones repeat it
		b.Rollback()
		return nil, classify(fmt.Errorf("lock head: %w", err))
	}
	b.head.Hash, b.head.Time = hash32(hash), fromTimestamptz(t)
	return b, nil
}

func (b *batchTx) Head() ledger.Head { return b.head }

func (b *batchTx) Priors(ids []string) (map[string]ledger.Prior, error) {
	out := make(map[string]ledger.Prior, len(ids))
	var q pgx.Batch
	q.Queue(`SELECT `+transferCols+` FROM transfers WHERE id = ANY($1)`, ids)
	q.Queue(`SELECT id, fp, code, message FROM rejections WHERE id = ANY($1)`, ids)
	br := b.conn.SendBatch(b.ctx, &q)
	defer br.Close()
	err := batchRows(br, func(r pgx.Rows) error {
		t, err := scanTransfer(r)
		if err == nil {
			out[t.ID] = ledger.Prior{Fingerprint: t.RequestHash, Transfer: t}
		}
		return err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("look up transfer ids: %w", err))
	}
	err = batchRows(br, func(r pgx.Rows) error {
		var id, code, msg string
		var fp []byte
		err := r.Scan(&id, &fp, &code, &msg)
		out[id] = ledger.Prior{Fingerprint: hash32(fp), Err: &ledger.Error{Code: ledger.Code(code), Message: msg}}
		return err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("look up rejections: %w", err))
	}
	return out, classify(br.Close())
}

// batchRows reads the next query's rows from a pipelined batch.
func batchRows(br pgx.BatchResults, row func(pgx.Rows) error) error {
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (b *batchTx) Accounts(ids []ledger.AccountID) (map[ledger.AccountID]ledger.Account, error) {
	out := make(map[ledger.AccountID]ledger.Account, len(ids))
	err := each(b.ctx, b.conn, `SELECT `+accountCols+` FROM accounts WHERE id = ANY($1)`, []any{accountIDs(ids)}, func(r pgx.Rows) error {
		a, err := scanAccount(r)
		out[a.ID] = a
		return err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("load accounts: %w", err))
	}
	return out, nil
}

func (b *batchTx) Holds(ids []string) (map[string]ledger.HoldState, error) {
	out := make(map[string]ledger.HoldState, len(ids))
	err := each(b.ctx, b.conn, `SELECT `+holdCols+` FROM holds h JOIN transfers t ON t.seq = h.seq WHERE h.id = ANY($1)`, []any{ids}, func(r pgx.Rows) error {
		h, err := scanHold(r)
		out[h.ID] = h
		return err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("load holds: %w", err))
	}
	return out, nil
}

// Write sends every write of the batch in one pipelined round trip; see write.go.
func (b *batchTx) Write(w *ledger.Batch) error {
	var q pgx.Batch
	steps := queueWrites(&q, w)
	br := b.conn.SendBatch(b.ctx, &q)
	for _, step := range steps {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return classify(fmt.Errorf("%s: %w", step, err))
		}
	}
	return classify(br.Close())
}

// Commit implements ledger.BatchTx; it returns once the server has synced
// the commit record.
func (b *batchTx) Commit() error {
	if b.done {
		return errors.New("postgres: batch already ended")
	}
	tag, err := b.conn.Exec(b.ctx, `COMMIT`)
	b.end(err != nil)
	if err != nil {
		return classify(fmt.Errorf("commit: %w", err))
	}
	if tag.String() != "COMMIT" { // a failed transaction "commits" as ROLLBACK
		return errors.New("commit: the transaction had failed and was rolled back")
	}
	return nil
}

// Rollback implements ledger.BatchTx; after Commit it does nothing.
func (b *batchTx) Rollback() error {
	if b.done {
		return nil
	}
	var err error
	if !b.conn.IsClosed() && b.conn.PgConn().TxStatus() != 'I' {
		_, err = b.conn.Exec(b.ctx, `ROLLBACK`)
	}
	b.end(err != nil)
	return err
}

// end hands the connection back; one whose state is in doubt is dropped.
func (b *batchTx) end(broken bool) {
	b.done = true
	b.db.write.release(b.conn, broken)
}
