package purse_test

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/bank"
	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/notify"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/vault"
	"github.com/ewallet/ewallet/wallet"
)

// The property test of issue 6, at the service level: random sequences of
// loads (some torn: MAC2 never reaches the chip, or its TAC never reaches
// the server), offline purchases at three terminals of two merchants (some
// torn, before or after the card's debit, and recovered at the card's next
// tap there), uploads (partial, out of order, with duplicates, another
// terminal's records and altered ones), loss reports, clock advances and
// RefundDue, over a real SQLite store, ledger and wallet.Service with the
// sandbox bank. The chips and SAMs are the real epurse types.
//
// After every step:
//   - every card account holds its chip's balance, plus the purchases the
//     chip made that are not cleared (torn, not uploaded, or denied), plus a
//     load whose money moved but the chip never took, until it is settled;
//     nothing once refunded;
//   - the holders' wallets + the card accounts (the e-purse float) + the
//     merchants' balances equal what the holders topped up.
//
// Every upload's per-record reasons must be those a model predicts
// (accepted, duplicate, denied, wrong_terminal; forged or malformed for an
// altered record); a torn load is settled the way the chip's counter says;
// a torn purchase the chip never took must never yield a record; a refund
// pays exactly the card account. At the end of a sequence the ledger
// verifies.
//
// One store serves every sequence (it costs a migration to open); each
// sequence makes its own holders, merchants, cards and terminals, so its
// sums start from zero. Users are written to the store directly, with a
// PIN hash: registration would cost argon2 hashes per sequence and is not
// under test here.

const (
	propWindow = 48 * time.Hour
	propTopup  = 150_000 // what each holder tops up: 1,500.00 CNY
	propPIN    = "730194"
)

func TestPurseProperty(t *testing.T) {
	setDefaultFlag(t, "rapid.checks", "RAPID_CHECKS", "50")
	setDefaultFlag(t, "rapid.steps", "RAPID_STEPS", "40")
	w := newPropWorld(t)
	rapid.Check(t, func(rt *rapid.T) {
		r := w.newRun(rt)
		rt.Repeat(weighted(r.check, []action{
			{"load", 3, r.load},
			{"completeProof", 1, r.completeByProof},
			{"tap", 8, r.tap},
			{"upload", 4, r.upload},
			{"uploadOther", 1, r.uploadAsOtherMerchant},
			{"lost", 1, r.reportLost},
			{"advance", 2, r.advance},
			{"refund", 1, r.refundDue},
		}))
		rep, err := w.ledger.Verify(w.ctx)
		if err != nil || !rep.OK {
			rt.Fatalf("ledger verify: %v %v", err, rep.Problem)
		}
	})
}

// action is a step of a sequence; weight is how many of rapid's
// equally likely choices it takes, so that taps and uploads, which need
// many of them, outnumber the loss reports that end a card's use.
type action struct {
	name   string
	weight int
	run    func(*rapid.T)
}

func weighted(check func(*rapid.T), as []action) map[string]func(*rapid.T) {
	m := map[string]func(*rapid.T){"": check}
	for _, a := range as {
		for i := range a.weight {
			m[fmt.Sprintf("%s/%d", a.name, i)] = a.run
		}
	}
	return m
}

// setDefaultFlag gives a rapid flag this test's default unless the flag
// or its environment variable was set.
func setDefaultFlag(t *testing.T, name, env, value string) {
	if _, ok := os.LookupEnv(env); ok {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	f := flag.Lookup(name)
	if set || f == nil {
		return
	}
	old := f.Value.String()
	if err := f.Value.Set(value); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Value.Set(old) })
}

// propClock is the clock of the ledger, the wallet and the e-purse; only
// the test moves it, and only forward.
type propClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *propClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *propClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// propWorld is what outlives one sequence.
type propWorld struct {
	ctx    context.Context
	clock  *propClock
	ledger *ledger.Ledger
	wallet *wallet.Service
	purse  *purse.Service
	pins   *auth.PINHasher
	store  purse.Store // the SQLite store the purse service runs on
	seed   []byte      // the issuer's seed, for a second service (review_test.go)
	mu     sync.Mutex
	n      int // for unique phones and keys
}

func newPropWorld(t *testing.T) *propWorld {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ewallet.db"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &propClock{t: time.Now().UTC().Truncate(time.Second)}
	l := ledger.New(db, ledger.Options{Now: clock.Now})
	t.Cleanup(func() {
		l.Close()
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	v, err := vault.New(randomBytes(32))
	must(t, err)
	pins, err := auth.NewPINHasher(randomBytes(32))
	must(t, err)
	svc, err := wallet.New(wallet.Deps{Store: db.WalletStore(), Ledger: l, Bank: &bank.Sandbox{Now: clock.Now},
		SMS: &notify.SandboxSMS{Now: clock.Now}, Vault: v, Passwords: auth.NewHasher(1), PINs: pins,
		CodeSecret: randomBytes(32), Now: clock.Now}, wallet.DefaultConfig())
	must(t, err)
	seed := randomBytes(32)
	ps, err := purse.New(purse.Deps{Store: db.WalletStore().(purse.Store), Ledger: l, Wallet: svc, Seed: seed, Now: clock.Now},
		purse.Config{ClearingWindow: propWindow})
	must(t, err)
	return &propWorld{ctx: ctx, clock: clock, ledger: l, wallet: svc, purse: ps, pins: pins, store: db.WalletStore().(purse.Store), seed: seed}
}

func (w *propWorld) next() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n++
	return w.n
}

func (w *propWorld) key() wallet.Idem { return wallet.Idem{Key: fmt.Sprintf("prop-%d", w.next())} }

// newHolder is an active tier-3 user with a PIN, a bound card and
// propTopup in the wallet, topped up through the sandbox bank.
func (w *propWorld) newHolder(t *rapid.T) *propHolder {
	id := auth.NewID("usr_")
	u := wallet.User{ID: id, WalletID: "wal_" + id[4:], Phone: fmt.Sprintf("+8613%09d", w.next()), Name: "Holder",
		Status: wallet.StatusActive, KYCTier: 3, PINHash: w.pins.Hash(id, propPIN), CreatedAt: w.clock.Now()}
	mustR(t, w.wallet.Store.CreateUser(w.ctx, u))
	card, err := w.wallet.AddCard(w.ctx, u, bank.CardApproves, 12, 2099, "HOLDER", wallet.Client{})
	mustR(t, err)
	op, _, err := w.wallet.Topup(w.ctx, u, wallet.CardMoneyRequest{CardID: card.ID, Amount: propTopup, Currency: money.CNY, PIN: propPIN},
		w.key(), wallet.Client{})
	mustR(t, err)
	if op.Status != wallet.OpSucceeded {
		t.Fatalf("top-up: %+v", op)
	}
	return &propHolder{user: u}
}

type propHolder struct {
	user wallet.User
}

// propCard is a card: the real chip, and what the model knows of it.
type propCard struct {
	id     string
	holder *propHolder
	chip   *epurse.Card
	spent  map[uint16]int64 // the chip's purchases by offline counter
	clear  map[uint16]bool  // counters cleared
	// untaken is a load whose money moved but whose MAC2 never reached
	// the chip; tacLost one the chip took whose TAC never reached the
	// server (at online counter tacCounter).
	untaken    string
	untakenAmt int64
	tacLost    string
	tacCounter uint16
	deniedAt   time.Time // zero while active
	refunded   bool
}

// propTerminal is a terminal: its SAM and what it made.
type propTerminal struct {
	id       string
	merchant string
	sam      *epurse.SAM
	made     []epurse.Record // every record it made, uploaded or not
	torn     map[epurse.CardNumber]tornTap
}

// tornTap is a purchase whose DEBIT answer the terminal never got.
type tornTap struct {
	sess    epurse.PurchaseSession
	debited bool // the chip took the DEBIT
}

// propRun is one sequence.
type propRun struct {
	w         *propWorld
	holders   []*propHolder
	merchants []string
	cards     []*propCard
	byNumber  map[epurse.CardNumber]*propCard
	terms     []*propTerminal
	topped    int64
}

func (w *propWorld) newRun(t *rapid.T) *propRun {
	r := &propRun{w: w, byNumber: map[epurse.CardNumber]*propCard{}}
	for range 2 {
		r.holders = append(r.holders, w.newHolder(t))
		r.topped += propTopup
		r.merchants = append(r.merchants, fmt.Sprintf("mch_prop%d", w.next()))
	}
	for _, h := range []*propHolder{r.holders[0], r.holders[0], r.holders[1]} {
		is, err := w.purse.Issue(w.ctx, h.user, "")
		mustR(t, err)
		c := &propCard{id: is.Card.ID, holder: h, chip: epurse.LoadCard(is.State, nil), spent: map[uint16]int64{}, clear: map[uint16]bool{}}
		r.cards = append(r.cards, c)
		r.byNumber[is.State.Number] = c
	}
	// Value to spend from the first step on.
	for _, c := range r.cards {
		r.loadCard(t, c, rapid.Int64Range(1_000, 50_000).Draw(t, "first load"), "whole")
	}
	for i, m := range []string{r.merchants[0], r.merchants[0], r.merchants[1]} {
		reg, err := w.purse.RegisterTerminal(w.ctx, m, fmt.Sprintf("Gate %d", i))
		mustR(t, err)
		r.terms = append(r.terms, &propTerminal{id: reg.Terminal.ID, merchant: m,
			sam: epurse.NewSAM(reg.SAMKey, reg.TerminalID, 1), torn: map[epurse.CardNumber]tornTap{}})
	}
	return r
}

func (r *propRun) pickCard(t *rapid.T) *propCard {
	return rapid.SampledFrom(r.cards).Draw(t, "card")
}

func (r *propRun) pickTerminal(t *rapid.T, label string) *propTerminal {
	return rapid.SampledFrom(r.terms).Draw(t, label)
}

// load is a load of the card, whole or torn either way.
func (r *propRun) load(t *rapid.T) {
	c := r.pickCard(t)
	amount := rapid.Int64Range(1, 40_000).Draw(t, "amount")
	mode := rapid.SampledFrom([]string{"whole", "mac2_lost", "tac_lost"}).Draw(t, "load")
	r.loadCard(t, c, amount, mode)
}

func (r *propRun) loadCard(t *rapid.T, c *propCard, amount int64, mode string) {
	resp, err := c.chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: amount})
	if err != nil {
		return // over the card's cap: the chip says no before the server hears of it
	}
	b, err := resp.Encode()
	mustR(t, err)
	au, err := r.w.purse.AuthorizeLoad(r.w.ctx, c.holder.user, c.id,
		purse.LoadRequest{Amount: amount, Currency: money.CNY, Response: b, PIN: propPIN}, r.w.key(), wallet.Client{})
	r.settled(t, c)
	if err != nil {
		switch code := wallet.ErrorCode(err); {
		case code == purse.CodeCardLost && !c.deniedAt.IsZero():
		case c.deniedAt.IsZero() && (code == wallet.CodeInsufficientFunds || code == wallet.CodeLimitExceeded):
		default:
			t.Fatalf("load of %d: %v", amount, err)
		}
		return
	}
	if !c.deniedAt.IsZero() {
		t.Fatalf("a lost card was loaded")
	}
	if mode == "mac2_lost" {
		c.untaken, c.untakenAmt = au.Load.ID, amount
		return
	}
	cmd, err := epurse.DecodeCreditLoadCommand(au.Command)
	mustR(t, err)
	cr, err := c.chip.CreditForLoad(cmd)
	mustR(t, err)
	if mode == "tac_lost" {
		c.tacLost, c.tacCounter = au.Load.ID, au.Load.OnlineCounter
		return
	}
	b, err = cr.Encode()
	mustR(t, err)
	l, err := r.w.purse.CompleteLoad(r.w.ctx, c.holder.user, c.id, au.Load.ID, b)
	if err != nil || l.Status != purse.LoadCompleted {
		t.Fatalf("complete load: %v %v", l.Status, err)
	}
}

// settled follows the card's torn loads after a contact: a load the chip
// never took may only be reversed, one it took only completed.
func (r *propRun) settled(t *rapid.T, c *propCard) {
	if c.untaken != "" {
		switch st := r.loadStatus(t, c, c.untaken); st {
		case purse.LoadReversed:
			c.untaken, c.untakenAmt = "", 0
		case purse.LoadRefunded: // its money went back with the card's rest
			if !c.refunded {
				t.Fatalf("load %s refunded, but its card was not", c.untaken)
			}
			c.untaken, c.untakenAmt = "", 0
		case purse.LoadPending:
		default:
			t.Fatalf("load %s the chip never took is %s", c.untaken, st)
		}
	}
	if c.tacLost != "" {
		switch st := r.loadStatus(t, c, c.tacLost); st {
		case purse.LoadCompleted:
			c.tacLost = ""
		case purse.LoadRefunded:
			if !c.refunded {
				t.Fatalf("load %s refunded, but its card was not", c.tacLost)
			}
			c.tacLost = ""
		case purse.LoadPending:
		default:
			t.Fatalf("load %s the chip took is %s", c.tacLost, st)
		}
	}
}

func (r *propRun) loadStatus(t *rapid.T, c *propCard, id string) string {
	l, err := r.w.purse.Load(r.w.ctx, c.holder.user, c.id, id)
	mustR(t, err)
	return l.Status
}

// completeByProof sends the server the chip's proof of a load whose TAC
// was lost, as the holder's app does at the next contact.
func (r *propRun) completeByProof(t *rapid.T) {
	c := r.pickCard(t)
	if c.tacLost == "" {
		t.Skip("no load waits for its TAC")
	}
	proof, err := c.chip.GetTransactionProof(epurse.ProofCommand{Type: epurse.TypeLoad, Counter: c.tacCounter})
	if errors.Is(err, epurse.ErrNotFound) {
		return // ten transactions since: only the next load settles it
	}
	mustR(t, err)
	b, err := proof.Encode()
	mustR(t, err)
	l, err := r.w.purse.CompleteLoad(r.w.ctx, c.holder.user, c.id, c.tacLost, b)
	want := purse.LoadCompleted
	if c.refunded {
		want = purse.LoadRefunded // the refund settled it with the card's rest
	}
	if err != nil || l.Status != want {
		t.Fatalf("complete by proof: %v %v, want %v", l.Status, err, want)
	}
	c.tacLost = ""
}

// tap is an offline purchase, whole or torn before or after the card's
// debit; a torn purchase of the card at this terminal is recovered first.
func (r *propRun) tap(t *rapid.T) {
	c := r.pickCard(t)
	term := r.pickTerminal(t, "terminal")
	amount := rapid.Int64Range(1, 3_000).Draw(t, "amount")
	mode := rapid.SampledFrom([]string{"whole", "whole", "torn_before_debit", "torn_after_debit"}).Draw(t, "tap")
	r.recover(t, c, term)
	resp, err := c.chip.InitializeForPurchase(term.sam.InitPurchase(amount))
	if err != nil {
		return // over the balance or the per-purchase cap: the chip says no
	}
	sess, debit, err := term.sam.Authorize(resp, amount, uint32(r.w.clock.Now().Unix()))
	mustR(t, err)
	if mode == "torn_before_debit" {
		term.torn[sess.Card] = tornTap{sess: sess}
		return
	}
	dr, err := c.chip.DebitForPurchase(debit)
	mustR(t, err)
	c.spent[sess.OfflineCounter] = amount
	if mode == "torn_after_debit" {
		term.torn[sess.Card] = tornTap{sess: sess, debited: true}
		return
	}
	rec, err := term.sam.Complete(sess, dr)
	mustR(t, err)
	term.made = append(term.made, rec)
}

// recover settles the card's torn purchase at the terminal with GET LAST
// TRANSACTION PROOF: a record if and only if the chip took the debit (and
// still remembers it).
func (r *propRun) recover(t *rapid.T, c *propCard, term *propTerminal) {
	n := c.chip.Number()
	tt, ok := term.torn[n]
	if !ok {
		return
	}
	delete(term.torn, n)
	proof, err := c.chip.GetTransactionProof(tt.sess.ProofCommand())
	if errors.Is(err, epurse.ErrNotFound) {
		if tt.debited && inLog(c.chip, tt.sess.OfflineCounter) {
			t.Fatalf("the chip's log holds counter %d but answers no proof", tt.sess.OfflineCounter)
		}
		return // not debited, or pushed out of the log: the value stays in the card account
	}
	mustR(t, err)
	rec, err := term.sam.Recover(tt.sess, proof)
	switch {
	case tt.debited && err == nil:
		term.made = append(term.made, rec)
	case !tt.debited && errors.Is(err, epurse.ErrBadMAC):
		// The counter's purchase was made elsewhere.
	default:
		t.Fatalf("recover a torn purchase (debited %v): %v", tt.debited, err)
	}
}

func inLog(chip *epurse.Card, counter uint16) bool {
	return slices.ContainsFunc(chip.State().Log, func(e epurse.LogEntry) bool {
		return e.Type == epurse.TypePurchase && e.Counter == counter
	})
}

// upload sends some of a terminal's records, in any order, with repeats,
// maybe with another terminal's record or an altered one, and checks each
// answer against the model.
func (r *propRun) upload(t *rapid.T) {
	term := r.pickTerminal(t, "terminal")
	var recs []epurse.Record
	if len(term.made) > 0 {
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(term.made)-1), 0, len(term.made)+2).Draw(t, "records") {
			recs = append(recs, term.made[i])
		}
	}
	var extra []string // what the model expects for the extras, by position
	switch rapid.IntRange(0, 5).Draw(t, "extra") {
	case 0:
		if other := r.pickTerminal(t, "other"); other != term && len(other.made) > 0 {
			recs = append(recs, rapid.SampledFrom(other.made).Draw(t, "foreign"))
			extra = append(extra, string(epurse.ReasonWrongTerminal))
		}
	case 1:
		if len(recs) > 0 {
			recs = append(recs, recs[0])
			extra = append(extra, "altered")
		}
	}
	batch := encodeBatch(t, recs)
	if len(extra) > 0 && extra[0] == "altered" {
		i := len(batch) - epurse.RecordSize + rapid.IntRange(1, epurse.RecordSize-1).Draw(t, "byte")
		batch[i] ^= byte(rapid.IntRange(1, 255).Draw(t, "xor"))
	}
	up, err := r.w.purse.UploadBatch(r.w.ctx, term.merchant, term.id, batch)
	mustR(t, err)
	r.judge(t, term, recs, extra, up)
}

// judge compares an upload's results with the model's and books the
// accepted records in the model.
func (r *propRun) judge(t *rapid.T, term *propTerminal, recs []epurse.Record, extra []string, up purse.Upload) {
	if len(up.Results) != len(recs) {
		t.Fatalf("%d results for %d records", len(up.Results), len(recs))
	}
	var total int64
	genuine := len(recs) - len(extra)
	for i, res := range up.Results {
		want := string(r.predict(term, recs[i]))
		if i >= genuine {
			want = extra[i-genuine]
		}
		got := string(res.Reason)
		if want == "altered" && (got == string(epurse.ReasonForged) || got == string(epurse.ReasonMalformed)) {
			continue
		}
		if got != want {
			t.Fatalf("record %d (card %s counter %d): %s (%s), want %s", i, recs[i].Card, recs[i].OfflineCounter, got, res.Detail, want)
		}
		if res.Reason == epurse.ReasonAccepted {
			r.byNumber[recs[i].Card].clear[recs[i].OfflineCounter] = true
			total += recs[i].Amount
		}
	}
	if up.Total != total {
		t.Fatalf("upload total %d, accepted records sum to %d", up.Total, total)
	}
}

// predict is the reason a genuine record of this run gets, given what the
// model has cleared so far (including earlier records of the same batch).
func (r *propRun) predict(term *propTerminal, rec epurse.Record) epurse.Reason {
	c := r.byNumber[rec.Card]
	switch {
	case rec.Terminal != term.sam.Terminal():
		return epurse.ReasonWrongTerminal
	case c.clear[rec.OfflineCounter]:
		return epurse.ReasonDuplicate
	case !c.deniedAt.IsZero() && int64(rec.Time) >= c.deniedAt.Unix():
		return epurse.ReasonDenied
	case c.refunded: // the rest went back to the wallet; nothing is left to clear
		return epurse.ReasonDenied
	}
	return epurse.ReasonAccepted
}

func encodeBatch(t *rapid.T, recs []epurse.Record) []byte {
	var b []byte
	for _, rec := range recs {
		e, err := rec.Encode()
		mustR(t, err)
		b = append(b, e...)
	}
	return b
}

// uploadAsOtherMerchant: a merchant cannot upload to another's terminal.
func (r *propRun) uploadAsOtherMerchant(t *rapid.T) {
	term := r.pickTerminal(t, "terminal")
	if len(term.made) == 0 {
		t.Skip("nothing to steal")
	}
	other := r.merchants[0]
	if other == term.merchant {
		other = r.merchants[1]
	}
	_, err := r.w.purse.UploadBatch(r.w.ctx, other, term.id, encodeBatch(t, term.made))
	if wallet.ErrorCode(err) != wallet.CodeNotFound {
		t.Fatalf("another merchant's upload: %v", err)
	}
}

func (r *propRun) reportLost(t *rapid.T) {
	if rapid.IntRange(0, 2).Draw(t, "chance") > 0 {
		t.Skip("rarer than its one weight") // a lost card is denied from then on
	}
	c := r.pickCard(t)
	v, err := r.w.purse.ReportLost(r.w.ctx, c.holder.user, c.id)
	mustR(t, err)
	if c.deniedAt.IsZero() {
		c.deniedAt = v.DeniedAt
	}
	if v.Status == purse.CardActive || !v.DeniedAt.Equal(c.deniedAt) {
		t.Fatalf("reported lost: status %s denied at %v, want since %v", v.Status, v.DeniedAt, c.deniedAt)
	}
}

func (r *propRun) advance(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{time.Second, time.Minute, time.Hour, 20 * time.Hour, propWindow + time.Second}).Draw(t, "by")
	r.w.clock.advance(d)
}

// refundDue runs the refunds: each lost card of this run past its window
// gets exactly its card account back, once.
func (r *propRun) refundDue(t *rapid.T) {
	now := r.w.clock.Now()
	want := map[*propCard]int64{}
	for _, c := range r.cards {
		if !c.deniedAt.IsZero() && !c.refunded && !now.Before(c.deniedAt.Add(propWindow)) {
			want[c] = r.view(t, c).Balance
		}
	}
	n, err := r.w.purse.RefundDue(r.w.ctx, 1000)
	mustR(t, err)
	if n < len(want) {
		t.Fatalf("refunded %d cards, %d of this run are due", n, len(want))
	}
	for c, amount := range want {
		v := r.view(t, c)
		if v.Status != purse.CardRefunded || v.Refunded != amount || v.Balance != 0 {
			t.Fatalf("card %s after its refund: %s, refunded %d (want %d), account %d", c.id, v.Status, v.Refunded, amount, v.Balance)
		}
		c.refunded = true
		c.untaken, c.untakenAmt = "", 0 // the refund took it back with the rest
	}
}

func (r *propRun) view(t *rapid.T, c *propCard) purse.CardView {
	v, err := r.w.purse.Card(r.w.ctx, c.holder.user, c.id)
	mustR(t, err)
	return v
}

// check is the invariant after every step: each card account as the chip
// and the model explain it, and the money of the run conserved.
func (r *propRun) check(t *rapid.T) {
	var float int64
	for _, c := range r.cards {
		got := r.view(t, c).Balance
		want := c.chip.Balance() + c.untakenAmt
		for ctr, amount := range c.spent {
			if !c.clear[ctr] {
				want += amount
			}
		}
		if c.refunded {
			want = 0
		}
		if got != want {
			t.Fatalf("card %s: account %d, want chip %d + uncleared + untaken load %d = %d", c.id, got, c.chip.Balance(), c.untakenAmt, want)
		}
		float += got
	}
	var wallets, merchants int64
	for _, h := range r.holders {
		wallets += r.balance(t, h.user.WalletID)
	}
	for _, m := range r.merchants {
		merchants += r.balance(t, m)
	}
	if sum := wallets + float + merchants; sum != r.topped {
		t.Fatalf("wallets %d + float %d + merchants %d = %d, topped up %d", wallets, float, merchants, sum, r.topped)
	}
}

func (r *propRun) balance(t *rapid.T, owner string) int64 {
	id, err := r.w.wallet.WalletAccount(r.w.ctx, owner, money.CNY)
	mustR(t, err)
	a, err := r.w.ledger.Account(r.w.ctx, id)
	mustR(t, err)
	return a.Posted
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustR(t *rapid.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
