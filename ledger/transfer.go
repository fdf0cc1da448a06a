package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ewallet/ewallet/money"
)

// MaxIDLen bounds transfer IDs and account names.
const MaxIDLen = 512

// MaxPostings bounds the postings of one transfer.
const MaxPostings = 64

// Type says what a transfer does to balances.
type Type uint8

const (
	// Posted moves money now.
	Posted Type = iota + 1
	// Hold reserves the debits of its postings (available = posted - held)
	// until it is posted, voided or expires. Credits are not visible until then.
	Hold
	// Post settles a pending hold named by HoldID: with no postings it moves
	// exactly what was held; with postings it moves those instead, which may
	// debit only the hold's debited accounts and by no more than was held
	// there (partial capture, or a capture that splits off a fee). Either
	// way the whole hold is released.
	Post
	// Void releases a pending hold without moving money.
	Void
	// Expire releases a hold whose deadline passed; the ledger's sweeper
	// issues it.
	Expire
)

var typeNames = [...]string{Posted: "posted", Hold: "hold", Post: "post", Void: "void", Expire: "expire"}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "unknown"
}

// ParseType is the inverse of Type.String.
func ParseType(s string) (Type, bool) {
	for i, n := range typeNames {
		if n == s && n != "" {
			return Type(i), true
		}
	}
	return 0, false
}

// Posting changes one account's balance: positive credits it, negative debits it.
type Posting struct {
	Account AccountID
	Amount  int64
}

// Transfer is one journal entry. Callers fill the request fields; the ledger
// fills Seq, Time and Hash when it commits.
type Transfer struct {
	// ID is unique in the ledger and is the transfer's idempotency key:
	// submitting the same ID with the same request returns the first result,
	// with a different request fails with CodeIdempotencyConflict.
	ID        string
	Type      Type
	Kind      string // business kind: "topup", "p2p", "payment", ...
	Postings  []Posting
	HoldID    string            // Post, Void, Expire: the hold's ID
	ExpiresAt time.Time         // Hold: optional deadline; zero means none
	Metadata  map[string]string // free-form, part of the request and of the hash
	// ForgetRefusal answers a refusal without remembering it under ID, so
	// that the same ID may be tried again and succeed later: a shop's
	// payment refused for lack of funds can still be paid after a top-up,
	// while its ID keeps it from being paid twice. It is not part of the
	// request's fingerprint and is not stored.
	ForgetRefusal bool

	Seq         int64     // position in the journal, from 1
	Time        time.Time // commit time, non-decreasing in Seq
	RequestHash [32]byte  // Fingerprint of the request as submitted, which idempotency compares
	Hash        [32]byte  // SHA-256(previous hash ‖ canonical bytes)
}

// Move is a convenience for the common two-posting transfer.
func Move(id, kind string, from, to AccountID, amount int64) Transfer {
	return Transfer{ID: id, Type: Posted, Kind: kind, Postings: []Posting{{from, -amount}, {to, amount}}}
}

// MaxPostingAmount bounds a posting's size in minor units. It keeps every
// negation and difference of amounts inside int64 (a posting of
// math.MinInt64 could not be negated) and is the largest amount money.Parse
// accepts.
const MaxPostingAmount = money.MaxAmount

// Deadlines of holds must fall in this window: inside the range a time in
// nanoseconds since 1970 can hold, and never "zero", which means no deadline.
var (
	minDeadline = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDeadline = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// reservedPrefix starts the IDs of the transfers the ledger issues itself.
const reservedPrefix = "expire:"

// validText reports whether s can be stored and hashed byte for byte by
// every backend: valid UTF-8 without NUL (PostgreSQL's text refuses both,
// and JSON would rewrite invalid bytes).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// validateRequest is validate plus what only the ledger itself may submit.
func (t *Transfer) validateRequest() error {
	if t.Type == Expire || strings.HasPrefix(t.ID, reservedPrefix) {
		return errorf(CodeInvalid, "expiries and %q IDs are issued by the ledger's sweeper", reservedPrefix)
	}
	return t.validate()
}

// validate checks what can be checked without the ledger's state. Verify
// applies it to every stored transfer too.
func (t *Transfer) validate() error {
	if t.ID == "" || len(t.ID) > MaxIDLen || !validText(t.ID) {
		return errorf(CodeInvalid, "transfer id must be 1-%d bytes of UTF-8 text", MaxIDLen)
	}
	if len(t.Kind) > 64 || !validText(t.Kind) || !validText(t.HoldID) || len(t.HoldID) > MaxIDLen {
		return errorf(CodeInvalid, "kind (at most 64 bytes) and hold id must be UTF-8 text")
	}
	for k, v := range t.Metadata {
		if !validText(k) || !validText(v) {
			return errorf(CodeInvalid, "metadata must be UTF-8 text")
		}
	}
	if !t.ExpiresAt.IsZero() && (t.ExpiresAt.Before(minDeadline) || !t.ExpiresAt.Before(maxDeadline)) {
		return errorf(CodeInvalid, "deadline must be between %d and %d", minDeadline.Year(), maxDeadline.Year())
	}
	switch t.Type {
	case Posted, Hold:
		if t.HoldID != "" {
			return errorf(CodeInvalid, "%s transfer cannot name a hold", t.Type)
		}
		if len(t.Postings) < 2 {
			return errorf(CodeInvalid, "a transfer needs at least two postings")
		}
		if t.Type == Posted && !t.ExpiresAt.IsZero() {
			return errorf(CodeInvalid, "only holds expire")
		}
	case Post:
		if t.HoldID == "" {
			return errorf(CodeInvalid, "post needs a hold id")
		}
		if len(t.Postings) == 1 {
			return errorf(CodeInvalid, "a transfer needs at least two postings")
		}
	case Void, Expire:
		if t.HoldID == "" || len(t.Postings) != 0 {
			return errorf(CodeInvalid, "%s needs a hold id and no postings", t.Type)
		}
	default:
		return errorf(CodeInvalid, "unknown transfer type %d", t.Type)
	}
	if t.Type != Hold && !t.ExpiresAt.IsZero() {
		return errorf(CodeInvalid, "only holds expire")
	}
	if len(t.Postings) > MaxPostings {
		return errorf(CodeInvalid, "more than %d postings", MaxPostings)
	}
	for i, p := range t.Postings {
		if p.Amount == 0 || p.Amount > MaxPostingAmount || p.Amount < -MaxPostingAmount {
			return errorf(CodeInvalid, "posting %d: amount must be non-zero and at most %d in size", i, MaxPostingAmount)
		}
		for _, q := range t.Postings[:i] {
			if q.Account == p.Account {
				return errorf(CodeInvalid, "account %d posted twice", p.Account)
			}
		}
	}
	return nil
}

// canonical appends the bytes that identify a transfer. With committed set it
// also covers what the ledger decided (sequence, time, each posting's
// currency), which is what the hash chain protects; without, it covers the
// request only, which is what idempotency compares.
func (t *Transfer) canonical(dst []byte, committed bool, currencyOf func(AccountID) money.Currency) []byte {
	if committed {
		dst = t.canonicalDecided(dst)
	} else {
		currencyOf = nil
	}
	dst = t.canonicalHead(dst)
	dst = canonicalPostings(dst, t.Postings, currencyOf)
	return canonicalMetadata(dst, t.Metadata)
}

// The canonical bytes in their parts, in order: what the ledger decided
// (committed form only), the head (ID through deadline), the postings (with
// each account's currency in the committed form) and the metadata. The
// writer hashes parts that callers computed before queueing
// (precomputed), so the parts are the one definition of the encoding.

func (t *Transfer) canonicalDecided(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(t.Time.UnixNano()))
	// The request's fingerprint decides which retries replay: it is
	// chained too, so that it cannot be altered unnoticed either.
	return append(dst, t.RequestHash[:]...)
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func (t *Transfer) canonicalHead(dst []byte) []byte {
	dst = appendStr(dst, t.ID)
	dst = append(dst, byte(t.Type))
	dst = appendStr(dst, t.Kind)
	dst = appendStr(dst, t.HoldID)
	if t.ExpiresAt.IsZero() {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	return binary.BigEndian.AppendUint64(dst, uint64(t.ExpiresAt.UnixNano()))
}

// canonicalPostings appends the postings, each with its account's currency
// when currencyOf is set (the committed form).
func canonicalPostings(dst []byte, ps []Posting, currencyOf func(AccountID) money.Currency) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ps)))
	for _, p := range ps {
		dst = binary.BigEndian.AppendUint64(dst, uint64(p.Account))
		dst = binary.BigEndian.AppendUint64(dst, uint64(p.Amount))
		if currencyOf != nil {
			dst = appendStr(dst, string(currencyOf(p.Account)))
		}
	}
	return dst
}

func canonicalMetadata(dst []byte, m map[string]string) []byte {
	keys := slices.Sorted(maps.Keys(m))
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendStr(dst, k)
		dst = appendStr(dst, m[k])
	}
	return dst
}

// precomputed is the part of a request's work that does not depend on the
// ledger's state, done by the caller's goroutine before it queues so that
// the single writer does not: the fingerprint, the canonical head and
// metadata bytes the chain hash covers, and the stored forms of postings and
// metadata.
type precomputed struct {
	fp       [32]byte
	canon    []byte // head, then metadata from metaAt on
	metaAt   int
	postings string // EncodePostings(t.Postings) as submitted
	metadata string // EncodeMetadata(t.Metadata)
}

func (t *Transfer) precompute() *precomputed {
	pre := &precomputed{postings: EncodePostings(t.Postings), metadata: EncodeMetadata(t.Metadata)}
	buf := make([]byte, 0, 64+len(t.ID)+len(t.Kind)+len(t.HoldID)+len(pre.metadata))
	buf = t.canonicalHead(buf)
	pre.metaAt = len(buf)
	buf = canonicalMetadata(buf, t.Metadata)
	pre.canon = buf
	// The fingerprint is the request form: head, postings, metadata.
	var req [256]byte
	b := append(req[:0], buf[:pre.metaAt]...)
	b = canonicalPostings(b, t.Postings, nil)
	b = append(b, buf[pre.metaAt:]...)
	pre.fp = sha256.Sum256(b)
	return pre
}

// chainHash is ChainHash for a transfer whose head and metadata bytes were
// precomputed from it: the same bytes, hashed without re-encoding them.
func (pre *precomputed) chainHash(prev [32]byte, t *Transfer, currencyOf func(AccountID) money.Currency) [32]byte {
	var buf [512]byte
	b := append(buf[:0], prev[:]...)
	b = t.canonicalDecided(b)
	b = append(b, pre.canon[:pre.metaAt]...)
	b = canonicalPostings(b, t.Postings, currencyOf)
	b = append(b, pre.canon[pre.metaAt:]...)
	return sha256.Sum256(b)
}

// Fingerprint identifies the request part of a transfer, for idempotency.
func (t *Transfer) Fingerprint() [32]byte {
	var buf [256]byte
	return sha256.Sum256(t.canonical(buf[:0], false, nil))
}

// ChainHash is SHA-256(prev ‖ canonical committed bytes of t).
func ChainHash(prev [32]byte, t *Transfer, currencyOf func(AccountID) money.Currency) [32]byte {
	var buf [512]byte
	b := append(buf[:0], prev[:]...)
	return sha256.Sum256(t.canonical(b, true, currencyOf))
}
