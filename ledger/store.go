package ledger

import (
	"context"
	"time"
)

// Store is the storage a Ledger needs. Implementations live in store/sqlite
// and store/postgres and pass the conformance suite in store/storetest.
//
// Locking contract: every change to balances, holds and the journal happens
// inside a BatchTx, and BeginBatch does not return until the caller holds the
// journal head exclusively (SQLite: BEGIN IMMEDIATE; PostgreSQL: the head row
// locked FOR UPDATE). Batches from any number of processes are therefore
// serialised by the database itself, and what a BatchTx reads stays true until
// it commits.
type Store interface {
	// CreateAccounts creates the accounts whose names do not exist yet and
	// returns every spec's account, in order. An existing name with another
	// currency or flags fails the whole call with CodeAccountExists, and
	// then no account is created.
	CreateAccounts(ctx context.Context, specs []AccountSpec) ([]Account, error)
	// Account returns an account by ID, or CodeNotFound.
	Account(ctx context.Context, id AccountID) (Account, error)
	// AccountByName returns an account by name, or CodeNotFound.
	AccountByName(ctx context.Context, name string) (Account, error)
	// Transfer returns a committed transfer by ID, or CodeNotFound.
	Transfer(ctx context.Context, id string) (Transfer, error)
	// TransfersBySeq returns the committed transfers with the given
	// sequences, in Seq order; sequences not committed are absent.
	TransfersBySeq(ctx context.Context, seqs []int64) ([]Transfer, error)
	// HoldStates returns holds by their transfer IDs (missing ones are absent).
	HoldStates(ctx context.Context, ids []string) (map[string]HoldState, error)
	// History returns an account's entries with Seq < beforeSeq (0: no bound),
	// newest first, at most limit of them.
	History(ctx context.Context, account AccountID, beforeSeq int64, limit int) ([]Entry, error)
	// EntryAt returns the account's last entry with Seq <= seq, or CodeNotFound.
	EntryAt(ctx context.Context, account AccountID, seq int64) (Entry, error)
	// SeqAt returns the last journal sequence committed at or before t (0 if none).
	SeqAt(ctx context.Context, t time.Time) (int64, error)
	// ExpiredHolds returns up to limit IDs of pending holds whose deadline is <= now.
	ExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error)
	// Scan reads the whole ledger for Verify, in the orders Scanner documents.
	Scan(ctx context.Context, s Scanner) error
	// BeginBatch starts a write transaction holding the journal head.
	BeginBatch(ctx context.Context) (BatchTx, error)
	// Close releases the store.
	Close() error
}

// BatchTx is one write transaction of the group-commit writer. Reads see the
// committed state as of the head lock; the writer computes every change in
// memory and hands it to Write once.
type BatchTx interface {
	// Head returns the journal head: the last sequence, its hash and time.
	Head() Head
	// Priors returns, for each ID that was already used, what it became.
	Priors(ids []string) (map[string]Prior, error)
	// Accounts loads the given accounts (missing ones are absent from the map).
	Accounts(ids []AccountID) (map[AccountID]Account, error)
	// Holds loads holds by their transfer IDs (missing ones are absent).
	Holds(ids []string) (map[string]HoldState, error)
	// Write stores the batch's outcome.
	Write(b *Batch) error
	// Commit makes the batch durable (it returns after the sync).
	Commit() error
	// Rollback abandons the batch; it is safe after Commit.
	Rollback() error
}

// PipelinedCommit is implemented by a BatchTx that can make a batch durable
// while the writer goes on deciding the next one (a journal that appends
// now and syncs in the background). CommitAsync ends the transaction: the
// next BeginBatch sees its effects at once. wait returns when the batch,
// and every batch before it, is durable, or with the error that stopped
// that; only then may anyone learn the batch's answers. After such an
// error the store refuses further batches until it is opened again.
type PipelinedCommit interface {
	CommitAsync() (wait func() error, err error)
}

// Head is the end of the journal.
type Head struct {
	Seq  int64
	Hash [32]byte
	Time time.Time
}

// Prior is what an already-used transfer ID became: a committed transfer or a
// remembered refusal.
type Prior struct {
	Fingerprint [32]byte
	Transfer    *Transfer // committed, with Seq, Time, Hash
	Err         *Error    // refused with a state code
}

// HoldStatus is where a hold is in its life.
type HoldStatus uint8

const (
	HoldPending HoldStatus = iota + 1
	HoldPosted
	HoldVoided
	HoldExpired
)

var holdStatusNames = [...]string{HoldPending: "pending", HoldPosted: "posted", HoldVoided: "voided", HoldExpired: "expired"}

func (s HoldStatus) String() string {
	if int(s) < len(holdStatusNames) && holdStatusNames[s] != "" {
		return holdStatusNames[s]
	}
	return "unknown"
}

// HoldState is a hold and its postings as the ledger keeps them.
type HoldState struct {
	ID         string
	Seq        int64 // the hold's own journal sequence
	Status     HoldStatus
	ExpiresAt  time.Time // zero: never
	Postings   []Posting
	ResolvedBy int64 // sequence of the post, void or expiry; 0 while pending
}

// Entry is one account's line in one transfer: what it did to the posted and
// held balances and what they were afterwards.
type Entry struct {
	Account   AccountID
	Seq       int64
	Amount    int64 // change to the posted balance
	HeldDelta int64 // change to the held balance
	Balance   int64 // posted balance after
	HeldAfter int64 // held balance after
}

// Rejection is a refusal decided against the ledger's state, remembered under
// the transfer's ID.
type Rejection struct {
	ID          string
	Fingerprint [32]byte
	Code        Code
	Message     string
	Time        time.Time
}

// AccountBalance is an account's balances at the end of a batch.
type AccountBalance struct {
	ID      AccountID
	Posted  int64
	Held    int64
	LastSeq int64
}

// Batch is everything one group commit writes.
type Batch struct {
	Transfers []*Transfer // committed transfers, in Seq order
	// Encoded is, when it is as long as Transfers, each transfer's
	// postings and metadata in EncodePostings and EncodeMetadata form,
	// computed before the writer took the requests; otherwise (Verify's
	// replay) it is empty and a store encodes them itself.
	Encoded    []EncodedTransfer
	Entries    []Entry
	Rejections []Rejection
	Balances   []AccountBalance // final balances of every account the batch changed
	NewHolds   []HoldState      // holds created by this batch
	Resolved   []HoldState      // holds this batch posted, voided or expired (ID, Status, ResolvedBy)
	Head       Head
}

// EncodedTransfer is a transfer's postings and metadata as stores keep them.
type EncodedTransfer struct {
	Postings string // EncodePostings form
	Metadata string // EncodeMetadata form
}

// Scanner receives the ledger's contents for Verify. Each callback returning
// an error stops the scan with that error.
type Scanner interface {
	// Account is called for every account, in ID order.
	Account(a Account) error
	// Transfer is called for every committed transfer, in Seq order, with
	// the journal's stored hash.
	Transfer(t *Transfer) error
	// Entry is called for every entry, in (Account, Seq) order.
	Entry(e Entry) error
	// Hold is called for every hold, in Seq order.
	Hold(h HoldState) error
	// Head is called once with the stored head.
	Head(h Head) error
}
