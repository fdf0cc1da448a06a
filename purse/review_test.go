package purse_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/bank"
	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/wallet"
)

// Crashes and races around a load's two stores (the load row and the
// ledger), over the property test's world: a purse.Service on a store whose
// calls a test can interrupt, sharing the ledger, the wallet and the
// issuer's keys with the world's.

// hookStore is the SQLite store with hooks: each runs instead of the call
// (it may call the store itself) and is cleared when it has run once.
type hookStore struct {
	purse.Store
	mu         sync.Mutex
	createLoad func(ctx context.Context, l purse.Load) (bool, error)
	finishLoad func(ctx context.Context, id, status string, at time.Time) (bool, error)
	epurseLoad func(ctx context.Context, id string) (purse.Load, error)
	putCleared func(ctx context.Context, cs []purse.Cleared) error
}

func take[F any](mu *sync.Mutex, f *F) F {
	mu.Lock()
	defer mu.Unlock()
	g := *f
	var zero F
	*f = zero
	return g
}

func (h *hookStore) CreateEpurseLoad(ctx context.Context, l purse.Load) (bool, error) {
	if f := take(&h.mu, &h.createLoad); f != nil {
		return f(ctx, l)
	}
	return h.Store.CreateEpurseLoad(ctx, l)
}

func (h *hookStore) FinishEpurseLoad(ctx context.Context, id, status string, at time.Time) (bool, error) {
	if f := take(&h.mu, &h.finishLoad); f != nil {
		return f(ctx, id, status, at)
	}
	return h.Store.FinishEpurseLoad(ctx, id, status, at)
}

func (h *hookStore) EpurseLoad(ctx context.Context, id string) (purse.Load, error) {
	if f := take(&h.mu, &h.epurseLoad); f != nil {
		return f(ctx, id)
	}
	return h.Store.EpurseLoad(ctx, id)
}

func (h *hookStore) PutCleared(ctx context.Context, cs []purse.Cleared) error {
	if f := take(&h.mu, &h.putCleared); f != nil {
		return f(ctx, cs)
	}
	return h.Store.PutCleared(ctx, cs)
}

var errCrash = errors.New("the process died here")

// reviewCase is one holder with one card (its chip) and a purse.Service
// over a hookStore.
type reviewCase struct {
	w     *propWorld
	hooks *hookStore
	purse *purse.Service
	user  wallet.User
	card  string
	chip  *epurse.Card
}

func newReviewCase(t *testing.T) *reviewCase {
	t.Helper()
	w := newPropWorld(t)
	hs := &hookStore{Store: w.store}
	ps, err := purse.New(purse.Deps{Store: hs, Ledger: w.ledger, Wallet: w.wallet, Seed: w.seed, Now: w.clock.Now},
		purse.Config{ClearingWindow: propWindow})
	must(t, err)
	id := auth.NewID("usr_")
	u := wallet.User{ID: id, WalletID: "wal_" + id[4:], Phone: fmt.Sprintf("+8613%09d", w.next()), Name: "Holder",
		Status: wallet.StatusActive, KYCTier: 3, PINHash: w.pins.Hash(id, propPIN), CreatedAt: w.clock.Now()}
	must(t, w.wallet.Store.CreateUser(w.ctx, u))
	bc, err := w.wallet.AddCard(w.ctx, u, bank.CardApproves, 12, 2099, "HOLDER", wallet.Client{})
	must(t, err)
	op, _, err := w.wallet.Topup(w.ctx, u, wallet.CardMoneyRequest{CardID: bc.ID, Amount: propTopup, Currency: money.CNY, PIN: propPIN},
		w.key(), wallet.Client{})
	must(t, err)
	if op.Status != wallet.OpSucceeded {
		t.Fatalf("top-up: %+v", op)
	}
	is, err := ps.Issue(w.ctx, u, "")
	must(t, err)
	return &reviewCase{w: w, hooks: hs, purse: ps, user: u, card: is.Card.ID, chip: epurse.LoadCard(is.State, nil)}
}

// initLoad is the chip's INITIALIZE FOR LOAD answer, encoded.
func (c *reviewCase) initLoad(t *testing.T, amount int64) []byte {
	t.Helper()
	resp, err := c.chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: amount})
	must(t, err)
	b, err := resp.Encode()
	must(t, err)
	return b
}

func (c *reviewCase) authorize(u wallet.User, key string, amount int64, resp []byte) (purse.Authorized, error) {
	return c.purse.AuthorizeLoad(c.w.ctx, u, c.card, purse.LoadRequest{Amount: amount, Currency: money.CNY, Response: resp, PIN: propPIN},
		wallet.Idem{Key: key}, wallet.Client{})
}

// credit gives the chip the CREDIT FOR LOAD command and the server its TAC.
func (c *reviewCase) credit(t *testing.T, au purse.Authorized) (purse.Load, error) {
	t.Helper()
	cmd, err := epurse.DecodeCreditLoadCommand(au.Command)
	must(t, err)
	cr, err := c.chip.CreditForLoad(cmd)
	must(t, err)
	b, err := cr.Encode()
	must(t, err)
	return c.purse.CompleteLoad(c.w.ctx, c.user, c.card, au.Load.ID, b)
}

// account is the card account: loaded minus cleared.
func (c *reviewCase) account(t *testing.T) int64 {
	t.Helper()
	v, err := c.purse.Card(c.w.ctx, c.user, c.card)
	must(t, err)
	return v.Balance
}

// crashAfterLoadRow makes the next load row be written and its request
// die right after.
func (c *reviewCase) crashAfterLoadRow() {
	c.hooks.mu.Lock()
	defer c.hooks.mu.Unlock()
	c.hooks.createLoad = func(ctx context.Context, l purse.Load) (bool, error) {
		if _, err := c.hooks.Store.CreateEpurseLoad(ctx, l); err != nil {
			return false, err
		}
		return false, errCrash
	}
}

// A retry of a load's key must be the same load: one that the crash left
// pending for amount A must not hand out a CREDIT for another amount, or
// the chip takes more than the ledger moved. (The API's key check only
// holds once an answer is kept; a crash or an ended request keeps none,
// and two server processes do not share the in-flight claim.)
func TestLoadRetryWithAnotherAmount(t *testing.T) {
	c := newReviewCase(t)
	c.crashAfterLoadRow()
	if _, err := c.authorize(c.user, "k1", 100, c.initLoad(t, 100)); !errors.Is(err, errCrash) {
		t.Fatalf("first try: %v", err)
	}
	au, err := c.authorize(c.user, "k1", 50_000, c.initLoad(t, 50_000))
	if err == nil {
		c.credit(t, au)
		t.Fatalf("the key's second try was answered: chip %d, card account %d", c.chip.Balance(), c.account(t))
	}
	if code := wallet.ErrorCode(err); code != wallet.CodeKeyReused {
		t.Fatalf("second try: %v (%s), want %s", err, code, wallet.CodeKeyReused)
	}
}

// A retry of a load a crash left pending, a second or more later, must
// answer the CREDIT the load row keeps: the TAC the chip makes covers the
// command's time, and CompleteLoad checks it against the row's.
func TestLoadRetryLater(t *testing.T) {
	c := newReviewCase(t)
	resp := c.initLoad(t, 2_000)
	c.crashAfterLoadRow()
	if _, err := c.authorize(c.user, "k1", 2_000, resp); !errors.Is(err, errCrash) {
		t.Fatalf("first try: %v", err)
	}
	c.w.clock.advance(5 * time.Second)
	au, err := c.authorize(c.user, "k1", 2_000, resp)
	must(t, err)
	l, err := c.credit(t, au)
	if err != nil || l.Status != purse.LoadCompleted {
		t.Fatalf("complete the retried load: %v %v", l.Status, err)
	}
	if got := c.account(t); got != c.chip.Balance() || got != 2_000 {
		t.Fatalf("card account %d, chip %d", got, c.chip.Balance())
	}
}

// A retry whose money moved in the first try (which died before
// answering) and which the wallet now refuses must not mark the load
// failed: its money is in the card account, and only a pending load is
// settled (reversed) by the card's next contact.
func TestLoadRetryRefusedAfterItsMoneyMoved(t *testing.T) {
	c := newReviewCase(t)
	resp := c.initLoad(t, 3_000)
	c.hooks.mu.Lock()
	c.hooks.epurseLoad = func(context.Context, string) (purse.Load, error) { return purse.Load{}, errCrash } // fenceLoad's read
	c.hooks.mu.Unlock()
	if _, err := c.authorize(c.user, "k1", 3_000, resp); !errors.Is(err, errCrash) {
		t.Fatalf("first try: %v", err)
	}
	frozen := c.user
	frozen.Status = wallet.StatusFrozen // frozen by support meanwhile
	if _, err := c.authorize(frozen, "k1", 3_000, resp); wallet.ErrorCode(err) != wallet.CodeWalletFrozen {
		t.Fatalf("retry on a frozen wallet: %v", err)
	}
	// Unfrozen, the holder loads again: the chip never took the first load.
	au, err := c.authorize(c.user, "k2", 1_000, c.initLoad(t, 1_000))
	must(t, err)
	if l, err := c.credit(t, au); err != nil || l.Status != purse.LoadCompleted {
		t.Fatalf("second load: %v %v", l.Status, err)
	}
	if got := c.account(t); got != c.chip.Balance() {
		t.Fatalf("card account %d, chip %d: the first load's money is stuck", got, c.chip.Balance())
	}
}

// A settling contact and the load it settles racing: the contact finds
// no money moved yet and marks the load failed; the load's money moves
// between that read and that write, and its fence still reads pending.
// One of them must send the money back.
func TestLoadSettledWhileItsMoneyMoves(t *testing.T) {
	c := newReviewCase(t)
	resp1 := c.initLoad(t, 4_000)
	c.crashAfterLoadRow() // the load row is there, its money not yet
	if _, err := c.authorize(c.user, "k1", 4_000, resp1); !errors.Is(err, errCrash) {
		t.Fatalf("first try: %v", err)
	}
	resp2 := c.initLoad(t, 1_000) // the card's next contact: the same online counter
	var retried error
	c.hooks.mu.Lock()
	c.hooks.finishLoad = func(ctx context.Context, id, status string, at time.Time) (bool, error) {
		// The first load's retry (another process) runs now, whole.
		_, retried = c.authorize(c.user, "k1", 4_000, resp1)
		return c.hooks.Store.FinishEpurseLoad(ctx, id, status, at)
	}
	c.hooks.mu.Unlock()
	au, err := c.authorize(c.user, "k2", 1_000, resp2)
	must(t, err)
	if l, err := c.credit(t, au); err != nil || l.Status != purse.LoadCompleted {
		t.Fatalf("second load: %v %v", l.Status, err)
	}
	t.Logf("the racing retry answered: %v", retried)
	if got := c.account(t); got != c.chip.Balance() {
		t.Fatalf("card account %d, chip %d: the first load's money is stuck", got, c.chip.Balance())
	}
}

// A record whose money moved but whose cleared row a crash lost is
// answered duplicate when uploaded again, and not counted as cleared
// by this upload a second time.
func TestUploadAfterCrashBeforeClearedRow(t *testing.T) {
	c := newReviewCase(t)
	au, err := c.authorize(c.user, "k1", 5_000, c.initLoad(t, 5_000))
	must(t, err)
	if _, err := c.credit(t, au); err != nil {
		t.Fatal(err)
	}
	reg, err := c.purse.RegisterTerminal(c.w.ctx, "mch_review", "Gate")
	must(t, err)
	sam := epurse.NewSAM(reg.SAMKey, reg.TerminalID, 1)
	resp, err := c.chip.InitializeForPurchase(sam.InitPurchase(300))
	must(t, err)
	sess, debit, err := sam.Authorize(resp, 300, uint32(c.w.clock.Now().Unix()))
	must(t, err)
	dr, err := c.chip.DebitForPurchase(debit)
	must(t, err)
	rec, err := sam.Complete(sess, dr)
	must(t, err)
	b, err := rec.Encode()
	must(t, err)
	c.hooks.mu.Lock()
	c.hooks.putCleared = func(context.Context, []purse.Cleared) error { return errCrash }
	c.hooks.mu.Unlock()
	if _, err := c.purse.UploadBatch(c.w.ctx, "mch_review", reg.Terminal.ID, b); !errors.Is(err, errCrash) {
		t.Fatalf("first upload: %v", err)
	}
	up, err := c.purse.UploadBatch(c.w.ctx, "mch_review", reg.Terminal.ID, b)
	must(t, err)
	if up.Results[0].Reason != epurse.ReasonDuplicate || up.Total != 0 || up.Accepted != 0 {
		t.Fatalf("upload again: %s, total %d, accepted %d; want duplicate, 0, 0", up.Results[0].Reason, up.Total, up.Accepted)
	}
	if got := c.account(t); got != c.chip.Balance() {
		t.Fatalf("card account %d, chip %d", got, c.chip.Balance())
	}
	up, err = c.purse.UploadBatch(c.w.ctx, "mch_review", reg.Terminal.ID, b)
	must(t, err)
	if up.Results[0].Reason != epurse.ReasonDuplicate {
		t.Fatalf("third upload: %s", up.Results[0].Reason)
	}
}
