package crashtest_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

// The child writes one line to stdout for every transfer the ledger answered
// with a final answer: ackPrefix when it committed, rejPrefix when it was
// refused with a state code (which the ledger remembers under the ID).
const (
	ackPrefix = "crashtest ack "
	rejPrefix = "crashtest rej "
)

// record is the JSON after the prefix: the request as submitted and what the
// child was told.
type record struct {
	ID     string            `json:"id"`
	Type   ledger.Type       `json:"type"`
	Kind   string            `json:"kind"`
	HoldID string            `json:"hold,omitempty"`
	Exp    int64             `json:"exp,omitempty"` // ExpiresAt in Unix microseconds; 0 for none
	Meta   map[string]string `json:"meta,omitempty"`
	Sent   string            `json:"sent"` // the request's postings (ledger.EncodePostings); "" for a full post or a void

	// ack
	Want string `json:"want,omitempty"` // the postings the committed transfer must carry
	Seq  int64  `json:"seq,omitempty"`
	Hash string `json:"hash,omitempty"` // hex

	// rej
	Code ledger.Code `json:"code,omitempty"`
}

func newRecord(t ledger.Transfer) record {
	r := record{ID: t.ID, Type: t.Type, Kind: t.Kind, HoldID: t.HoldID, Meta: t.Metadata, Sent: ledger.EncodePostings(t.Postings)}
	if !t.ExpiresAt.IsZero() {
		r.Exp = t.ExpiresAt.UnixMicro()
	}
	return r
}

// request rebuilds the transfer request exactly as the child submitted it,
// so that submitting it again must replay the first answer.
func (r record) request() (ledger.Transfer, error) {
	ps, err := ledger.DecodePostings(r.Sent)
	if err != nil {
		return ledger.Transfer{}, err
	}
	t := ledger.Transfer{ID: r.ID, Type: r.Type, Kind: r.Kind, HoldID: r.HoldID, Postings: ps, Metadata: r.Meta}
	if r.Exp != 0 {
		t.ExpiresAt = time.UnixMicro(r.Exp).UTC()
	}
	return t, nil
}

// line encodes r after prefix, ending in a newline.
func (r record) line(prefix string) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // a record is strings and integers
	}
	return append(append([]byte(prefix), b...), '\n')
}

// parseLine decodes a complete line. ok is false for lines that are not
// records (the test framework's own output).
func parseLine(line string) (rec record, ack, ok bool, err error) {
	var body string
	switch {
	case strings.HasPrefix(line, ackPrefix):
		body, ack = line[len(ackPrefix):], true
	case strings.HasPrefix(line, rejPrefix):
		body = line[len(rejPrefix):]
	default:
		return record{}, false, false, nil
	}
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		return record{}, false, false, fmt.Errorf("malformed record %q: %w", line, err)
	}
	return rec, ack, true, nil
}

// mismatch says how a stored transfer differs from what the child was told
// had committed, or returns "" when it is the same.
func (r record) mismatch(got ledger.Transfer) string {
	var diffs []string
	add := func(field string, got, want any) {
		diffs = append(diffs, fmt.Sprintf("%s %v, acked %v", field, got, want))
	}
	if got.Seq != r.Seq {
		add("seq", got.Seq, r.Seq)
	}
	if h := hex.EncodeToString(got.Hash[:]); h != r.Hash {
		add("hash", h, r.Hash)
	}
	if got.Type != r.Type {
		add("type", got.Type, r.Type)
	}
	if got.Kind != r.Kind {
		add("kind", got.Kind, r.Kind)
	}
	if got.HoldID != r.HoldID {
		add("hold", got.HoldID, r.HoldID)
	}
	var exp int64
	if !got.ExpiresAt.IsZero() {
		exp = got.ExpiresAt.UnixMicro()
	}
	if exp != r.Exp {
		add("expires", exp, r.Exp)
	}
	if len(got.Metadata) != len(r.Meta) || (len(r.Meta) > 0 && !maps.Equal(got.Metadata, r.Meta)) {
		add("metadata", got.Metadata, r.Meta)
	}
	if ps := ledger.EncodePostings(got.Postings); ps != r.Want {
		add("postings", ps, r.Want)
	}
	return strings.Join(diffs, "; ")
}
