package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ewallet/ewallet/banksim"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// envChaosArgs carries a child's subcommand and flags, separated by
// newlines; its presence makes TestChaosChild the child.
const envChaosArgs = "EWALLET_CHAOS_ARGS"

// TestChaosChild is a process of TestBankChaos (ewallet serve or ewallet
// banksim); run directly it skips. It runs until it is killed, or until
// its stdin closes (the parent is gone).
func TestChaosChild(t *testing.T) {
	args := os.Getenv(envChaosArgs)
	if args == "" {
		t.Skip("a child process of TestBankChaos")
	}
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(3)
	}()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := run(ctx, strings.Split(args, "\n"), os.Getenv, strings.NewReader(""), io.Discard, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "chaos child:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// child is one restartable process of the chaos test.
type child struct {
	t     *testing.T
	name  string
	args  []string
	base  string // http://127.0.0.1:port
	cmd   *exec.Cmd
	stdin io.WriteCloser
	kills int
	log   bytes.Buffer // stderr of every life, for a failure's message
}

func (c *child) start() {
	c.t.Helper()
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestChaosChild$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), envChaosArgs+"="+strings.Join(c.args, "\n"))
	c.cmd.Stderr = &c.log
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		c.t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if res, err := http.Get(c.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not healthy within 30s:\n%s", c.name, c.tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
	c.stdin.Close()
	c.kills++
}

// stop ends the process with SIGTERM and waits for its orderly exit.
func (c *child) stop() {
	c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			c.t.Errorf("%s: %v\n%s", c.name, err, c.tail())
		}
	case <-time.After(20 * time.Second):
		c.cmd.Process.Kill()
		c.t.Errorf("%s did not stop on SIGTERM", c.name)
	}
	c.stdin.Close()
}

func (c *child) tail() string {
	s := c.log.String()
	if len(s) > 8<<10 {
		s = "[...]" + s[len(s)-8<<10:]
	}
	return s
}

// chaosDir is where both processes keep their databases: on disk, like
// every test here. A tmpfs would make the run faster (its fsyncs cost
// nothing) but would no longer be the durable setup the money rules ask
// for in tests too.
func chaosDir(t *testing.T) string { return t.TempDir() }

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// chaosOp is one top-up or withdrawal the test asked for.
type chaosOp struct {
	user    int
	path    string // /v1/topups or /v1/withdrawals
	amount  int64
	key, id string
	status  string // final: succeeded or failed
}

// TestBankChaos runs ewallet and the sandbox bank as separate processes on
// loopback, makes 2,000 top-ups and 500 withdrawals (payouts) while the
// bank misbehaves at random on 20% of requests and both processes are
// killed with SIGKILL and restarted again and again, then checks: every
// top-up the bank captured is credited exactly once (and no other), no
// payout is paid twice (or paid when the wallet says it failed), both
// ledgers verify, and reconciliation has no unexplained difference.
func TestBankChaos(t *testing.T) {
	topups, payouts, users := 2000, 500, 20
	if testing.Short() {
		topups, payouts, users = 200, 50, 10
	}
	start := time.Now()
	dir := chaosDir(t)
	bankAddr, walletAddr := freePort(t), freePort(t)
	bank := &child{t: t, name: "banksim", base: "http://" + bankAddr, args: []string{"banksim", "--addr", bankAddr,
		"--data", filepath.Join(dir, "bank"), "--secret", bankSecret, "--chaos-rate", "0.2", "--async-delay", "100ms",
		"--slow-delay", "1s", "--callback-backoff-max", "300ms", "--log-level", "error"}}
	ew := &child{t: t, name: "ewallet", base: "http://" + walletAddr, args: []string{"serve", "--addr", walletAddr,
		"--data", filepath.Join(dir, "wallet"), "--dev", "--admin-token", "admin-secret", "--bank", bank.base,
		"--bank-secret", bankSecret, "--bank-timeout", "400ms", "--bank-backoff", "50ms", "--bank-backoff-max", "500ms", "--bank-recovery", "200ms", "--log-level", "error"}}
	bank.start()
	ew.start()
	t.Cleanup(func() {
		for _, c := range []*child{ew, bank} {
			if c.cmd.ProcessState == nil {
				c.cmd.Process.Kill()
				c.cmd.Wait()
			}
		}
	})
	c := &client{t: t, base: ew.base, admin: "admin-secret", n: new(atomic.Int64)}
	us := make([]user, users)
	cards := make([]string, users)
	var setup sync.WaitGroup
	for i := range us {
		setup.Go(func() {
			us[i] = c.mustUser(fmt.Sprintf("chaos %d", i))
			cards[i] = luhnCard(5000 + i)
			us[i].card = c.bindCard(us[i], cards[i])
		})
	}
	setup.Wait()
	if t.Failed() {
		return
	}
	setupTook := time.Since(start)

	ops := plan(topups, payouts, users)
	loadStart := time.Now()
	done := make(chan struct{})
	var kills sync.WaitGroup
	kills.Go(func() { chaosKills(t, done, ew, bank) })
	load(t, ew.base, us, ops)
	close(done)
	kills.Wait()
	loadTook := time.Since(loadStart)
	settleStart := time.Now()
	settle(t, ew.base, us, ops)
	settleTook := time.Since(settleStart)
	ew.stop()

	today := time.Now().UTC()
	days := []time.Time{today}
	if loadStart.UTC().Day() != today.Day() {
		days = append(days, loadStart.UTC())
	}
	for _, d := range days {
		out, _, err := runCmd(t, noEnv, "reconcile", "--date", d.Format(time.DateOnly), "--data", filepath.Join(dir, "wallet"),
			"--bank", bank.base, "--bank-secret", bankSecret)
		if err != nil {
			t.Errorf("reconcile %s: %v\n%s", d.Format(time.DateOnly), err, out)
		}
	}
	bank.stop()
	behaviours := checkChaos(t, dir, us, cards, ops)
	t.Logf("chaos: %d top-ups and %d withdrawals by %d users; ewallet killed %d times, the bank %d times; bank behaviours %v; "+
		"setup %s, load %s, settling %s, total %s", topups, payouts, users, ew.kills, bank.kills, behaviours,
		setupTook.Round(time.Millisecond), loadTook.Round(time.Millisecond), settleTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if ew.kills < 3 || bank.kills < 3 {
		t.Errorf("killed ewallet %d and the bank %d times, want at least 3 each", ew.kills, bank.kills)
	}
}

// plan spreads the top-ups and withdrawals over the users, each user's
// withdrawals after some of its top-ups (so there is money to withdraw).
func plan(topups, payouts, users int) [][]*chaosOp {
	rng := rand.New(rand.NewPCG(7, 11))
	per := make([][]*chaosOp, users)
	for i := range topups {
		u := i % users
		per[u] = append(per[u], &chaosOp{user: u, path: "/v1/topups", amount: 1000 + rng.Int64N(9000)})
	}
	for i := range payouts {
		u := i % users
		at := min(len(per[u]), 2+rng.IntN(len(per[u])))
		op := &chaosOp{user: u, path: "/v1/withdrawals", amount: 100 + rng.Int64N(900)}
		per[u] = append(per[u][:at], append([]*chaosOp{op}, per[u][at:]...)...)
	}
	for u := range per {
		for i, op := range per[u] {
			op.key = fmt.Sprintf("chaos-%d-%d", u, i)
		}
	}
	return per
}

// chaosKills kills ewallet and the bank by turns until done, and at least
// three times each.
func chaosKills(t *testing.T, done <-chan struct{}, ew, bank *child) {
	rng := rand.New(rand.NewPCG(3, 5))
	for turn := 0; ; turn++ {
		select {
		case <-done:
			if ew.kills >= 3 && bank.kills >= 3 {
				return
			}
		case <-time.After(time.Duration(1500+rng.IntN(1500)) * time.Millisecond):
		}
		c := ew
		if turn%2 == 1 {
			c = bank
		}
		c.kill()
		time.Sleep(time.Duration(50+rng.IntN(250)) * time.Millisecond)
		c.start()
	}
}

// load runs every user's operations, two workers per user, retrying each
// request under its key until an answer that is not an outage.
func load(t *testing.T, base string, us []user, per [][]*chaosOp) {
	var wg sync.WaitGroup
	for u, ops := range per {
		half := (len(ops) + 1) / 2
		for _, part := range [][]*chaosOp{ops[:half], ops[half:]} {
			wg.Go(func() {
				for _, op := range part {
					body := map[string]any{"card_id": us[u].card, "amount": money.Format(op.amount, money.CNY), "currency": "CNY", "pin": us[u].pin}
					status, got := retryJSON(t, "POST", base+op.path, us[u].token, op.key, body)
					switch {
					case status == 201:
						op.id, op.status = got["id"].(string), got["status"].(string)
					case status == 422 && op.path == "/v1/withdrawals":
						op.status = "refused" // not enough money yet: no payout was asked for
					default:
						t.Errorf("%s %s: %d %v", op.path, op.key, status, got)
					}
				}
			})
		}
	}
	wg.Wait()
}

var chaosHTTP = &http.Client{Timeout: 10 * time.Second}

// retryJSON sends a request until the server answers with something other
// than an outage (no connection, 5xx, request_in_progress).
func retryJSON(t *testing.T, method, url, token, key string, body any) (int, map[string]any) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequest(method, url, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		res, err := chaosHTTP.Do(req)
		if err == nil {
			var got map[string]any
			json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
			e, _ := got["error"].(map[string]any)
			if res.StatusCode < 500 && !(res.StatusCode == 409 && e["code"] == "request_in_progress") {
				return res.StatusCode, got
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("%s %s: no answer within 60s: %v", method, url, err)
			return 0, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// settle waits until no operation is pending.
func settle(t *testing.T, base string, us []user, per [][]*chaosOp) {
	deadline := time.Now().Add(60 * time.Second)
	for {
		pending := 0
		for _, ops := range per {
			for _, op := range ops {
				if op.status != "pending" {
					continue
				}
				status, got := retryJSON(t, "GET", base+op.path+"/"+op.id, us[op.user].token, "", nil)
				if status == 200 {
					op.status = got["status"].(string)
				}
				if op.status == "pending" {
					pending++
				}
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d operations still pending 60s after the load", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkChaos checks both sides' books against what the test asked for and
// returns how often the bank chose each behaviour.
func checkChaos(t *testing.T, dir string, us []user, cards []string, per [][]*chaosOp) map[string]int {
	ctx := t.Context()
	b, err := banksim.Open(ctx, filepath.Join(dir, "bank"), banksim.Config{Secret: []byte(bankSecret)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	reqs, err := b.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	atBank := map[string]banksim.Request{}
	behaviours := map[string]int{}
	for _, r := range reqs {
		atBank[r.ID] = r
		behaviours[string(r.Behaviour)]++
	}
	asked := map[string]bool{}
	wallet := make([]int64, len(us))   // what each wallet should hold
	cardMove := make([]int64, len(us)) // what each card should have gained at the bank
	for _, ops := range per {
		for _, op := range ops {
			if op.status == "refused" {
				continue
			}
			asked[op.id] = true
			r, ok := atBank[op.id]
			switch {
			case op.status == "succeeded" && (!ok || r.Status != "succeeded"):
				t.Errorf("%s succeeded in the wallet, the bank has %+v", op.id, r)
			case op.status == "failed" && ok && r.Status == "succeeded":
				t.Errorf("%s failed in the wallet, the bank moved its money", op.id)
			case op.status != "succeeded" && op.status != "failed":
				t.Errorf("%s ended %q", op.id, op.status)
			}
			if op.status == "succeeded" && op.path == "/v1/topups" {
				wallet[op.user] += op.amount
				cardMove[op.user] -= op.amount
			} else if op.status == "succeeded" {
				wallet[op.user] -= op.amount
				cardMove[op.user] += op.amount
			}
		}
	}
	for id := range atBank {
		if !asked[id] {
			t.Errorf("the bank has request %s that the wallet never made", id)
		}
	}
	var operator int64
	for i, card := range cards {
		posted, held, err := b.CardBalance(ctx, card, money.CNY)
		if err != nil || posted != 100_000_000+cardMove[i] || held != 0 {
			t.Errorf("user %d's card at the bank: %d held %d (%v), want %d held 0", i, posted, held, err, 100_000_000+cardMove[i])
		}
		operator -= cardMove[i]
	}
	if got, err := b.OperatorBalance(ctx, money.CNY); err != nil || got != operator {
		t.Errorf("operator's account at the bank: %d (%v), want %d", got, err, operator)
	}
	if rep, err := b.Ledger().Verify(ctx); err != nil || !rep.OK {
		t.Errorf("bank ledger: %+v %v", rep.Problem, err)
	}
	checkWalletLedger(t, dir, us, wallet, operator)
	return behaviours
}

// checkWalletLedger checks every wallet's balance (each captured top-up
// credited once, each paid withdrawal debited once), the settlement
// account against the bank's operator account, and ledger.Verify.
func checkWalletLedger(t *testing.T, dir string, us []user, want []int64, operator int64) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "wallet", sqliteFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i, u := range us {
		a, err := db.AccountByName(ctx, u.wallet+":CNY")
		if err != nil || a.Posted != want[i] || a.Held != 0 {
			t.Errorf("user %d's wallet: %d held %d (%v), want %d held 0", i, a.Posted, a.Held, err, want[i])
		}
	}
	if a, err := db.AccountByName(ctx, "bank:CNY"); err != nil || a.Posted != -operator || a.Held != 0 {
		t.Errorf("wallet's bank:CNY: %d held %d (%v), want %d", a.Posted, a.Held, err, -operator)
	}
	if rep, err := ledger.Verify(ctx, db); err != nil || !rep.OK {
		t.Errorf("wallet ledger: %+v %v", rep.Problem, err)
	}
}
