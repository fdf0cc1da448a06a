package crashtest_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// The parent passes the child its work through the environment.
const (
	envChild = "EWALLET_CRASH_CHILD" // backend name; its presence makes TestCrashChild the child
	envDSN   = "EWALLET_CRASH_DSN"   // database path or URL
	envRun   = "EWALLET_CRASH_RUN"   // round number, part of every transfer ID
)

const (
	wallets    = 50
	workers    = 16
	funding    = 1_000_000 // minor units each wallet is funded with, once
	overdraft  = 1 << 40   // an amount no wallet holds: always insufficient_funds
	childLimit = 2 * time.Minute
)

// TestCrashChild is the child process of TestCrashSQLite and
// TestCrashPostgres; run directly it skips. It writes transfers until it is
// killed and never returns on its own: any unexpected error ends the process
// with a message on stderr, which the parent reports.
func TestCrashChild(t *testing.T) {
	backend := os.Getenv(envChild)
	if backend == "" {
		t.Skip("the child process of TestCrashSQLite and TestCrashPostgres")
	}
	run, err := strconv.Atoi(os.Getenv(envRun))
	if err != nil {
		die("bad %s: %v", envRun, err)
	}
	// Never outlive the parent: it holds our stdin open until it has killed
	// us, so end of input means it is gone; and never run for long anyway.
	go func() {
		io.Copy(io.Discard, os.Stdin)
		die("stdin closed: the parent is gone")
	}()
	time.AfterFunc(childLimit, func() { die("not killed within %s", childLimit) })

	ctx := context.Background()
	store, err := openStore(ctx, backend, os.Getenv(envDSN))
	if err != nil {
		die("open %s: %v", backend, err)
	}
	c := &child{l: ledger.New(store, ledger.Options{}), run: run}
	if err := c.setup(ctx); err != nil {
		die("setup: %v", err)
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(run), uint64(g)))
			for n := 0; ; n++ {
				c.step(ctx, rng, fmt.Sprintf("r%02d-g%02d-%05d", run, g, n))
			}
		})
	}
	wg.Wait()
}

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "crash child: "+format+"\n", args...)
	os.Exit(3)
}

type child struct {
	l       *ledger.Ledger
	run     int
	bank    ledger.AccountID   // NoPositive: where the wallets' money came from
	fees    ledger.AccountID   // collects the fee leg of some transfers
	wallets []ledger.AccountID // NoNegative

	mu sync.Mutex // one write per line, so lines never interleave
}

// setup creates the accounts and funds every wallet once. Both are
// idempotent (by account name and by transfer ID), so every round reuses
// what the first one created.
func (c *child) setup(ctx context.Context) error {
	specs := []ledger.AccountSpec{
		{Name: "crash:bank:CNY", Currency: money.CNY, Flags: ledger.NoPositive},
		{Name: "crash:fees:CNY", Currency: money.CNY},
	}
	for i := range wallets {
		specs = append(specs, ledger.AccountSpec{Name: fmt.Sprintf("crash:wallet:%02d:CNY", i), Currency: money.CNY, Flags: ledger.NoNegative})
	}
	as, err := c.l.CreateAccounts(ctx, specs)
	if err != nil {
		return err
	}
	c.bank, c.fees = as[0].ID, as[1].ID
	ts := make([]ledger.Transfer, 0, wallets)
	for _, a := range as[2:] {
		c.wallets = append(c.wallets, a.ID)
		ts = append(ts, ledger.Move("crash:fund:"+a.Name, "topup", c.bank, a.ID, funding))
	}
	c.submit(ctx, ts, nil)
	return nil
}

// step does one random piece of work: a single transfer, a batch through
// Submit, or a hold and then its post or void.
func (c *child) step(ctx context.Context, rng *rand.Rand, id string) {
	switch p := rng.IntN(10); {
	case p < 5:
		c.submit(ctx, []ledger.Transfer{c.payment(rng, id)}, nil)
	case p < 7:
		ts := make([]ledger.Transfer, 2+rng.IntN(7))
		for i := range ts {
			ts[i] = c.payment(rng, fmt.Sprintf("%s-%d", id, i))
		}
		c.submit(ctx, ts, nil)
	default:
		c.holdAndResolve(ctx, rng, id)
	}
}

// payment is a p2p move between two wallets, sometimes with a fee leg and
// sometimes for more than any wallet holds.
func (c *child) payment(rng *rand.Rand, id string) ledger.Transfer {
	from, to := c.twoWallets(rng)
	amount := 1 + rng.Int64N(1000)
	if rng.IntN(20) == 0 {
		amount = overdraft
	}
	t := ledger.Move(id, "p2p", from, to, amount)
	if rng.IntN(4) == 0 && amount > 1 {
		fee := 1 + amount/100
		t.Kind = "payment"
		t.Postings = []ledger.Posting{{Account: from, Amount: -amount}, {Account: to, Amount: amount - fee}, {Account: c.fees, Amount: fee}}
	}
	t.Metadata = map[string]string{"run": strconv.Itoa(c.run)}
	return t
}

func (c *child) holdAndResolve(ctx context.Context, rng *rand.Rand, id string) {
	from, to := c.twoWallets(rng)
	amount := 2 + rng.Int64N(1000)
	h := ledger.Transfer{ID: id + "-hold", Type: ledger.Hold, Kind: "payment", Postings: []ledger.Posting{{Account: from, Amount: -amount}, {Account: to, Amount: amount}}}
	if rng.IntN(2) == 0 {
		h.ExpiresAt = time.Now().Add(time.Hour)
	}
	if !c.submit(ctx, []ledger.Transfer{h}, nil)[0] {
		return
	}
	r := ledger.Transfer{ID: id + "-res", Type: ledger.Post, Kind: "capture", HoldID: h.ID}
	var want []ledger.Posting
	switch rng.IntN(3) {
	case 0: // capture in full: the ledger moves what was held
		want = h.Postings
	case 1: // partial capture with a fee leg
		part := 2 + rng.Int64N(amount-1)
		r.Postings = []ledger.Posting{{Account: from, Amount: -part}, {Account: to, Amount: part - 1}, {Account: c.fees, Amount: 1}}
		want = r.Postings
	default:
		r.Type, r.Kind = ledger.Void, "cancel"
	}
	c.submit(ctx, []ledger.Transfer{r}, [][]ledger.Posting{want})
}

func (c *child) twoWallets(rng *rand.Rand) (ledger.AccountID, ledger.AccountID) {
	i := rng.IntN(wallets)
	j := (i + 1 + rng.IntN(wallets-1)) % wallets
	return c.wallets[i], c.wallets[j]
}

// submit hands ts to the ledger (one transfer through Transfer, several in
// one Submit) and reports each answer as it is known: an ack line for a
// commit, a rej line for a remembered refusal.
// want, when not nil, gives the postings each committed transfer must carry
// (default: its own). It reports which transfers committed. Any other error
// ends the child.
func (c *child) submit(ctx context.Context, ts []ledger.Transfer, want [][]ledger.Posting) []bool {
	var outs []ledger.Outcome
	if len(ts) == 1 {
		res, err := c.l.Transfer(ctx, ts[0])
		outs = []ledger.Outcome{{Result: res, Err: err}}
	} else {
		outs = c.l.Submit(ctx, ts)
	}
	ok := make([]bool, len(ts))
	for i, o := range outs {
		rec := newRecord(ts[i])
		prefix := ackPrefix
		switch code := ledger.ErrorCode(o.Err); {
		case o.Err == nil:
			ps := ts[i].Postings
			if want != nil {
				ps = want[i]
			}
			rec.Want, rec.Seq, rec.Hash = ledger.EncodePostings(ps), o.Result.Transfer.Seq, hex.EncodeToString(o.Result.Transfer.Hash[:])
			ok[i] = true
		case code == ledger.CodeInsufficientFunds:
			rec.Code, prefix = code, rejPrefix
		default:
			die("transfer %s: %v", ts[i].ID, o.Err)
		}
		c.write(rec.line(prefix))
	}
	return ok
}

// write sends one line with one write(2): a pipe write of fewer than
// PIPE_BUF bytes is atomic, so a kill cannot tear it, and a line written
// is a line the parent will read.
func (c *child) write(line []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := os.Stdout.Write(line); err != nil {
		die("write: %v", err)
	}
}
