package walletsql

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/wallet"
)

// clearedChunk is how many records one INSERT of PutCleared writes: one
// statement (one commit) per chunk, not per record.
const clearedChunk = 64

func scanCleared(row scanner) (purse.Cleared, error) {
	var c purse.Cleared
	var term, tac string
	err := row.Scan(&c.CardID, &c.Counter, &term, &c.TerminalSeq, &c.Amount, &c.Time, &tac, &c.TransferID, at{&c.ClearedAt})
	if err != nil {
		return c, err
	}
	return c, unhex(unhexTo{term, c.Terminal[:]}, unhexTo{tac, c.TAC[:]})
}

// PutCleared implements purse.Store.
func (s *Store) PutCleared(ctx context.Context, cs []purse.Cleared) error {
	for len(cs) > 0 {
		n := min(len(cs), clearedChunk)
		q := `INSERT INTO epurse_cleared (` + clearedCols + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ") + ` ON CONFLICT DO NOTHING`
		args := make([]any, 0, 9*n)
		for _, c := range cs[:n] {
			args = append(args, c.CardID, c.Counter, hex.EncodeToString(c.Terminal[:]), c.TerminalSeq, c.Amount, c.Time,
				hex.EncodeToString(c.TAC[:]), c.TransferID, nanos(c.ClearedAt))
		}
		if _, err := s.w.exec(ctx, q, args...); err != nil {
			return fail("put cleared records", "cleared record", err)
		}
		cs = cs[n:]
	}
	return nil
}

// ClearedRecord implements purse.Store.
func (s *Store) ClearedRecord(ctx context.Context, cardID string, counter uint16) (purse.Cleared, bool, error) {
	c, err := scanCleared(s.r.queryRow(ctx, selectCleared, cardID, counter))
	return found(c, fail("read cleared record", "cleared record", err))
}

// HighestCleared implements purse.Store.
func (s *Store) HighestCleared(ctx context.Context, cardID string) (uint16, bool, error) {
	var h sql.NullInt64
	if err := s.r.queryRow(ctx, highestCleared, cardID).Scan(&h); err != nil {
		return 0, false, fail("read highest cleared counter", "cleared record", err)
	}
	return uint16(h.Int64), h.Valid, nil
}

// LastClearedAt implements purse.Store.
func (s *Store) LastClearedAt(ctx context.Context, cardID string, terminal [6]byte) (purse.Cleared, bool, error) {
	c, err := scanCleared(s.r.queryRow(ctx, lastClearedAt, cardID, hex.EncodeToString(terminal[:])))
	return found(c, fail("read last cleared record", "cleared record", err))
}

// ClearedCounters implements purse.Store.
func (s *Store) ClearedCounters(ctx context.Context, cardID string) ([]uint16, error) {
	cs, err := queryAll(ctx, s.r, func(row scanner) (uint16, error) {
		var c uint16
		return c, row.Scan(&c)
	}, clearedCounters, cardID)
	return cs, fail("list cleared counters", "cleared record", err)
}

// found turns a not-found error into ok == false.
func found[T any](v T, err error) (T, bool, error) {
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		var zero T
		return zero, false, nil
	}
	return v, err == nil, err
}

// unhexTo is a hex column and the fixed-size field it decodes into.
type unhexTo struct {
	src string
	dst []byte
}

func unhex(cols ...unhexTo) error {
	for _, c := range cols {
		if len(c.src) != 2*len(c.dst) {
			return fmt.Errorf("hex column %q: want %d bytes", c.src, len(c.dst))
		}
		if _, err := hex.Decode(c.dst, []byte(c.src)); err != nil {
			return errors.New("hex column: " + err.Error())
		}
	}
	return nil
}
