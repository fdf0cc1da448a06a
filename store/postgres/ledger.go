package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ewallet/ewallet/ledger"
)

var _ ledger.Store = (*DB)(nil)

// withRead runs fn on a connection of the read pool.
func (db *DB) withRead(ctx context.Context, fn func(c *pgx.Conn) error) error {
	c, err := db.read.acquire(ctx)
	if err != nil {
		return err
	}
	defer db.read.release(c, false)
	return fn(c)
}

// CreateAccounts implements ledger.Store. It creates all the new names or
// none: if one spec clashes with an existing account, nothing is created.
// A name that another process is creating at the same moment makes the
// insert wait for it and then skip the name, so the read-back finds that
// process's row. Ids follow the specs' order.
func (db *DB) CreateAccounts(ctx context.Context, specs []ledger.AccountSpec) ([]ledger.Account, error) {
	if len(specs) == 0 {
		return []ledger.Account{}, nil
	}
	names := make([]string, len(specs))
	curs := make([]string, len(specs))
	flags := make([]int32, len(specs))
	for i, s := range specs {
		names[i], curs[i], flags[i] = s.Name, string(s.Currency), int32(s.Flags)
	}
	now := db.now().UTC().Truncate(ledger.TimePrecision)
	var out []ledger.Account
	err := retry(ctx, func() error {
		c, err := db.write.acquire(ctx)
		if err != nil {
			return err
		}
		defer db.write.release(c, false)
		tx, err := c.Begin(ctx)
		if err != nil {
			return classify(err)
		}
		defer tx.Rollback(ctx)
		if out, err = createAccounts(ctx, tx, specs, names, curs, flags, now); err != nil {
			return err
		}
		return classify(tx.Commit(ctx))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// createAccounts inserts and reads back the accounts in one round trip.
func createAccounts(ctx context.Context, tx pgx.Tx, specs []ledger.AccountSpec, names, curs []string, flags []int32, now time.Time) ([]ledger.Account, error) {
	var b pgx.Batch
	b.Queue(`INSERT INTO accounts (name, currency, flags, created_at)
		SELECT v.name, v.currency, v.flags, $4 FROM unnest($1::text[], $2::text[], $3::integer[]) WITH ORDINALITY AS v(name, currency, flags, ord)
		ORDER BY v.ord
		ON CONFLICT (name) DO NOTHING`, names, curs, flags, now)
	b.Queue(`SELECT `+accountCols+` FROM accounts WHERE name = ANY($1)`, names)
	br := tx.SendBatch(ctx, &b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return nil, classify(fmt.Errorf("insert accounts: %w", err))
	}
	byName := make(map[string]ledger.Account, len(specs))
	err := batchRows(br, func(r pgx.Rows) error {
		a, err := scanAccount(r)
		byName[a.Name] = a
		return err
	})
	if err != nil {
		return nil, classify(fmt.Errorf("read accounts: %w", err))
	}
	out := make([]ledger.Account, len(specs))
	for i, s := range specs {
		a := byName[s.Name]
		if a.Currency != s.Currency || a.Flags != s.Flags {
			return nil, &ledger.Error{Code: ledger.CodeAccountExists, Message: fmt.Sprintf("account %q exists with another currency or flags", s.Name)}
		}
		out[i] = a
	}
	return out, classify(br.Close())
}

// Account implements ledger.Store.
func (db *DB) Account(ctx context.Context, id ledger.AccountID) (a ledger.Account, err error) {
	err = db.withRead(ctx, func(c *pgx.Conn) error {
		a, err = scanAccount(c.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, int64(id)))
		return err
	})
	return a, notFound("account", err)
}

// AccountByName implements ledger.Store.
func (db *DB) AccountByName(ctx context.Context, name string) (a ledger.Account, err error) {
	err = db.withRead(ctx, func(c *pgx.Conn) error {
		a, err = scanAccount(c.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE name = $1`, name))
		return err
	})
	return a, notFound("account", err)
}

// Transfer implements ledger.Store.
func (db *DB) Transfer(ctx context.Context, id string) (ledger.Transfer, error) {
	var t *ledger.Transfer
	err := db.withRead(ctx, func(c *pgx.Conn) (err error) {
		t, err = scanTransfer(c.QueryRow(ctx, `SELECT `+transferCols+` FROM transfers WHERE id = $1`, id))
		return err
	})
	if err != nil {
		return ledger.Transfer{}, notFound("transfer", err)
	}
	return *t, nil
}

// History implements ledger.Store.
func (db *DB) History(ctx context.Context, account ledger.AccountID, beforeSeq int64, limit int) ([]ledger.Entry, error) {
	if beforeSeq <= 0 {
		beforeSeq = 1<<63 - 1
	}
	var out []ledger.Entry
	err := db.withRead(ctx, func(c *pgx.Conn) error {
		return each(ctx, c, `SELECT `+entryCols+` FROM entries WHERE account_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
			[]any{int64(account), beforeSeq, limit}, func(r pgx.Rows) error {
				e, err := scanEntry(r)
				out = append(out, e)
				return err
			})
	})
	return out, err
}

// EntryAt implements ledger.Store.
func (db *DB) EntryAt(ctx context.Context, account ledger.AccountID, seq int64) (e ledger.Entry, err error) {
	err = db.withRead(ctx, func(c *pgx.Conn) error {
		e, err = scanEntry(c.QueryRow(ctx, `SELECT `+entryCols+` FROM entries WHERE account_id = $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1`, int64(account), seq))
		return err
	})
	return e, notFound("entry", err)
}

// SeqAt implements ledger.Store. Commit times never decrease along the
// journal, so a binary search over sequences needs no index on time.
func (db *DB) SeqAt(ctx context.Context, t time.Time) (seq int64, err error) {
	err = db.withRead(ctx, func(c *pgx.Conn) error {
		var head int64
		if err := c.QueryRow(ctx, `SELECT seq FROM ledger_head`).Scan(&head); err != nil {
			return err
		}
		lo, hi := int64(0), head // invariant: time(lo) <= t (lo = 0 stands for "before the journal"), time(hi+1) > t
		for lo < hi {
			mid := lo + (hi-lo+1)/2
			var at time.Time
			if err := c.QueryRow(ctx, `SELECT created_at FROM transfers WHERE seq = $1`, mid).Scan(&at); err != nil {
				return fmt.Errorf("seq %d: %w", mid, err)
			}
			if !at.After(t) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		seq = lo
		return nil
	})
	return seq, err
}

// ExpiredHolds implements ledger.Store. The status is a literal (1 is
// ledger.HoldPending) so that the planner can prove the partial index
// holds_pending_expiry applies, even in a generic prepared plan.
func (db *DB) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := db.withRead(ctx, func(c *pgx.Conn) error {
		return each(ctx, c, `SELECT id FROM holds WHERE status = 1 AND expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
			[]any{now, limit}, func(r pgx.Rows) error {
				var id string
				err := r.Scan(&id)
				ids = append(ids, id)
				return err
			})
	})
	return ids, err
}

// TransfersBySeq implements ledger.Store.
func (db *DB) TransfersBySeq(ctx context.Context, seqs []int64) ([]ledger.Transfer, error) {
	var out []ledger.Transfer
	err := db.withRead(ctx, func(c *pgx.Conn) error {
		out = out[:0]
		return each(ctx, c, `SELECT `+transferCols+` FROM transfers WHERE seq = ANY($1) ORDER BY seq`, []any{seqs}, func(r pgx.Rows) error {
			t, err := scanTransfer(r)
			if err == nil {
				out = append(out, *t)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("transfers by seq: %w", err)
	}
	return out, nil
}

// HoldStates implements ledger.Store.
func (db *DB) HoldStates(ctx context.Context, ids []string) (map[string]ledger.HoldState, error) {
	out := make(map[string]ledger.HoldState, len(ids))
	err := db.withRead(ctx, func(c *pgx.Conn) error {
		return each(ctx, c, `SELECT `+holdCols+` FROM holds h JOIN transfers t ON t.seq = h.seq WHERE h.id = ANY($1)`, []any{ids}, func(r pgx.Rows) error {
			h, err := scanHold(r)
			out[h.ID] = h
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("hold states: %w", err)
	}
	return out, nil
}
