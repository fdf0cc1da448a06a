package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
)

// Sizes of TestAPIBankInvariant.
const (
	invUsers    = 20
	invWorkers  = 32
	invRun      = 20 * time.Second // how long the workers send transfers
	invRunShort = 3 * time.Second  // the same under -short
	// invGiveUp bounds how long one transfer is retried before the test
	// reports it as never answered.
	invGiveUp = time.Minute
)

// invTransfer is a transfer the server acknowledged with 201.
type invTransfer struct {
	id       string
	from, to int // indexes into the users
	amount   int64
}

// invBook is what the workers learned: every acknowledged transfer, and
// counts for the log.
type invBook struct {
	mu      sync.Mutex
	acked   map[string]invTransfer // by transfer id
	keyOf   map[string]string      // transfer id → the key that created it
	refused int                    // 422 insufficient_funds
	retries map[string]int         // resends after a network error, 5xx or 409 in flight, by reason
	// replayedAfterRetry counts retries answered as replays: the
	// abandoned attempt had gone through.
	replayedAfterRetry int
	replays            int // deliberate second sends of a finished key
	abandoned          int // first attempts the client gave up on mid-flight
	unknown            int // transfers never answered for sure
	byStatus           map[int]int
	failures           int // problems the workers found
}

// maxWorkerFailures is how many problems the workers report before they
// stop, so that a systematic failure does not print thousands of lines.
const maxWorkerFailures = 20

// fail reports a problem found by a worker.
func (b *invBook) fail(t *testing.T, format string, args ...any) {
	b.mu.Lock()
	b.failures++
	n := b.failures
	b.mu.Unlock()
	if n <= maxWorkerFailures {
		t.Errorf(format, args...)
	}
}

// stopped reports whether the workers found enough problems to stop.
func (b *invBook) stopped() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures >= maxWorkerFailures
}

// TestAPIBankInvariant lets 32 clients move money at random among 20
// users for a while, retrying the way a careful client does, then checks
// that no money appeared or vanished: the balances add up to the top-ups,
// each user's balance and history match exactly the transfers that were
// acknowledged, and the ledger verifies.
func TestAPIBankInvariant(t *testing.T) {
	runFor := invRun
	if testing.Short() {
		runFor = invRunShort
	}
	backends(t, func(t *testing.T, c *client) {
		hc := &http.Client{
			Transport: &http.Transport{MaxIdleConnsPerHost: invWorkers * 2, IdleConnTimeout: time.Minute},
			Timeout:   30 * time.Second,
		}
		defer hc.CloseIdleConnections()

		// Setup: users on KYC tier 3 without per-transaction, daily or
		// yearly limits, so that only balances refuse transfers; each
		// topped up twice with known amounts.
		setupStart := time.Now()
		users := make([]user, invUsers)
		topups := make([]int64, invUsers)              // fen, per user
		topupIDs := make([]map[string]int64, invUsers) // id → fen, per user
		var totalTopups int64
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range users {
			u := c.mustUser(fmt.Sprintf("Inv %02d", i))
			r := c.do("POST", "/v1/admin/users/"+u.id+"/kyc", c.admin, "", map[string]any{"tier": 3,
				"limits": map[string]any{"per_transaction": "unlimited", "daily": "unlimited", "yearly": "unlimited"}})
			want(t, r, 200, "")
			topupIDs[i] = map[string]int64{}
			for range 2 {
				fen := 10000 + rng.Int64N(50000) // 100.00 … 599.99
				r := c.do("POST", "/v1/topups", u.token, c.key(), map[string]any{"card_id": u.card,
					"amount": money.Format(fen, money.CNY), "currency": "CNY", "pin": u.pin})
				want(t, r, 201, "")
				if r.str("status") != "succeeded" || !strings.HasPrefix(r.str("id"), "top_") {
					t.Fatalf("top-up: %s", r.raw)
				}
				topups[i] += fen
				topupIDs[i][r.str("id")] = fen
				totalTopups += fen
			}
			users[i] = u
		}
		t.Logf("setup: %d users topped up in %v", invUsers, time.Since(setupStart).Round(time.Millisecond))
		book := &invBook{acked: map[string]invTransfer{}, keyOf: map[string]string{}, byStatus: map[int]int{}, retries: map[string]int{}}
		deadline := time.Now().Add(runFor)
		var sent atomic.Int64
		var wg sync.WaitGroup
		for w := range invWorkers {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				for n := 0; time.Now().Before(deadline) && !book.stopped(); n++ {
					invOneTransfer(t, hc, c.base, users, book, rng, fmt.Sprintf("inv-%d-%d", w, n))
					sent.Add(1)
				}
			})
		}
		wg.Wait()
		if book.failures > 0 {
			t.Fatalf("the workers found %d problems (the first %d are above)", book.failures, min(book.failures, maxWorkerFailures))
		}
		t.Logf("%d transfers in %v: %d acknowledged, %d insufficient_funds, %d abandoned first attempts, retries %v (%d answered as replays), %d deliberate replays, final statuses %v",
			sent.Load(), runFor, len(book.acked), book.refused, book.abandoned, book.retries, book.replayedAfterRetry, book.replays, book.byStatus)
		if len(book.acked) == 0 || book.refused == 0 || book.replays == 0 || book.abandoned == 0 {
			t.Fatalf("the run did not exercise every path: %d acknowledged, %d refused, %d replays, %d abandoned",
				len(book.acked), book.refused, book.replays, book.abandoned)
		}

		// What each user should hold: top-ups + ins − outs.
		expect := make([]int64, invUsers)
		copy(expect, topups)
		ins := make([]map[string]invTransfer, invUsers)
		outs := make([]map[string]invTransfer, invUsers)
		for i := range users {
			ins[i], outs[i] = map[string]invTransfer{}, map[string]invTransfer{}
		}
		for id, tr := range book.acked {
			expect[tr.from] -= tr.amount
			expect[tr.to] += tr.amount
			outs[tr.from][id] = tr
			ins[tr.to][id] = tr
		}

		t.Run("Balances", func(t *testing.T) {
			c := c.at(t)
			var sum int64
			for i, u := range users {
				a, p, tot := c.balance(u, "CNY")
				av, pe, to := mustParseCNY(t, a), mustParseCNY(t, p), mustParseCNY(t, tot)
				if av+pe != to {
					t.Errorf("user %d: available %s + pending %s != total %s", i, a, p, tot)
				}
				if pe != 0 {
					t.Errorf("user %d: pending %s, want 0.00 (nothing is held)", i, p)
				}
				if av+pe != expect[i] {
					t.Errorf("user %d: balance %s + %s, want %s (top-ups %s, %d in, %d out)", i, a, p,
						money.Format(expect[i], money.CNY), money.Format(topups[i], money.CNY), len(ins[i]), len(outs[i]))
				}
				sum += av + pe
			}
			if sum != totalTopups {
				t.Errorf("balances add up to %s, top-ups to %s", money.Format(sum, money.CNY), money.Format(totalTopups, money.CNY))
			}
		})

		t.Run("LedgerVerify", func(t *testing.T) {
			c := c.at(t)
			r := c.do("GET", "/v1/admin/ledger/verify", c.admin, "", nil)
			want(t, r, 200, "")
			sums, _ := r.body["sums"].(map[string]any)
			if r.body["ok"] != true || r.body["chain"] != "intact" || sums["CNY"] != "0.00" {
				t.Fatalf("%s", r.raw)
			}
			// Every top-up and every acknowledged transfer is one ledger
			// transfer; there may be others (e.g. account openings).
			if n, _ := r.body["transfers_checked"].(float64); int(n) < len(book.acked)+2*invUsers {
				t.Errorf("transfers_checked %v, want at least %d", r.body["transfers_checked"], len(book.acked)+2*invUsers)
			}
		})

		t.Run("History", func(t *testing.T) {
			c := c.at(t)
			for i, u := range users {
				lines := c.history(u, 200)
				invCheckHistory(t, i, users, lines, ins[i], outs[i], topupIDs[i], expect[i])
			}
		})
	})
}

// invOneTransfer sends one random transfer under key, retrying until a
// final answer, records it in book, and for about one in ten sends the
// same request again and checks the replay.
func invOneTransfer(t *testing.T, hc *http.Client, base string, users []user, book *invBook, rng *rand.Rand, key string) {
	from := rng.IntN(len(users))
	to := rng.IntN(len(users) - 1)
	if to >= from {
		to++
	}
	var fen int64
	switch p := rng.IntN(100); {
	case p < 80:
		fen = 1 + rng.Int64N(5000) // up to 50.00
	case p < 95:
		fen = 5000 + rng.Int64N(150000) // 50.00 … 1549.99: sometimes more than the balance
	default:
		fen = 100000000 + rng.Int64N(100000) // 1,000,000.00 and up: always more than all the money
	}
	dest := map[string]any{"phone": users[to].phone}
	if rng.IntN(2) == 0 {
		dest = map[string]any{"wallet_id": users[to].wallet}
	}
	body, _ := json.Marshal(map[string]any{"to": dest, "amount": money.Format(fen, money.CNY), "currency": "CNY",
		"note": "inv " + key, "pin": users[from].pin})

	// About one in twenty first attempts is abandoned by the client after
	// a few milliseconds, mid-flight: the server may or may not have moved
	// the money, and only the retry with the same key may tell.
	var abandon time.Duration
	if rng.IntN(20) == 0 {
		abandon = time.Duration(1+rng.IntN(5000)) * time.Microsecond
	}
	first, ok := invSend(t, hc, base, users[from].token, key, body, book, abandon)
	if !ok {
		return
	}
	book.mu.Lock()
	book.byStatus[first.status]++
	book.mu.Unlock()
	switch {
	case first.status == 201:
		tr := invTransfer{id: first.str("id"), from: from, to: to, amount: fen}
		fromID, _ := first.body["from"].(map[string]any)
		toID, _ := first.body["to"].(map[string]any)
		if !strings.HasPrefix(tr.id, "txn_") || first.str("status") != "completed" || first.str("amount") != money.Format(fen, money.CNY) ||
			first.str("currency") != "CNY" || fromID["user_id"] != users[from].id || toID["user_id"] != users[to].id {
			book.fail(t, "key %s: transfer %s", key, first.raw)
			return
		}
		book.mu.Lock()
		if k, dup := book.keyOf[tr.id]; dup {
			book.fail(t, "transfer id %s answered for key %s and for key %s", tr.id, k, key)
		}
		book.keyOf[tr.id] = key
		book.acked[tr.id] = tr
		book.mu.Unlock()
	case first.status == 422 && first.code() == "insufficient_funds":
		e, _ := first.body["error"].(map[string]any)
		if first.header.Get("Idempotent-Replayed") != "true" && e["request_id"] != first.header.Get("X-Request-Id") {
			book.fail(t, "key %s: error request_id %v, X-Request-Id %q", key, e["request_id"], first.header.Get("X-Request-Id"))
		}
		book.mu.Lock()
		book.refused++
		book.mu.Unlock()
	default:
		book.fail(t, "key %s: %s %s: unexpected answer %d %s", key, users[from].id, body, first.status, first.raw)
		return
	}

	if rng.IntN(10) != 0 {
		return
	}
	again, ok := invSend(t, hc, base, users[from].token, key, body, book, 0)
	if !ok {
		return
	}
	book.mu.Lock()
	book.replays++
	book.mu.Unlock()
	if again.status != first.status || !bytes.Equal(again.raw, first.raw) || again.header.Get("Idempotent-Replayed") != "true" {
		book.fail(t, "key %s: replay %d %s (Idempotent-Replayed %q), first %d %s", key, again.status, again.raw,
			again.header.Get("Idempotent-Replayed"), first.status, first.raw)
	}
	if again.str("id") != first.str("id") {
		book.fail(t, "key %s: replay names transfer %q, first %q", key, again.str("id"), first.str("id"))
	}
	if again.header.Get("X-Request-Id") == "" || again.header.Get("X-Request-Id") == first.header.Get("X-Request-Id") {
		book.fail(t, "key %s: replay X-Request-Id %q, first %q: want a fresh one", key, again.header.Get("X-Request-Id"), first.header.Get("X-Request-Id"))
	}
}

// invSend posts a transfer until it gets a final answer: 201 or a 4xx
// other than 409 request_in_progress. A network error, a 5xx or a 409 in
// flight is retried with the same key and body. A first attempt is
// abandoned after abandon, unless that is 0. It reports false, after
// failing the test, when no final answer came within invGiveUp.
func invSend(t *testing.T, hc *http.Client, base, token, key string, body []byte, book *invBook, abandon time.Duration) (resp, bool) {
	giveUp := time.Now().Add(invGiveUp)
	pause := 10 * time.Millisecond
	for attempt := 0; ; attempt++ {
		ctx, cancel := context.WithCancel(context.Background())
		if attempt == 0 && abandon > 0 {
			ctx, cancel = context.WithTimeout(ctx, abandon)
			book.mu.Lock()
			book.abandoned++
			book.mu.Unlock()
		}
		r, err := invPost(ctx, hc, base+"/v1/transfers", token, key, body)
		cancel()
		final := err == nil && r.status < 500 && !(r.status == 409 && r.code() == "request_in_progress")
		if final {
			if attempt > 0 && r.header.Get("Idempotent-Replayed") == "true" {
				book.mu.Lock()
				book.replayedAfterRetry++
				book.mu.Unlock()
			}
			return r, true
		}
		if time.Now().After(giveUp) {
			book.mu.Lock()
			book.unknown++
			book.mu.Unlock()
			book.fail(t, "key %s: no final answer after %d attempts: last %v %d %s", key, attempt+1, err, r.status, r.raw)
			return r, false
		}
		reason := "network error"
		if err == nil {
			reason = fmt.Sprintf("%d %s", r.status, r.code())
		}
		book.mu.Lock()
		book.retries[reason]++
		book.mu.Unlock()
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
	}
}

// invPost is client.do for the workers: it returns errors instead of
// failing the test, since network errors are retried.
func invPost(ctx context.Context, hc *http.Client, url, token, key string, body []byte) (resp, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return resp{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		return r, fmt.Errorf("body %q: %w", raw, err)
	}
	return r, nil
}

// txnLine is one line of GET /v1/me/transactions.
type txnLine struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Direction    string `json:"direction"`
	Amount       string `json:"amount"`
	Currency     string `json:"currency"`
	BalanceAfter string `json:"balance_after"`
	Status       string `json:"status"`
	Note         string `json:"note"`
	Counterparty struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Phone string `json:"phone"`
	} `json:"counterparty"`
}

// history pages through u's whole history, limit lines a page, following
// starting_after, and returns it newest first.
func (c *client) history(u user, limit int) []txnLine {
	c.t.Helper()
	var all []txnLine
	after := ""
	for page := 0; ; page++ {
		if page > 10000 {
			c.t.Fatalf("history of %s does not end", u.id)
		}
		path := fmt.Sprintf("/v1/me/transactions?limit=%d", limit)
		if after != "" {
			path += "&starting_after=" + after
		}
		r := c.do("GET", path, u.token, "", nil)
		want(c.t, r, 200, "")
		var p struct {
			Data    []txnLine `json:"data"`
			HasMore *bool     `json:"has_more"`
		}
		if err := json.Unmarshal(r.raw, &p); err != nil || p.HasMore == nil {
			c.t.Fatalf("history page: %v: %s", err, r.raw)
		}
		if len(p.Data) > limit || (*p.HasMore && len(p.Data) != limit) {
			c.t.Fatalf("history page of %d lines (limit %d) with has_more %v", len(p.Data), limit, *p.HasMore)
		}
		all = append(all, p.Data...)
		if !*p.HasMore {
			return all
		}
		after = p.Data[len(p.Data)-1].ID
	}
}

// invCheckHistory checks user i's history against what the test knows:
// exactly its top-ups and its acknowledged transfers in and out, each once
// with its amount and counterparty, and balance_after chaining from zero to
// the final balance.
func invCheckHistory(t *testing.T, i int, users []user, lines []txnLine, ins, outs map[string]invTransfer, topupIDs map[string]int64, balance int64) {
	nerr := 0
	errorf := func(format string, args ...any) { // at most 10 a user
		if nerr++; nerr <= 10 {
			t.Errorf(format, args...)
		}
	}
	seen := map[string]bool{}
	var nIn, nOut, nTop int
	for _, l := range lines {
		if seen[l.ID] {
			errorf("user %d: %s listed twice", i, l.ID)
			continue
		}
		seen[l.ID] = true
		amount := mustParseCNY(t, l.Amount)
		if l.Currency != "CNY" || l.Status != "completed" {
			errorf("user %d: line %+v", i, l)
		}
		switch l.Type {
		case "topup":
			nTop++
			if fen, ok := topupIDs[l.ID]; !ok || fen != amount || l.Direction != "in" || l.Counterparty.Type != "bank" {
				errorf("user %d: top-up line %+v, top-ups %v", i, l, topupIDs)
			}
		case "transfer":
			var tr invTransfer
			var ok bool
			var other int
			switch l.Direction {
			case "in":
				nIn++
				tr, ok = ins[l.ID]
				other = tr.from
			case "out":
				nOut++
				tr, ok = outs[l.ID]
				other = tr.to
			}
			if !ok {
				errorf("user %d: history lists %s %s %s that was never acknowledged", i, l.Direction, l.ID, l.Amount)
				continue
			}
			if tr.amount != amount || l.Counterparty.Type != "user" || l.Counterparty.Phone != users[other].phone {
				errorf("user %d: line %+v, want %s with user %d (%s)", i, l, money.Format(tr.amount, money.CNY), other, users[other].phone)
			}
		default:
			errorf("user %d: unexpected line %+v", i, l)
		}
	}
	if nTop != len(topupIDs) || nIn != len(ins) || nOut != len(outs) || len(lines) != len(topupIDs)+len(ins)+len(outs) {
		errorf("user %d: history has %d lines: %d top-ups, %d in, %d out; want %d, %d, %d",
			i, len(lines), nTop, nIn, nOut, len(topupIDs), len(ins), len(outs))
	}
	for id := range ins {
		if !seen[id] {
			errorf("user %d: acknowledged incoming transfer %s missing from the history", i, id)
		}
	}
	for id := range outs {
		if !seen[id] {
			errorf("user %d: acknowledged outgoing transfer %s missing from the history", i, id)
		}
	}
	// Newest first: each line's balance_after, undone, is the next
	// (older) line's; the oldest starts from zero.
	if len(lines) > 0 && mustParseCNY(t, lines[0].BalanceAfter) != balance {
		errorf("user %d: newest balance_after %s, balance %s", i, lines[0].BalanceAfter, money.Format(balance, money.CNY))
	}
	for k, l := range lines {
		before := mustParseCNY(t, l.BalanceAfter)
		if l.Direction == "in" {
			before -= mustParseCNY(t, l.Amount)
		} else {
			before += mustParseCNY(t, l.Amount)
		}
		var want int64
		if k+1 < len(lines) {
			want = mustParseCNY(t, lines[k+1].BalanceAfter)
		}
		if before != want {
			errorf("user %d: line %d %s: balance_after %s %s %s does not follow from %s", i, k, l.ID, l.BalanceAfter, l.Direction, l.Amount,
				money.Format(want, money.CNY))
			break
		}
	}
}

// mustParseCNY reads an exact CNY amount into fen.
func mustParseCNY(t *testing.T, s string) int64 {
	t.Helper()
	v, err := money.Parse(s, money.CNY)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return v
}
