package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/banksim"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

const bankSecret = "test-bank-secret"

// startCmd runs an ewallet subcommand that prints "listening on URL" and
// returns the URL and a stop function.
func startCmd(t *testing.T, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, args, noEnv, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("%s did not stop", args[0])
		}
	}
	t.Cleanup(func() { stop() })
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("%s printed no address; run returned %v", args[0], stop())
	}
	go io.Copy(io.Discard, pr)
	base, ok := strings.CutPrefix(sc.Text(), "listening on ")
	if !ok {
		t.Fatalf("first line %q is not the address", sc.Text())
	}
	return base, stop
}

// luhnCard makes a distinct card number that passes the Luhn check (and
// so approves at the sandbox bank).
func luhnCard(n int) string {
	body := fmt.Sprintf("4111%011d", n)
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

// bindCard binds a card to u and returns its ID.
func (c *client) bindCard(u user, number string) string {
	c.t.Helper()
	r := c.do("POST", "/v1/me/cards", u.token, "", map[string]any{"number": number, "exp_month": 12, "exp_year": 2099, "holder": "T"})
	want(c.t, r, 201, "")
	return r.str("id")
}

// bankOp starts a top-up or withdrawal and waits until it is final.
func (c *client) bankOp(u user, path, card, amount string) resp {
	c.t.Helper()
	r := c.do("POST", path, u.token, c.key(), map[string]any{"card_id": card, "amount": amount, "currency": "CNY", "pin": u.pin})
	want(c.t, r, 201, "")
	deadline := time.Now().Add(20 * time.Second)
	for r.str("status") == "pending" {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s %s still pending after 20s", path, r.str("id"))
		}
		time.Sleep(50 * time.Millisecond)
		r = c.do("GET", path+"/"+r.str("id"), u.token, "", nil)
		want(c.t, r, 200, "")
	}
	return r
}

// TestBankMisbehaviour runs ewallet against the sandbox bank over HTTP,
// one subtest per misbehaviour: a top-up of 100.00 from the misbehaving
// card and a withdrawal of 30.00 to it, after 50.00 from a good card. It
// asserts each outcome and the exact balances on both sides, then that
// the day reconciles with nothing unexplained.
func TestBankMisbehaviour(t *testing.T) {
	bankDir := t.TempDir()
	bankURL, stopBank := startCmd(t, "banksim", "--addr", "127.0.0.1:0", "--data", bankDir, "--secret", bankSecret,
		"--async-delay", "200ms", "--slow-delay", "3s", "--callback-backoff-max", "200ms", "--log-level", "error")
	dataDir := t.TempDir()
	c := newClient(t, noEnv, "--data", dataDir, "--bank", bankURL, "--bank-secret", bankSecret,
		"--bank-timeout", "300ms", "--bank-backoff", "50ms", "--bank-recovery", "100ms")
	const opening = 100_000_000 // the bank's opening balance of a card
	tests := []struct {
		name              string
		card              string
		topup, withdrawal string // final status, or the failure code
		wallet            string // available CNY at the end (nothing pending)
		bankCard          int64  // the card's balance at the bank
	}{
		{"Decline", banksim.CardDeclined, "card_declined", "card_declined", "50.00", opening},
		{"InsufficientFunds", banksim.CardInsufficient, "insufficient_funds_at_bank", "succeeded", "20.00", 3000},
		{"Slow", banksim.CardSlow, "succeeded", "succeeded", "120.00", opening - 7000},
		{"TimeoutThenSucceed", banksim.CardTimesOut, "succeeded", "succeeded", "120.00", opening - 7000},
		{"FailAfterAccept", banksim.CardFailsAfterAccept, "processing_error", "processing_error", "50.00", opening},
		{"DuplicateCallback", banksim.CardDuplicateCallback, "succeeded", "succeeded", "120.00", opening - 7000},
		{"OutOfOrderCallbacks", banksim.CardOutOfOrder, "succeeded", "succeeded", "120.00", opening - 7000},
	}
	funding := map[string]string{}
	t.Run("Cases", func(t *testing.T) {
		for i, tt := range tests {
			funding[tt.name] = luhnCard(i + 1)
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				c := c.at(t)
				u := c.mustUser(tt.name)
				good := c.bindCard(u, funding[tt.name])
				bad := c.bindCard(u, tt.card)
				if r := c.bankOp(u, "/v1/topups", good, "50.00"); r.str("status") != "succeeded" {
					t.Fatalf("funding top-up: %s", r.raw)
				}
				for _, op := range []struct{ path, amount, want string }{{"/v1/topups", "100.00", tt.topup}, {"/v1/withdrawals", "30.00", tt.withdrawal}} {
					r := c.bankOp(u, op.path, bad, op.amount)
					if got := outcome(r); got != op.want {
						t.Errorf("%s: %s, want %s: %s", op.path, got, op.want, r.raw)
					}
				}
				c.wantBalance(u, "CNY", tt.wallet, "0.00")
			})
		}
	})
	if t.Failed() {
		return
	}
	today := time.Now().UTC().Format(time.DateOnly)
	t.Run("Reconcile", func(t *testing.T) {
		out, _, err := runCmd(t, noEnv, "reconcile", "--date", today, "--data", dataDir, "--bank", bankURL, "--bank-secret", bankSecret)
		if err != nil {
			t.Fatalf("reconcile: %v\n%s", err, out)
		}
		r := c.at(t).do("GET", "/v1/admin/reconciliations/"+today, c.admin, "", nil)
		want(t, r, 200, "")
		if r.body["unexplained"] != float64(0) {
			t.Fatalf("report: %s", r.raw)
		}
	})
	if err := stopBank(); err != nil {
		t.Fatal(err)
	}
	t.Run("BankBalances", func(t *testing.T) {
		b, err := banksim.Open(t.Context(), bankDir, banksim.Config{Secret: []byte(bankSecret)})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		for _, tt := range tests {
			if posted, held, err := b.CardBalance(t.Context(), tt.card, money.CNY); err != nil || posted != tt.bankCard || held != 0 {
				t.Errorf("%s card at the bank: %d held %d (%v), want %d held 0", tt.name, posted, held, err, tt.bankCard)
			}
			if posted, _, _ := b.CardBalance(t.Context(), funding[tt.name], money.CNY); posted != opening-5000 {
				t.Errorf("%s funding card at the bank: %d, want %d", tt.name, posted, opening-5000)
			}
		}
		// 7 fundings of 50.00, 4 top-ups of 100.00 captured, 5 payouts of 30.00 paid.
		const operator = 7*5000 + 4*10000 - 5*3000
		if got, err := b.OperatorBalance(t.Context(), money.CNY); err != nil || got != operator {
			t.Errorf("operator's account at the bank: %d (%v), want %d", got, err, operator)
		}
		// The wallet's settlement account mirrors the operator's account.
		db, err := sqlite.OpenShared(t.Context(), filepath.Join(dataDir, sqliteFile)) // the server still runs
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if a, err := db.AccountByName(t.Context(), "bank:CNY"); err != nil || a.Posted != -operator || a.Held != 0 {
			t.Errorf("wallet's bank:CNY: %+v (%v), want posted %d", a, err, -operator)
		}
		r := c.do("GET", "/v1/admin/ledger/verify", c.admin, "", nil)
		want(t, r, 200, "")
		if r.body["ok"] != true {
			t.Errorf("wallet ledger: %s", r.raw)
		}
		rep, err := b.Ledger().Verify(t.Context())
		if err != nil || !rep.OK {
			t.Errorf("bank ledger: %+v, %v", rep, err)
		}
	})
}

// outcome is a final top-up's or withdrawal's status, or its failure code.
func outcome(r resp) string {
	if r.str("status") == "failed" {
		return r.str("failure_code")
	}
	return r.str("status")
}
