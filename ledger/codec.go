package ledger

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimePrecision is the resolution of every time the ledger stores. It is what
// PostgreSQL's timestamptz keeps, so a hash computed before a row is written
// can be recomputed from the row.
const TimePrecision = time.Microsecond

// EncodePostings writes postings as "account:amount,account:amount", the
// form both SQL stores keep in the journal row.
func EncodePostings(ps []Posting) string {
	b := make([]byte, 0, 24*len(ps))
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(p.Account), 10)
		b = append(b, ':')
		b = strconv.AppendInt(b, p.Amount, 10)
	}
	return string(b)
}

// DecodePostings is the inverse of EncodePostings.
func DecodePostings(s string) ([]Posting, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	ps := make([]Posting, len(parts))
	for i, part := range parts {
		acct, amt, ok := strings.Cut(part, ":")
		if !ok {
			return nil, errorf(CodeInvalid, "malformed posting %q", part)
		}
		a, err1 := strconv.ParseInt(acct, 10, 64)
		v, err2 := strconv.ParseInt(amt, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, errorf(CodeInvalid, "malformed posting %q", part)
		}
		ps[i] = Posting{Account: AccountID(a), Amount: v}
	}
	return ps, nil
}

// DecodeStored fills t's postings and metadata from the columns a store
// keeps them in (EncodePostings and EncodeMetadata forms).
func (t *Transfer) DecodeStored(postings, metadata string) error {
	var err error
	if t.Postings, err = DecodePostings(postings); err != nil {
		return fmt.Errorf("transfer %d: %w", t.Seq, err)
	}
	if t.Metadata, err = DecodeMetadata(metadata); err != nil {
		return fmt.Errorf("transfer %d: %w", t.Seq, err)
	}
	return nil
}

// EncodeMetadata writes metadata as a JSON object with sorted keys, or "" when empty.
func EncodeMetadata(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

// DecodeMetadata is the inverse of EncodeMetadata.
func DecodeMetadata(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, errorf(CodeInvalid, "malformed metadata: %v", err)
	}
	return m, nil
}
