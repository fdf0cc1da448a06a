package api

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
)

// chipOf is the software chip of a card the API issued, personalised with
// what the issue answer showed once.
func chipOf(t *testing.T, issued map[string]any) *epurse.Card {
	t.Helper()
	n, err := epurse.ParseCardNumber(issued["number"].(string))
	must(t, err)
	p := issued["personalization"].(map[string]any)
	key := func(f string) epurse.Key {
		var k epurse.Key
		b, err := hex.DecodeString(p[f].(string))
		must(t, err)
		copy(k[:], b)
		return k
	}
	return epurse.LoadCard(epurse.CardState{Number: n, Keys: epurse.CardKeys{DLK: key("load_key"), DPK: key("purchase_key"), DTK: key("tac_key")},
		BalanceCap: epurse.DefaultBalanceCap, PurchaseCap: epurse.DefaultPurchaseCap}, nil)
}

// samOf is the SAM of a terminal the API registered.
func samOf(t *testing.T, reg map[string]any) *epurse.SAM {
	t.Helper()
	tid, err := epurse.ParseTerminalID(reg["terminal_id"].(string))
	must(t, err)
	var k epurse.Key
	b, err := hex.DecodeString(reg["sam_key"].(string))
	must(t, err)
	copy(k[:], b)
	return epurse.NewSAM(k, tid, 1)
}

func encodeHex(t *testing.T, m interface{ Encode() ([]byte, error) }) string {
	t.Helper()
	b, err := m.Encode()
	must(t, err)
	return hex.EncodeToString(b)
}

// startLoad is the holder's device: INITIALIZE FOR LOAD on the chip, then
// step 1 on the server; it returns the load and the CREDIT command.
func (s *testServer) startLoad(t *testing.T, chip *epurse.Card, cardID, key, amount string) (map[string]any, epurse.CreditLoadCommand) {
	t.Helper()
	n, err := money.Parse(amount, money.CNY)
	must(t, err)
	resp, err := chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: n})
	must(t, err)
	l := s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/loads", s.payer.token, key, map[string]any{"amount": amount, "currency": "CNY",
		"card_response": encodeHex(t, resp), "pin": testPIN}, http.StatusCreated)
	b, err := hex.DecodeString(l["credit_command"].(string))
	must(t, err)
	cmd, err := epurse.DecodeCreditLoadCommand(b)
	must(t, err)
	return l, cmd
}

// loadCard runs a whole load: both steps and the chip's credit.
func (s *testServer) loadCard(t *testing.T, chip *epurse.Card, cardID, key, amount string) {
	t.Helper()
	l, cmd := s.startLoad(t, chip, cardID, key, amount)
	cr, err := chip.CreditForLoad(cmd)
	must(t, err)
	done := s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/loads/"+l["id"].(string)+"/complete", s.payer.token, "",
		map[string]any{"card_response": encodeHex(t, cr)}, http.StatusOK)
	if done["status"] != purse.LoadCompleted {
		t.Fatalf("load after its TAC: %v", done)
	}
}

// tap is an offline purchase between a chip and a terminal's SAM.
func tap(t *testing.T, chip *epurse.Card, sam *epurse.SAM, amount int64, at time.Time) epurse.Record {
	t.Helper()
	resp, err := chip.InitializeForPurchase(sam.InitPurchase(amount))
	must(t, err)
	sess, debit, err := sam.Authorize(resp, amount, uint32(at.Unix()))
	must(t, err)
	dr, err := chip.DebitForPurchase(debit)
	must(t, err)
	rec, err := sam.Complete(sess, dr)
	must(t, err)
	return rec
}

func batchOf(t *testing.T, recs ...epurse.Record) map[string]any {
	t.Helper()
	var b []byte
	for _, r := range recs {
		e, err := r.Encode()
		must(t, err)
		b = append(b, e...)
	}
	return map[string]any{"records": base64.StdEncoding.EncodeToString(b)}
}

// reasons are the reasons of a batch answer, in order.
func reasons(up map[string]any) []string {
	var out []string
	for _, r := range up["results"].([]any) {
		out = append(out, r.(map[string]any)["reason"].(string))
	}
	return out
}

func cnyOf(t *testing.T, s string) int64 {
	t.Helper()
	n, err := money.Parse(s, money.CNY)
	must(t, err)
	return n
}

// TestEpurseLifecycle follows a card through the API: issue, load, offline
// taps at two gates, uploads (again, and with attacks mixed in), a torn
// load either way, loss, the deny list, a late upload and the refund,
// checking every balance to the fen and the money identity at each step.
func TestEpurseLifecycle(t *testing.T) {
	var clock struct {
		sync.Mutex
		now time.Time
	}
	clock.now = time.Now().UTC()
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	advance := func(d time.Duration) { clock.Lock(); clock.now = clock.now.Add(d); clock.Unlock() }
	s := newTestServer(t, withClock(now), withPurseConfig(purse.Config{ClearingWindow: 48 * time.Hour}))
	ctx := t.Context()
	wallet0 := s.balance(t, s.payer.token, "/v1/me/balances")
	shop0 := s.balance(t, s.merchantKey, "/v1/merchant/balances")

	issued := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "", nil, http.StatusCreated)
	cardID := issued["id"].(string)
	chip := chipOf(t, issued)
	cardBalance := func() int64 {
		return cnyOf(t, s.mustCall("GET", "/v1/epurse/cards/"+cardID, s.payer.token, "", nil, http.StatusOK)["balance"].(string))
	}
	// identity: what left the wallet is on the card account or with the shop.
	identity := func(when string) {
		t.Helper()
		w := wallet0 - s.balance(t, s.payer.token, "/v1/me/balances")
		m := s.balance(t, s.merchantKey, "/v1/merchant/balances") - shop0
		if c := cardBalance(); w != c+m {
			t.Fatalf("%s: %d left the wallet, but the card account holds %d and the shop got %d", when, w, c, m)
		}
	}

	s.loadCard(t, chip, cardID, "load-1", "300.00")
	if chip.Balance() != 30000 || cardBalance() != 30000 || s.balance(t, s.payer.token, "/v1/me/balances") != wallet0-30000 {
		t.Fatalf("after a 300.00 load: chip %d, card account %d", chip.Balance(), cardBalance())
	}
	identity("after the load")

	t.Run("load errors", func(t *testing.T) {
		resp, err := chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 100})
		must(t, err)
		good := encodeHex(t, resp)
		raw, err := resp.Encode()
		must(t, err)
		raw[len(raw)-3] ^= 1 // MAC1's last byte, before the status word
		bad := hex.EncodeToString(raw)
		for _, tc := range []struct {
			name string
			body map[string]any
			want string
		}{
			{"amount with three decimals", map[string]any{"amount": "1.001", "currency": "CNY", "card_response": good, "pin": testPIN}, "invalid_amount"},
			{"another currency", map[string]any{"amount": "1.00", "currency": "USD", "card_response": good, "pin": testPIN}, "currency_mismatch"},
			{"not hex", map[string]any{"amount": "1.00", "currency": "CNY", "card_response": "zz", "pin": testPIN}, "invalid_card_message"},
			{"MAC1 altered", map[string]any{"amount": "1.00", "currency": "CNY", "card_response": bad, "pin": testPIN}, "card_authentication_failed"},
			{"amount not what the card signed", map[string]any{"amount": "2.00", "currency": "CNY", "card_response": good, "pin": testPIN}, "card_authentication_failed"},
			{"over the balance cap", map[string]any{"amount": "900.00", "currency": "CNY", "card_response": good, "pin": testPIN}, "limit_exceeded"},
			{"wrong PIN", map[string]any{"amount": "1.00", "currency": "CNY", "card_response": good, "pin": "000000"}, "invalid_pin"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.do("POST", "/v1/epurse/cards/"+cardID+"/loads", s.payer.token, "bad-"+tc.name, mustJSON(tc.body))
				if r.errorCode() != tc.want {
					t.Fatalf("status %d code %q, want %q: %s", r.status, r.errorCode(), tc.want, r.body)
				}
			})
		}
		if r := s.do("POST", "/v1/epurse/cards/epc_0000000000000000/loads", s.payer.token, "x",
			mustJSON(map[string]any{"amount": "1.00", "currency": "CNY", "card_response": good, "pin": testPIN})); r.status != 404 {
			t.Fatalf("another card: %d %s", r.status, r.body)
		}
		if cardBalance() != 30000 {
			t.Fatalf("refused loads moved money: card account %d", cardBalance())
		}
	})
	// The wrong-PIN attempt left a failed load behind, nothing pending.
	s.loadCard(t, chip, cardID, "load-2", "10.00")

	gate := s.mustCall("POST", "/v1/epurse/terminals", s.merchantKey, "", map[string]any{"name": "Gate 1"}, http.StatusCreated)
	till := s.mustCall("POST", "/v1/epurse/terminals", s.merchantKey, "", map[string]any{"name": "Till 2"}, http.StatusCreated)
	gateSAM, tillSAM := samOf(t, gate), samOf(t, till)
	gateURL := "/v1/epurse/terminals/" + gate["id"].(string) + "/batches"
	tillURL := "/v1/epurse/terminals/" + till["id"].(string) + "/batches"

	day := now()
	r1 := tap(t, chip, gateSAM, 250, day)
	r2 := tap(t, chip, gateSAM, 250, day.Add(time.Minute))
	r3 := tap(t, chip, tillSAM, 1999, day.Add(2*time.Minute))
	r4 := tap(t, chip, gateSAM, 250, day.Add(3*time.Minute))
	if chip.Balance() != 31000-250*3-1999 {
		t.Fatalf("chip balance %d after four taps", chip.Balance())
	}

	up := s.mustCall("POST", gateURL, s.merchantKey, "", batchOf(t, r1, r2, r4), http.StatusOK)
	if up["accepted"].(float64) != 3 || up["total"] != "7.50" {
		t.Fatalf("gate batch: %v", up)
	}
	// Counter 2 (the till's) is still missing.
	if g := up["gaps"].([]any); len(g) != 1 || g[0].(map[string]any)["from"].(float64) != 2 {
		t.Fatalf("gaps %v, want counter 2", g)
	}
	identity("after the gate's upload")
	again := s.mustCall("POST", gateURL, s.merchantKey, "", batchOf(t, r1, r2, r4), http.StatusOK)
	if got := reasons(again); len(got) != 3 || got[0] != "duplicate" || got[2] != "duplicate" || again["total"] != "0.00" {
		t.Fatalf("the same batch again: %v", again)
	}

	altered := r3
	altered.Amount = 19
	forgedTAC := r3
	forgedTAC.TAC[0] ^= 0xff
	mixed := s.mustCall("POST", gateURL, s.merchantKey, "", batchOf(t, altered, forgedTAC, r3), http.StatusOK)
	if got := reasons(mixed); got[0] != "forged" || got[1] != "forged" || got[2] != "wrong_terminal" || mixed["total"] != "0.00" {
		t.Fatalf("attacks at the gate: %v", got)
	}
	// Another merchant cannot upload to this merchant's terminal.
	other := s.mustCall("POST", "/v1/merchants", s.payer.token, "", map[string]any{"name": "Other", "category": "5411"}, http.StatusCreated)
	if r := s.do("POST", tillURL, other["secret_key"].(string), "", mustJSON(batchOf(t, r3))); r.status != 404 {
		t.Fatalf("another merchant's upload: %d %s", r.status, r.body)
	}
	till1 := s.mustCall("POST", tillURL, s.merchantKey, "", batchOf(t, r3), http.StatusOK)
	if got := reasons(till1); got[0] != "accepted" || !till1["results"].([]any)[0].(map[string]any)["late"].(bool) {
		t.Fatalf("the till's late record: %v", till1)
	}
	identity("after the till's upload")
	if cardBalance() != chip.Balance() {
		t.Fatalf("everything uploaded: card account %d, chip %d", cardBalance(), chip.Balance())
	}
	v := s.mustCall("GET", "/v1/epurse/cards/"+cardID, s.payer.token, "", nil, http.StatusOK)
	if g := v["missing_counters"].([]any); len(g) != 0 {
		t.Fatalf("missing counters after every upload: %v", g)
	}

	t.Run("torn load the card never took", func(t *testing.T) {
		before := cardBalance()
		l, _ := s.startLoad(t, chip, cardID, "torn-1", "50.00") // MAC2 never reaches the chip
		if cardBalance() != before+5000 {
			t.Fatalf("card account %d after step 1, want %d", cardBalance(), before+5000)
		}
		next, cmd := s.startLoad(t, chip, cardID, "torn-2", "20.00")
		settled := next["settled"].([]any)
		if len(settled) != 1 || settled[0].(map[string]any)["id"] != l["id"] || settled[0].(map[string]any)["status"] != purse.LoadReversed {
			t.Fatalf("the next load settled %v, want %s reversed", settled, l["id"])
		}
		cr, err := chip.CreditForLoad(cmd)
		must(t, err)
		s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/loads/"+next["id"].(string)+"/complete", s.payer.token, "",
			map[string]any{"card_response": encodeHex(t, cr)}, http.StatusOK)
		if cardBalance() != before+2000 || chip.Balance() != before+2000 {
			t.Fatalf("card account %d chip %d, want %d", cardBalance(), chip.Balance(), before+2000)
		}
		identity("after a reversed load")
	})
	t.Run("torn load whose TAC was lost", func(t *testing.T) {
		before := cardBalance()
		l, cmd := s.startLoad(t, chip, cardID, "lost-tac-1", "30.00")
		_, err := chip.CreditForLoad(cmd) // the TAC never reaches the server
		must(t, err)
		proof, err := chip.GetTransactionProof(epurse.ProofCommand{Type: epurse.TypeLoad, Counter: uint16(l["online_counter"].(float64))})
		must(t, err)
		done := s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/loads/"+l["id"].(string)+"/complete", s.payer.token, "",
			map[string]any{"card_response": encodeHex(t, proof)}, http.StatusOK)
		if done["status"] != purse.LoadCompleted || cardBalance() != before+3000 || chip.Balance() != before+3000 {
			t.Fatalf("load by proof: %v, card account %d, chip %d", done, cardBalance(), chip.Balance())
		}
	})

	// Lost: taps before the report clear; one after it is denied; the
	// rest comes back once, after the window.
	before := tap(t, chip, gateSAM, 500, now().Add(-time.Minute))
	advance(time.Second)
	lost := s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/lost", s.payer.token, "", nil, http.StatusOK)
	if lost["status"] != purse.CardLost {
		t.Fatalf("report: %v", lost)
	}
	deny := s.mustCall("GET", "/v1/epurse/denylist", s.merchantKey, "", nil, http.StatusOK)["data"].([]any)
	if len(deny) != 1 || deny[0].(map[string]any)["card_id"] != cardID {
		t.Fatalf("deny list %v", deny)
	}
	thief := tap(t, chip, gateSAM, 700, now().Add(time.Hour))
	up = s.mustCall("POST", gateURL, s.merchantKey, "", batchOf(t, thief, before), http.StatusOK)
	if got := reasons(up); got[0] != "denied" || got[1] != "accepted" || up["total"] != "5.00" {
		t.Fatalf("after the report: %v", up)
	}
	if r := s.do("POST", "/v1/epurse/cards/"+cardID+"/loads", s.payer.token, "after-lost",
		mustJSON(map[string]any{"amount": "1.00", "currency": "CNY", "card_response": "00", "pin": testPIN})); r.errorCode() != "invalid_card_message" {
		t.Fatalf("load of a lost card with a bad message: %s", r.body)
	}
	rest := cardBalance()
	walletBefore := s.balance(t, s.payer.token, "/v1/me/balances")
	if n, err := s.purses.RefundDue(ctx, 10); err != nil || n != 0 {
		t.Fatalf("refunds inside the window: %d %v", n, err)
	}
	advance(48 * time.Hour)
	for range 2 {
		if _, err := s.purses.RefundDue(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.balance(t, s.payer.token, "/v1/me/balances"); got != walletBefore+rest || cardBalance() != 0 {
		t.Fatalf("wallet %d after the refund, want %d; card account %d", got, walletBefore+rest, cardBalance())
	}
	v = s.mustCall("GET", "/v1/epurse/cards/"+cardID, s.payer.token, "", nil, http.StatusOK)
	if v["status"] != purse.CardRefunded || cnyOf(t, v["refunded"].(string)) != rest {
		t.Fatalf("refunded card %v, rest %d", v, rest)
	}
	// A purchase from before the report that comes after the refund is
	// too late: the money went back to the holder.
	deniedAt, err := time.Parse(time.RFC3339, lost["denied_at"].(string))
	must(t, err)
	late := s.mustCall("POST", tillURL, s.merchantKey, "", batchOf(t, tap(t, chip, tillSAM, 100, deniedAt.Add(-time.Minute))), http.StatusOK)
	if got := reasons(late); got[0] != "denied" || late["total"] != "0.00" {
		t.Fatalf("a record after the refund: %v", late)
	}
	identity("after the refund")
	rep, err := s.purses.Ledger.Verify(ctx)
	must(t, err)
	if !rep.OK {
		t.Fatalf("ledger: %v", rep.Problem)
	}
}

// TestEpurseIssueIdempotent: the same Idempotency-Key gives the same card
// back, personalisation included; another key another card; the key of
// one user means nothing for another.
func TestEpurseIssueIdempotent(t *testing.T) {
	s := newTestServer(t)
	first := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "issue-1", nil, http.StatusCreated)
	again := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "issue-1", nil, http.StatusCreated)
	if first["id"] != again["id"] || first["personalization"].(map[string]any)["tac_key"] != again["personalization"].(map[string]any)["tac_key"] {
		t.Fatalf("a retry issued another card: %v then %v", first, again)
	}
	other := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "issue-2", nil, http.StatusCreated)
	keeper := s.mustCall("POST", "/v1/epurse/cards", s.keeper.token, "issue-1", nil, http.StatusCreated)
	if other["id"] == first["id"] || keeper["id"] == first["id"] {
		t.Fatalf("different keys or users gave the same card: %v %v %v", first["id"], other["id"], keeper["id"])
	}
	// newTestServer issued one card without a key, for the fuzz routes.
	list := s.mustCall("GET", "/v1/epurse/cards", s.payer.token, "", nil, http.StatusOK)["data"].([]any)
	if len(list) != 3 {
		t.Fatalf("the payer holds %d cards, want 3", len(list))
	}
	if r := s.do("POST", "/v1/epurse/cards", s.payer.token, "bad\x01key", nil); r.errorCode() != "invalid_request" {
		t.Fatalf("a bad key: %s", r.body)
	}
}

// TestEpurseClonedChip: a chip copied with its state spends the same
// value twice at two gates. The first record clears; the copy's is
// replayed, and the card is blocked at once: deny-listed, no more loads,
// and no automatic refund of its rest, even when it is reported lost.
func TestEpurseClonedChip(t *testing.T) {
	var clock struct {
		sync.Mutex
		now time.Time
	}
	clock.now = time.Now().UTC()
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.now }
	s := newTestServer(t, withClock(now), withPurseConfig(purse.Config{ClearingWindow: time.Hour}))
	issued := s.mustCall("POST", "/v1/epurse/cards", s.payer.token, "", nil, http.StatusCreated)
	cardID := issued["id"].(string)
	chip := chipOf(t, issued)
	s.loadCard(t, chip, cardID, "clone-load", "100.00")
	clone := epurse.LoadCard(chip.State(), nil)

	gateA := s.mustCall("POST", "/v1/epurse/terminals", s.merchantKey, "", map[string]any{"name": "A"}, http.StatusCreated)
	gateB := s.mustCall("POST", "/v1/epurse/terminals", s.merchantKey, "", map[string]any{"name": "B"}, http.StatusCreated)
	samA, samB := samOf(t, gateA), samOf(t, gateB)
	real := tap(t, chip, samA, 6000, now())
	copied := tap(t, clone, samB, 7000, now())
	if real.OfflineCounter != copied.OfflineCounter {
		t.Fatalf("the copy used counter %d, the chip %d", copied.OfflineCounter, real.OfflineCounter)
	}
	s.mustCall("POST", "/v1/epurse/terminals/"+gateA["id"].(string)+"/batches", s.merchantKey, "", batchOf(t, real), http.StatusOK)
	up := s.mustCall("POST", "/v1/epurse/terminals/"+gateB["id"].(string)+"/batches", s.merchantKey, "", batchOf(t, copied), http.StatusOK)
	if got := reasons(up); got[0] != "replayed" || up["total"] != "0.00" {
		t.Fatalf("the copy's record: %v", up)
	}
	card := s.mustCall("GET", "/v1/epurse/cards/"+cardID, s.payer.token, "", nil, http.StatusOK)
	if card["status"] != purse.CardBlocked || cnyOf(t, card["balance"].(string)) != 4000 {
		t.Fatalf("after the replay: %v", card)
	}
	deny := s.mustCall("GET", "/v1/epurse/denylist", s.merchantKey, "", nil, http.StatusOK)["data"].([]any)
	if len(deny) != 1 || deny[0].(map[string]any)["card_id"] != cardID {
		t.Fatalf("deny list %v", deny)
	}
	resp, err := chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 100})
	must(t, err)
	r := s.do("POST", "/v1/epurse/cards/"+cardID+"/loads", s.payer.token, "load-blocked",
		mustJSON(map[string]any{"amount": "1.00", "currency": "CNY", "card_response": encodeHex(t, resp), "pin": testPIN}))
	if r.status != http.StatusConflict || r.errorCode() != "card_lost" {
		t.Fatalf("a load of a blocked card: %d %s", r.status, r.body)
	}
	s.mustCall("POST", "/v1/epurse/cards/"+cardID+"/lost", s.payer.token, "", nil, http.StatusOK)
	clock.Lock()
	clock.now = clock.now.Add(2 * time.Hour)
	clock.Unlock()
	if n, err := s.purses.RefundDue(t.Context(), 10); err != nil || n != 0 {
		t.Fatalf("refunds of a blocked card: %d %v", n, err)
	}
	if card := s.mustCall("GET", "/v1/epurse/cards/"+cardID, s.payer.token, "", nil, http.StatusOK); card["status"] != purse.CardBlocked || card["balance"] != "40.00" {
		t.Fatalf("the blocked card after the window: %v", card)
	}
}
