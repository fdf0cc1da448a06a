package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

var _ ledger.Store = (*DB)(nil)

// selectAccounts reads accounts with their balances, which are those of each
// account's newest entry (two index seeks per account).
const selectAccounts = `SELECT a.id, a.name, a.currency, a.flags, COALESCE(e.balance, 0), COALESCE(e.held_after, 0), COALESCE(e.seq, 0), a.created_at
FROM accounts a LEFT JOIN entries e ON e.account_id = a.id AND e.seq = (SELECT max(seq) FROM entries WHERE account_id = a.id) `

type scanner interface{ Scan(dest ...any) error }

func scanAccount(s scanner) (ledger.Account, error) {
	var a ledger.Account
	var cur string
	var created int64
	err := s.Scan(&a.ID, &a.Name, &cur, &a.Flags, &a.Posted, &a.Held, &a.LastSeq, &created)
	a.Currency, a.CreatedAt = money.Currency(cur), fromNanos(created)
	return a, err
}

func notFound(what string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &ledger.Error{Code: ledger.CodeNotFound, Message: what + " not found"}
	}
	return err
}

// CreateAccounts implements ledger.Store.
func (db *DB) CreateAccounts(ctx context.Context, specs []ledger.AccountSpec) ([]ledger.Account, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := db.now().UTC().Truncate(ledger.TimePrecision).UnixNano()
	st := txStmts{ctx: ctx, tx: tx, cache: &db.stmts}
	err = execRows(st, `INSERT INTO accounts (name, currency, flags, created_at)`, `ON CONFLICT (name) DO NOTHING`, 4, len(specs),
		func(i int, args []any) []any {
			return append(args, specs[i].Name, string(specs[i].Currency), int64(specs[i].Flags), now)
		})
	if err != nil {
		return nil, fmt.Errorf("insert accounts: %w", err)
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	byName := make(map[string]ledger.Account, len(specs))
	err = queryIn(ctx, st, selectAccounts+`WHERE a.name`, ``, names, func(r *sql.Rows) error {
		a, err := scanAccount(r)
		byName[a.Name] = a
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	// Check before committing, so that a refused call creates nothing.
	out := make([]ledger.Account, len(specs))
	for i, s := range specs {
		a := byName[s.Name]
		if a.Currency != s.Currency || a.Flags != s.Flags {
			return nil, &ledger.Error{Code: ledger.CodeAccountExists, Message: fmt.Sprintf("account %q exists with another currency or flags", s.Name)}
		}
		out[i] = a
	}
	err = tx.Commit()
	db.stmts.flush(ctx)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Account implements ledger.Store.
func (db *DB) Account(ctx context.Context, id ledger.AccountID) (ledger.Account, error) {
	if err := db.caughtUp(ctx); err != nil {
		return ledger.Account{}, err
	}
	a, err := scanAccount(db.read.QueryRowContext(ctx, selectAccounts+`WHERE a.id = ?`, id))
	return a, notFound("account", err)
}

// AccountByName implements ledger.Store.
func (db *DB) AccountByName(ctx context.Context, name string) (ledger.Account, error) {
	if err := db.caughtUp(ctx); err != nil {
		return ledger.Account{}, err
	}
	a, err := scanAccount(db.read.QueryRowContext(ctx, selectAccounts+`WHERE a.name = ?`, name))
	return a, notFound("account", err)
}

const transferCols = `seq, id, type, kind, hold_id, expires_at, postings, metadata, created_at, fp, hash`

func scanTransfer(s scanner) (*ledger.Transfer, error) {
	var t ledger.Transfer
	var typ uint8
	var exp, created int64
	var postings, meta string
	var fp, hash []byte
	if err := s.Scan(&t.Seq, &t.ID, &typ, &t.Kind, &t.HoldID, &exp, &postings, &meta, &created, &fp, &hash); err != nil {
		return nil, err
	}
	if err := t.DecodeStored(postings, meta); err != nil {
		return nil, err
	}
	t.Type, t.ExpiresAt, t.Time = ledger.Type(typ), fromNanos(exp), fromNanos(created)
	copy(t.RequestHash[:], fp)
	copy(t.Hash[:], hash)
	return &t, nil
}

// Transfer implements ledger.Store.
func (db *DB) Transfer(ctx context.Context, id string) (ledger.Transfer, error) {
	if err := db.caughtUp(ctx); err != nil {
		return ledger.Transfer{}, err
	}
	t, err := scanTransfer(db.read.QueryRowContext(ctx, `SELECT `+transferCols+` FROM transfers WHERE id = ?`, id))
	if err != nil {
		return ledger.Transfer{}, notFound("transfer", err)
	}
	return *t, nil
}

const entryCols = `account_id, seq, amount, held_delta, balance, held_after`

func scanEntry(s scanner) (ledger.Entry, error) {
	var e ledger.Entry
	err := s.Scan(&e.Account, &e.Seq, &e.Amount, &e.HeldDelta, &e.Balance, &e.HeldAfter)
	return e, err
}

// History implements ledger.Store.
func (db *DB) History(ctx context.Context, account ledger.AccountID, beforeSeq int64, limit int) ([]ledger.Entry, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	if beforeSeq <= 0 {
		beforeSeq = 1<<63 - 1
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+entryCols+` FROM entries WHERE account_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, account, beforeSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EntryAt implements ledger.Store.
func (db *DB) EntryAt(ctx context.Context, account ledger.AccountID, seq int64) (ledger.Entry, error) {
	if err := db.caughtUp(ctx); err != nil {
		return ledger.Entry{}, err
	}
	e, err := scanEntry(db.read.QueryRowContext(ctx, `SELECT `+entryCols+` FROM entries WHERE account_id = ? AND seq <= ? ORDER BY seq DESC LIMIT 1`, account, seq))
	return e, notFound("entry", err)
}

// SeqAt implements ledger.Store. Commit times never decrease along the
// journal, so a binary search over sequences needs no index on time.
func (db *DB) SeqAt(ctx context.Context, t time.Time) (int64, error) {
	if err := db.caughtUp(ctx); err != nil {
		return 0, err
	}
	var head int64
	if err := db.read.QueryRowContext(ctx, `SELECT seq FROM ledger_head`).Scan(&head); err != nil {
		return 0, err
	}
	want := t.UnixNano()
	lo, hi := int64(0), head // invariant: time(lo) <= t (lo = 0 stands for "before the journal"), time(hi+1) > t
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		var at int64
		if err := db.read.QueryRowContext(ctx, `SELECT created_at FROM transfers WHERE seq = ?`, mid).Scan(&at); err != nil {
			return 0, fmt.Errorf("seq %d: %w", mid, err)
		}
		if at <= want {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo, nil
}

// ExpiredHolds implements ledger.Store.
func (db *DB) ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM holds WHERE status = 1 AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// TransfersBySeq implements ledger.Store.
func (db *DB) TransfersBySeq(ctx context.Context, seqs []int64) ([]ledger.Transfer, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	var out []ledger.Transfer
	err := queryIn(ctx, db.read, `SELECT `+transferCols+` FROM transfers WHERE seq`, `ORDER BY seq`, seqs, func(r *sql.Rows) error {
		t, err := scanTransfer(r)
		if err == nil {
			out = append(out, *t)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("transfers by seq: %w", err)
	}
	return dedupeBySeq(out), nil
}

// dedupeBySeq drops repeats that queryIn's chunks can yield when seqs are
// repeated, keeping Seq order across chunks.
func dedupeBySeq(ts []ledger.Transfer) []ledger.Transfer {
	slices.SortFunc(ts, func(a, b ledger.Transfer) int { return cmp.Compare(a.Seq, b.Seq) })
	return slices.CompactFunc(ts, func(a, b ledger.Transfer) bool { return a.Seq == b.Seq })
}

// HoldStates implements ledger.Store.
func (db *DB) HoldStates(ctx context.Context, ids []string) (map[string]ledger.HoldState, error) {
	if err := db.caughtUp(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]ledger.HoldState, len(ids))
	err := queryIn(ctx, db.read, `SELECT h.id, h.seq, h.status, h.expires_at, h.resolved_by, t.postings FROM holds h JOIN transfers t ON t.seq = h.seq WHERE h.id`, ``, ids, func(r *sql.Rows) error {
		h, err := scanHold(r)
		out[h.ID] = h
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("hold states: %w", err)
	}
	return out, nil
}
