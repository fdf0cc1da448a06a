package postgres

import (
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ewallet/ewallet/ledger"
)

// The batch's writes. Each kind of row is one statement whatever the batch's
// size: the rows travel as one array per column and unnest turns them back
// into rows, so every statement has a fixed text and stays prepared.
const (
	insertTransfers = `INSERT INTO transfers (seq, id, type, kind, hold_id, expires_at, postings, metadata, created_at, fp, hash)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::timestamptz[], $10::bytea[], $11::bytea[])`
	insertEntries = `INSERT INTO entries (account_id, seq, amount, held_delta, balance, held_after)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])`
	insertRejections = `INSERT INTO rejections (id, fp, code, message, created_at)
		SELECT * FROM unnest($1::text[], $2::bytea[], $3::text[], $4::text[], $5::timestamptz[])`
	updateBalances = `UPDATE accounts AS a SET posted = v.posted, held = v.held, last_seq = v.last_seq
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS v(id, posted, held, last_seq)
		WHERE a.id = v.id`
	insertHolds = `INSERT INTO holds (id, seq, status, expires_at)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::timestamptz[])`
	resolveHolds = `UPDATE holds AS h SET status = v.status, resolved_by = v.resolved_by
		FROM unnest($1::text[], $2::smallint[], $3::bigint[]) AS v(id, status, resolved_by)
		WHERE h.id = v.id`
	updateHead = `UPDATE ledger_head SET seq = $1, hash = $2, time = $3`
)

// queueWrites queues the statements w needs, in order (a hold created and
// resolved in the same batch is inserted before it is updated), and returns
// a name for each, for error messages.
func queueWrites(q *pgx.Batch, w *ledger.Batch) []string {
	var steps []string
	add := func(step, sql string, args ...any) {
		q.Queue(sql, args...)
		steps = append(steps, step)
	}
	if n := len(w.Transfers); n > 0 {
		seq := make([]int64, n)
		id, kind, holdID, postings, meta := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		typ := make([]int16, n)
		exp, at := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		fp, hash := make([][]byte, n), make([][]byte, n)
		buf := make([]byte, 64*n) // one allocation for every fingerprint and hash
		for i, t := range w.Transfers {
			seq[i], id[i], typ[i], kind[i], holdID[i] = t.Seq, t.ID, int16(t.Type), t.Kind, t.HoldID
			exp[i], at[i] = timestamptz(t.ExpiresAt), timestamptz(t.Time)
			postings[i], meta[i] = ledger.EncodePostings(t.Postings), ledger.EncodeMetadata(t.Metadata)
			fp[i] = append(buf[64*i:64*i:64*i+32], t.RequestHash[:]...)
			hash[i] = append(buf[64*i+32:64*i+32:64*i+64], t.Hash[:]...)
		}
		add("insert transfers", insertTransfers, seq, id, typ, kind, holdID, exp, postings, meta, at, fp, hash)
	}
	if n := len(w.Entries); n > 0 {
		acct, seq, amount, heldDelta, balance, heldAfter := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, e := range w.Entries {
			acct[i], seq[i], amount[i], heldDelta[i], balance[i], heldAfter[i] = int64(e.Account), e.Seq, e.Amount, e.HeldDelta, e.Balance, e.HeldAfter
		}
		add("insert entries", insertEntries, acct, seq, amount, heldDelta, balance, heldAfter)
	}
	if n := len(w.Rejections); n > 0 {
		id, code, msg := make([]string, n), make([]string, n), make([]string, n)
		fp, at := make([][]byte, n), make([]pgtype.Timestamptz, n)
		for i := range w.Rejections {
			r := &w.Rejections[i]
			id[i], fp[i], code[i], msg[i], at[i] = r.ID, r.Fingerprint[:], string(r.Code), r.Message, timestamptz(r.Time)
		}
		add("insert rejections", insertRejections, id, fp, code, msg, at)
	}
	if n := len(w.Balances); n > 0 {
		id, posted, held, lastSeq := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, a := range w.Balances {
			id[i], posted[i], held[i], lastSeq[i] = int64(a.ID), a.Posted, a.Held, a.LastSeq
		}
		add("update balances", updateBalances, id, posted, held, lastSeq)
	}
	if n := len(w.NewHolds); n > 0 {
		id, seq, status, exp := make([]string, n), make([]int64, n), make([]int16, n), make([]pgtype.Timestamptz, n)
		for i, h := range w.NewHolds {
			id[i], seq[i], status[i], exp[i] = h.ID, h.Seq, int16(h.Status), timestamptz(h.ExpiresAt)
		}
		add("insert holds", insertHolds, id, seq, status, exp)
	}
	if n := len(w.Resolved); n > 0 {
		id, status, by := make([]string, n), make([]int16, n), make([]int64, n)
		for i, h := range w.Resolved {
			id[i], status[i], by[i] = h.ID, int16(h.Status), h.ResolvedBy
		}
		add("resolve holds", resolveHolds, id, status, by)
	}
	if len(w.Transfers) > 0 {
		add("update head", updateHead, w.Head.Seq, w.Head.Hash[:], timestamptz(w.Head.Time))
	}
	return steps
}
