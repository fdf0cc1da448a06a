package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/bank"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// ---- FuzzBody ------------------------------------------------------------

// caller is whose credentials a request carries.
type caller int

const (
	anyone caller = iota
	asPayer
	asKeeper
	asAdmin
	asMerchant
)

// field is one member of a seed body: its key and raw JSON value.
type field struct{ key, raw string }

// fields is a seed body, kept as members so that variants can be made of
// it (see bodySeeds). "$CARD" and "$PAYEE_WALLET" stand for IDs that only
// exist once a server runs; the fuzz function fills them in.
type fields []field

func (fs fields) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", f.key, f.raw)
	}
	b.WriteByte('}')
	return b.String()
}

// with returns a copy of fs with the members of the same keys replaced.
func (fs fields) with(repl ...field) fields {
	out := append(fields{}, fs...)
	for i := range out {
		for _, r := range repl {
			if out[i].key == r.key {
				out[i].raw = r.raw
			}
		}
	}
	return out
}

// bodyCase is a route that decodes a JSON body.
type bodyCase struct {
	method, path string // as in routes
	caller       caller
	money        bool   // the Idempotency-Key is required, with amount and currency checks
	keyed        bool   // the Idempotency-Key is required (a body without currency)
	keyOptional  bool   // money, but the Idempotency-Key may be left out (it creates, moves nothing)
	noBody       bool   // the contract lists no body: empty or {} is accepted
	idPrefix     string // of the "id" of a success
	answers      answers
	seeds        []fields // valid bodies
}

var bodyCases = []bodyCase{
	// Signed by the bank, not authenticated by a token: with no bank
	// connector configured nothing verifies, whatever the body.
	{method: "POST", path: "/v1/bank/callbacks", answers: allow("401 unauthenticated, 400 invalid_request, 400 invalid_amount"),
		seeds: []fields{{{"id", `"top_x"`}, {"kind", `"charge"`}, {"status", `"succeeded"`}, {"amount", `"1.00"`}, {"currency", `"CNY"`}, {"seq", `2`}}}},
	{method: "POST", path: "/v1/users", idPrefix: "usr_",
		answers: allow("201, 400 invalid_request, 400 invalid_phone, 400 weak_password, 409 phone_taken, 429 too_many_attempts"),
		seeds: []fields{
			{{"phone", `"+8613900000001"`}, {"password", `"correct horse battery"`}, {"name", `"Fuzz New"`}},
			{{"phone", `"` + payerPhone + `"`}, {"password", `"another good passphrase"`}, {"name", `"Taken"`}},
		}},
	{method: "POST", path: "/v1/users/verify", idPrefix: "usr_",
		answers: allow("200, 400 invalid_request, 400 invalid_code, 429 too_many_attempts"),
		seeds:   []fields{{{"phone", `"` + payerPhone + `"`}, {"code", `"123456"`}}}},
	{method: "POST", path: "/v1/users/verify/resend",
		answers: allow("204, 400 invalid_request, 400 invalid_phone, 429 too_many_attempts"),
		seeds:   []fields{{{"phone", `"+8613900000001"`}}}},
	{method: "POST", path: "/v1/sessions",
		answers: allow("201, 400 invalid_request, 401 invalid_credentials, 429 too_many_attempts"),
		seeds: []fields{
			{{"phone", `"` + payerPhone + `"`}, {"password", `"` + testPassword + `"`}},
			{{"phone", `"` + payeePhone + `"`}, {"password", `"wrong password here"`}},
		}},
	{method: "PUT", path: "/v1/me/pin", caller: asKeeper,
		answers: allow("204, 400 invalid_request, 400 weak_pin, 401 invalid_credentials, 429 too_many_attempts"),
		seeds: []fields{
			{{"password", `"` + testPassword + `"`}, {"pin", `"730194"`}},
			{{"password", `"` + testPassword + `"`}, {"pin", `"123456"`}},
		}},
	{method: "POST", path: "/v1/me/freeze", caller: asKeeper, noBody: true, idPrefix: "usr_",
		answers: allow("200, 400 invalid_request")},
	{method: "POST", path: "/v1/me/unfreeze/code", caller: asKeeper, noBody: true,
		answers: allow("204, 400 invalid_request, 429 too_many_attempts")},
	{method: "POST", path: "/v1/me/unfreeze", caller: asKeeper, idPrefix: "usr_",
		answers: allow("200, 400 invalid_request, 400 invalid_code, 401 invalid_credentials, 429 too_many_attempts"),
		seeds:   []fields{{{"password", `"` + testPassword + `"`}, {"code", `"123456"`}}}},
	{method: "POST", path: "/v1/me/cards", caller: asPayer, idPrefix: "crd_",
		answers: allow("201, 400 invalid_request, 400 invalid_card_number, 400 card_expired"),
		seeds: []fields{
			{{"number", `"` + bank.CardDeclined + `"`}, {"exp_month", `12`}, {"exp_year", `2099`}, {"holder", `"FUZZ PAYER"`}},
			{{"number", `"4242 4242 4242 4242"`}, {"exp_month", `1`}, {"exp_year", `2020`}, {"holder", `""`}},
		}},
	{method: "POST", path: "/v1/topups", caller: asPayer, money: true, idPrefix: "top_",
		answers: allow("201, 404 card_not_found", moneyRefusals),
		seeds: []fields{
			{{"card_id", `"$CARD"`}, {"amount", `"12.34"`}, {"currency", `"CNY"`}, {"pin", `"` + testPIN + `"`}},
			{{"card_id", `"$CARD"`}, {"amount", `"500"`}, {"currency", `"JPY"`}, {"pin", `"` + testPIN + `"`}},
		}},
	{method: "POST", path: "/v1/withdrawals", caller: asPayer, money: true, idPrefix: "wdr_",
		answers: allow("201, 404 card_not_found, 422 insufficient_funds, 423 wallet_frozen", moneyRefusals),
		seeds: []fields{
			{{"card_id", `"$CARD"`}, {"amount", `"1.00"`}, {"currency", `"CNY"`}, {"pin", `"` + testPIN + `"`}},
			{{"card_id", `"$CARD"`}, {"amount", `"5.00"`}, {"currency", `"USD"`}, {"pin", `"` + testPIN + `"`}},
		}},
	{method: "POST", path: "/v1/transfers", caller: asPayer, money: true, idPrefix: "txn_",
		answers: allow("201, 400 self_transfer, 404 recipient_not_found, 422 insufficient_funds, 423 wallet_frozen, 409 currency_mismatch", moneyRefusals),
		seeds: []fields{
			{{"to", `{"phone":"` + payeePhone + `"}`}, {"amount", `"0.01"`}, {"currency", `"CNY"`}, {"note", `"fuzz"`}, {"pin", `"` + testPIN + `"`}},
			{{"to", `{"wallet_id":"$PAYEE_WALLET"}`}, {"amount", `"3"`}, {"currency", `"JPY"`}, {"pin", `"` + testPIN + `"`}},
			{{"to", `{"phone":"` + payerPhone + `"}`}, {"amount", `"1.00"`}, {"currency", `"CNY"`}, {"pin", `"` + testPIN + `"`}},
		}},
	{method: "POST", path: "/v1/merchants", caller: asPayer, idPrefix: "mch_",
		answers: allow("201, 400 invalid_request"),
		seeds: []fields{
			{{"name", `"Fuzz Noodles"`}, {"category", `"5812"`}},
			{{"name", `""`}, {"category", `"58"`}},
		}},
	{method: "POST", path: "/v1/payments", caller: asMerchant, money: true, keyOptional: true, idPrefix: "pay_",
		answers: allow("201", moneyRefusals),
		seeds: []fields{
			{{"amount", `"12.34"`}, {"currency", `"CNY"`}, {"reference", `"order-9"`}, {"capture", `"automatic"`}},
			{{"amount", `"500"`}, {"currency", `"JPY"`}, {"reference", `"order-10"`}, {"description", `"tea"`}, {"capture", `"manual"`}, {"expires_in_seconds", `60`}},
		}},
	{method: "POST", path: "/v1/payments/{id}/pay", caller: asPayer, keyed: true, idPrefix: "pay_",
		answers: allow("200, 404 not_found, 409 payment_expired, 409 payment_not_payable, 422 insufficient_funds, 423 wallet_frozen", moneyRefusals),
		seeds:   []fields{{{"pin", `"` + testPIN + `"`}}}},
	{method: "POST", path: "/v1/payments/{id}/capture", caller: asMerchant, keyed: true, noBody: true, idPrefix: "pay_",
		answers: allow("200, 404 not_found, 409 payment_not_payable, 422 amount_exceeds_authorized", moneyRefusals),
		seeds:   []fields{{{"amount", `"4.00"`}}}},
	{method: "POST", path: "/v1/payments/{id}/cancel", caller: asMerchant, noBody: true, idPrefix: "pay_",
		answers: allow("200, 400 invalid_request, 404 not_found, 409 payment_not_payable")},
	{method: "POST", path: "/v1/refunds", caller: asMerchant, keyed: true, idPrefix: "ref_",
		answers: allow("201, 404 not_found, 409 payment_not_payable, 422 refund_exceeds_payment, 422 insufficient_funds", moneyRefusals),
		seeds: []fields{
			{{"payment_id", `"$PAYMENT"`}, {"amount", `"1.00"`}},
			{{"payment_id", `"pay_unknown"`}, {"amount", `"1.00"`}},
		}},
	{method: "POST", path: "/v1/webhook_endpoints", caller: asMerchant, idPrefix: "we_",
		answers: allow("201, 400 invalid_request"),
		seeds: []fields{
			{{"url", `"http://127.0.0.1:9/hooks"`}, {"events", `["payment.succeeded","refund.succeeded"]`}},
			{{"url", `"https://10.0.0.1/hooks"`}, {"events", `["payment.nope"]`}},
		}},
	{method: "POST", path: "/v1/events/{id}/redeliver", caller: asMerchant, noBody: true,
		answers: allow("200, 400 invalid_request, 404 not_found")},
	{method: "POST", path: "/v1/qr/pay", caller: asPayer, keyed: true, idPrefix: "pay_",
		answers: allow("200, 400 invalid_request, 400 invalid_amount, 400 unsupported_currency, 404 not_found, 409 payment_expired, "+
			"409 payment_not_payable, 422 insufficient_funds, 423 wallet_frozen", moneyRefusals),
		seeds: []fields{
			{{"qr_payload", `"$STATIC_QR"`}, {"amount", `"2.50"`}, {"pin", `"` + testPIN + `"`}},
			{{"qr_payload", `"000201010212"`}, {"pin", `"` + testPIN + `"`}},
		}},
	{method: "PUT", path: "/v1/merchant/payout_card", caller: asMerchant, idPrefix: "mch_",
		answers: allow("200, 400 invalid_request, 404 card_not_found"),
		seeds:   []fields{{{"card_id", `"$CARD"`}}, {{"card_id", `"crd_nope"`}}}},
	{method: "POST", path: "/v1/merchant/keys", caller: asMerchant, noBody: true,
		answers: allow("201, 400 invalid_request"),
		seeds:   []fields{{{"revoke_others", `true`}}, {{"revoke_others", `false`}}}},
	{method: "POST", path: "/v1/merchant/payouts", caller: asMerchant, noBody: true,
		answers: allow("200, 400 invalid_request")},
	{method: "POST", path: "/v1/receipts/verify",
		answers: allow("200, 400 invalid_request"),
		seeds: []fields{
			{{"receipt", `{"id":"rcp_x","kind":"payment","payment_id":"pay_x","merchant_id":"mch_x","merchant_name":"Tea","merchant_category":"5812","payer_id":"usr_x","amount":"1.00","currency":"CNY","issued_at":"2026-12-01T00:00:00Z"}`},
				{"key_id", `"0123456789abcdef"`}, {"signature", `"` + strings.Repeat("A", 86) + `"`}},
		}},
	{method: "PUT", path: "/v1/me/password", caller: asKeeper,
		answers: allow("204, 400 invalid_request, 400 weak_password, 401 invalid_credentials, 429 too_many_attempts"),
		seeds: []fields{
			{{"password", `"wrong password here"`}, {"new_password", `"another good passphrase"`}},
			{{"password", `"` + testPassword + `"`}, {"new_password", `"short"`}},
		}},
	{method: "POST", path: "/v1/admin/users/{id}/freeze", caller: asAdmin, noBody: true, idPrefix: "usr_",
		answers: allow("200, 400 invalid_request, 404 not_found")},
	{method: "POST", path: "/v1/epurse/cards", caller: asPayer, noBody: true, idPrefix: "epc_",
		answers: allow("201, 400 invalid_request, 423 wallet_frozen")},
	{method: "POST", path: "/v1/epurse/cards/{id}/loads", caller: asPayer, money: true, idPrefix: "epl_",
		answers: allow("201, 400 invalid_card_message, 404 not_found, 409 currency_mismatch, 409 card_lost, 409 card_counter_mismatch, "+
			"409 load_not_pending, 422 card_authentication_failed, 422 insufficient_funds, 423 wallet_frozen", moneyRefusals),
		seeds: []fields{
			{{"amount", `"12.34"`}, {"currency", `"CNY"`}, {"card_response", `"` + strings.Repeat("00", 28) + `9000"`}, {"pin", `"` + testPIN + `"`}},
			{{"amount", `"5.00"`}, {"currency", `"USD"`}, {"terminal_id", `"0102030405ff"`}, {"card_response", `"00"`}, {"pin", `"` + testPIN + `"`}},
		}},
	{method: "POST", path: "/v1/epurse/cards/{id}/loads/{load_id}/complete", caller: asPayer, idPrefix: "epl_",
		answers: allow("200, 400 invalid_request, 400 invalid_card_message, 404 not_found, 409 load_not_pending, 422 card_authentication_failed"),
		seeds:   []fields{{{"card_response", `"00112233445566779000"`}}}},
	{method: "POST", path: "/v1/epurse/cards/{id}/lost", caller: asPayer, noBody: true, idPrefix: "epc_",
		answers: allow("200, 400 invalid_request")},
	{method: "POST", path: "/v1/epurse/terminals", caller: asMerchant, idPrefix: "trm_",
		answers: allow("201, 400 invalid_request"),
		seeds:   []fields{{{"name", `"Gate 7"`}}, {{"name", `""`}}}},
	{method: "POST", path: "/v1/epurse/terminals/{id}/batches", caller: asMerchant,
		answers: allow("200, 400 invalid_request, 404 not_found"),
		seeds: []fields{
			{{"records", `"` + base64.StdEncoding.EncodeToString(make([]byte, 2*37)) + `"`}},
			{{"records", `"AQ=="`}},
		}},
	{method: "POST", path: "/v1/admin/users/{id}/kyc", caller: asAdmin, idPrefix: "usr_",
		answers: allow("200, 400 invalid_request, 400 invalid_amount, 404 not_found"),
		seeds: []fields{
			{{"tier", `2`}},
			{{"tier", `3`}, {"limits", `{"daily":"100.5","balance_cap":"unlimited"}`}},
		}},
}

// Values every member of a seed body is replaced with, one at a time.
var junkValues = []string{`null`, `1`, `-0.5e3`, `""`, `[]`, `{}`, `true`, `"` + strings.Repeat("x", 5000) + `"`,
	"\"\xff\xfe\"", `"\u0000"`, `"\ud800"`, `[{"a":[1,{}]}]`}

// Amounts a money body's amount is replaced with.
var junkAmounts = []string{`"12.345"`, `"1e3"`, `"-1"`, `" 1"`, `"1 "`, `"0"`, `"0.00"`, `"+1"`, `"1."`, `".5"`, `"01.00"`,
	`"1,000.00"`, `"１２"`, `"0x10"`, `"NaN"`, `"Infinity"`, `"9999999999999999.99"`, `"999999999999999999"`,
	`"99999999999999999999"`, `"1.0"`, `"12.3"`, `"unlimited"`, `12.34`, `1e3`, `-1`, `0`}

// Bodies every route gets.
var junkBodies = []string{"", " \n", "{}", "null", "[]", "[{}]", "0", `""`, "true", "{", "}", `{"a":`, "{} {}", "{}x",
	`{"unknown":1}`, `{"":""}`, "\xef\xbb\xbf{}", "{\"\xff\":1}", strings.Repeat("[", 10000), strings.Repeat(`{"a":`, 500),
	`{"a":"` + strings.Repeat("y", 70000) + `"}`, "{\"pin\":\"\x00\"}"}

// Idempotency-Keys the first seed of a money route is also sent with.
var junkKeys = []string{"", " ", strings.Repeat("k", 255), strings.Repeat("k", 256), "ключ", "a\x00b", "tab\tkey", "\x7f"}

// bodySeeds returns the seeds of a case: its bodies, variants of them
// (each member null, a number, a huge or invalid string, ..., dropped or
// doubled; the first named in upper case; an unknown member added; every
// amount form), and the junk bodies.
func bodySeeds(bc bodyCase) (bodies []string) {
	for i, seed := range bc.seeds {
		bodies = append(bodies, seed.String())
		if i > 0 {
			continue
		}
		for j, f := range seed {
			with := func(raw string) string {
				v := append(fields{}, seed...)
				v[j].raw = raw
				return v.String()
			}
			for _, raw := range junkValues {
				bodies = append(bodies, with(raw))
			}
			if f.key == "amount" {
				for _, raw := range junkAmounts {
					bodies = append(bodies, with(raw))
				}
			}
			dropped := append(append(fields{}, seed[:j]...), seed[j+1:]...)
			doubled := append(append(fields{}, seed...), field{f.key, `"other"`})
			doubledBack := append(fields{{f.key, `"other"`}}, seed...)
			bodies = append(bodies, dropped.String(), doubled.String(), doubledBack.String())
		}
		upper := append(fields{}, seed...)
		upper[0].key = strings.ToUpper(upper[0].key)
		bodies = append(bodies, upper.String(), append(append(fields{}, seed...), field{"zzz", "1"}).String())
	}
	return append(bodies, junkBodies...)
}

func FuzzBody(f *testing.F) {
	s := newTestServer(f)
	for i, bc := range bodyCases {
		for n, body := range bodySeeds(bc) {
			key := ""
			if bc.money || bc.keyed {
				key = fmt.Sprintf("seed-%d-%d", i, n)
			}
			f.Add(uint8(i), []byte(body), key)
		}
		if bc.money || bc.keyed {
			for _, key := range junkKeys {
				f.Add(uint8(i), []byte(bc.seeds[0].String()), key)
			}
		}
		if bc.money && bc.caller == asPayer {
			// A key whose first answer (a wrong PIN's 403) is kept, then
			// an unknown card or recipient: the 404 comes before the 409.
			key := fmt.Sprintf("order-%d", i)
			unknown := field{"card_id", `"crd_unknown"`}
			if bc.path == "/v1/transfers" {
				unknown = field{"to", `{"phone":"+8613999999999"}`}
			}
			f.Add(uint8(i), []byte(bc.seeds[0].with(field{"pin", `"111111"`}).String()), key)
			f.Add(uint8(i), []byte(bc.seeds[0].with(field{"pin", `"111111"`}, unknown).String()), key)
		}
	}
	f.Cleanup(func() {
		// Whatever the inputs did, the ledger must still add up.
		r := s.do("GET", "/v1/admin/ledger/verify", testAdminToken, "", nil)
		if m := r.json(); r.status != http.StatusOK || m["ok"] != true {
			f.Errorf("ledger verify after the inputs: %d %s", r.status, r.body)
		}
	})
	f.Fuzz(func(t *testing.T, route uint8, body []byte, key string) {
		bc := bodyCases[int(route)%len(bodyCases)]
		body = bytes.ReplaceAll(body, []byte("$CARD"), []byte(s.payer.card))
		body = bytes.ReplaceAll(body, []byte("$PAYEE_WALLET"), []byte(s.payee.walletID))
		body = bytes.ReplaceAll(body, []byte("$PAYMENT"), []byte(s.paymentID))
		body = bytes.ReplaceAll(body, []byte("$STATIC_QR"), []byte(s.staticQR))
		id := s.payee.id
		switch {
		case strings.HasPrefix(bc.path, "/v1/payments/"):
			id = s.paymentID
		case strings.HasPrefix(bc.path, "/v1/epurse/cards/"):
			id = s.epurseCard
		case strings.HasPrefix(bc.path, "/v1/epurse/terminals/"):
			id = s.terminal
		}
		target := strings.Replace(strings.Replace(bc.path, "{id}", id, 1), "{load_id}", "epl_unknown", 1)
		r := s.do(bc.method, target, s.token(bc.caller), key, body)
		s.unlock(t, r)
		if bc.path == "/v1/merchant/keys" && r.status == http.StatusCreated {
			// The old key may have been revoked: go on with the new one.
			s.merchantKey, _ = r.json()["secret_key"].(string)
		}
		name := bc.method + " " + bc.path
		m := checkAnswer(t, s, name, bc.answers, r)
		s.checkBodyRules(t, bc, body, key, r)
		if m != nil {
			checkSuccess(t, name, bc.idPrefix, m)
			s.checkWhatWasAsked(t, bc, body, m)
		}
		if bc.path == "/v1/me/cards" {
			checkNoCardNumber(t, body, r)
		}
		if (bc.money || bc.keyed) && validKey(key) && kept(r) {
			again := s.do(bc.method, target, s.token(bc.caller), key, body)
			s.unlock(t, again)
			if again.status != r.status || !bytes.Equal(again.body, r.body) || again.header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("%s: the same key and body again got %d %s (Idempotent-Replayed %q), first %d %s",
					name, again.status, again.body, again.header.Get("Idempotent-Replayed"), r.status, r.body)
			}
		}
	})
}

// checkNoCardNumber asserts that an answer to POST /v1/me/cards does not
// show the full card number ("never returned or logged").
func checkNoCardNumber(t *testing.T, body []byte, r testResp) {
	t.Helper()
	var c cardReq
	json.Unmarshal(body, &c)
	digits := strings.Map(func(r rune) rune {
		if r < '0' || r > '9' {
			return -1
		}
		return r
	}, c.Number)
	if len(digits) >= 12 && bytes.Contains(r.body, []byte(digits)) {
		t.Fatalf("POST /v1/me/cards: the answer shows the full card number: %s", r.body)
	}
}

// kept reports whether the contract keeps a money answer for its key, to
// be replayed: successes and the money rules' refusals.
func kept(r testResp) bool {
	switch r.status {
	case http.StatusCreated, http.StatusForbidden, http.StatusUnprocessableEntity, http.StatusLocked:
		return true
	}
	return r.errorCode() == "currency_mismatch"
}

// token is the bearer token a caller sends.
func (s *testServer) token(c caller) string {
	switch c {
	case asPayer:
		return s.payer.token
	case asKeeper:
		return s.keeper.token
	case asAdmin:
		return testAdminToken
	case asMerchant:
		return s.merchantKey
	}
	return ""
}

// unlock undoes the lockouts an answer may have counted toward, so that
// wrong PINs and passwords from the fuzzer do not lock the prepared users
// out of the deeper paths for the rest of the run. (The lockouts are the
// contract's; they stay allowed answers.)
func (s *testServer) unlock(t *testing.T, r testResp) {
	ctx := t.Context()
	switch r.errorCode() {
	case "invalid_pin":
		if err := s.svc.Store.ResetPINFailures(ctx, s.payer.id); err != nil {
			t.Fatal(err)
		}
	case "invalid_credentials":
		for _, u := range []testUser{s.payer, s.payee, s.keeper} {
			if err := s.svc.Store.ResetCounter(ctx, "login:"+u.phone); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkBodyRules asserts the answers the body decides, by the
// Conventions: malformed JSON, unknown members, mistyped members; for
// money, the amount, the currency and the Idempotency-Key, then the
// lookups (card, recipient) that come before the key's 409.
func (s *testServer) checkBodyRules(t *testing.T, bc bodyCase, body []byte, key string, r testResp) {
	t.Helper()
	name := bc.method + " " + bc.path
	code := r.errorCode()
	want := func(status int, codes string, why string) {
		t.Helper()
		if r.status != status || !allow(codes)[code] {
			t.Fatalf("%s with %s: got %d %q, want %d %s: %s", name, why, r.status, code, status, codes, r.body)
		}
	}
	reqType := reqTypeOf(bc)
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		if !bc.noBody {
			want(400, "invalid_request", "an empty body")
		}
		return
	case !json.Valid(body):
		want(400, "invalid_request", "malformed JSON")
		return
	case len(body) > maxBody:
		return // the contract sets no size; any allowed answer will do
	case trimmed[0] != '{' && trimmed[0] != 'n': // null is taken as {}
		want(400, "invalid_request", "a body that is not an object")
		return
	}
	if k, ok := unknownMember(reqType, body); ok {
		want(400, "invalid_request", fmt.Sprintf("the unknown member %q", k))
		return
	}
	if dupOrNUL(body) {
		return // the contract leaves these open; any allowed answer will do
	}
	req := reflect.New(reqType)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req.Interface()); err != nil {
		want(400, "invalid_request, invalid_amount", "a mistyped member")
		return
	}
	if !bc.money {
		return
	}
	// A money body that decodes: the amount, the currency, then the key.
	var members map[string]json.RawMessage
	json.Unmarshal(body, &members)
	amount := bytes.TrimSpace(members["amount"])
	var currency string
	json.Unmarshal(members["currency"], &currency)
	cur, curErr := money.ParseCurrency(currency)
	switch {
	case len(amount) == 0 || string(amount) == "null":
		want(400, "invalid_amount, invalid_request", "no amount")
		return
	case amount[0] != '"':
		want(400, "invalid_amount", "an amount that is not a string")
		return
	}
	var a string
	json.Unmarshal(amount, &a)
	decimals := 2
	if curErr == nil {
		decimals = cur.Decimals()
	}
	switch v, _ := amountVerdict(a, decimals); {
	case v == amountBad && (curErr == nil || !amountRE.MatchString(a) || isZero(a)):
		want(400, "invalid_amount", fmt.Sprintf("the amount %q %s", a, currency))
		return
	case v != amountOK:
		return
	case curErr != nil:
		want(400, "unsupported_currency", fmt.Sprintf("the currency %q", currency))
		return
	case key == "" && !bc.keyOptional:
		want(400, "idempotency_key_required", "no Idempotency-Key")
		return
	case key != "" && !validKey(key):
		want(400, "invalid_request", fmt.Sprintf("the Idempotency-Key %q", key))
		return
	}
	if r.status == 400 && allow("invalid_amount, unsupported_currency, idempotency_key_required")[code] {
		t.Fatalf("%s: %s refused a valid amount %q %s with key %q: %s", name, code, a, currency, key, r.body)
	}
	// The lookups come before the key's 409 (Conventions, Errors).
	ctx := t.Context()
	if bc.path == "/v1/transfers" {
		to := req.Interface().(*transferReq).To
		note := req.Interface().(*transferReq).Note
		if (to.Phone == "") == (to.WalletID == "") || len(note) > 500 {
			return
		}
		var u wallet.User
		var err error
		if to.Phone != "" {
			u, err = s.svc.Store.UserByPhone(ctx, to.Phone)
		} else {
			u, err = s.svc.Store.UserByWallet(ctx, to.WalletID)
		}
		switch {
		case wallet.ErrorCode(err) == wallet.CodeNotFound:
			want(404, "recipient_not_found", "an unknown recipient")
		case err == nil && u.ID == s.payer.id:
			want(400, "self_transfer", "the payer as recipient")
		}
		return
	}
	cr, ok := req.Interface().(*cardMoneyReq)
	if !ok {
		return // a payment: no lookup before the key
	}
	cardID := cr.CardID
	if _, err := s.svc.Store.Card(ctx, s.payer.id, cardID); wallet.ErrorCode(err) == wallet.CodeNotFound {
		want(404, "card_not_found", "an unknown card")
	}
}

// dupOrNUL reports whether a JSON text has an object with a key twice, or
// a string with U+0000.
func dupOrNUL(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				ks, _ := k.(string)
				if seen[ks] || strings.ContainsRune(ks, 0) || walk() {
					return true
				}
				seen[ks] = true
			}
			dec.Token()
		case json.Delim('['):
			for dec.More() {
				if walk() {
					return true
				}
			}
			dec.Token()
		default:
			str, _ := tok.(string)
			return strings.ContainsRune(str, 0)
		}
		return false
	}
	return walk()
}

// reqTypeOf is the Go type a case's route decodes (routes.go), an empty
// struct for the routes the contract lists no body for.
func reqTypeOf(bc bodyCase) reflect.Type {
	for _, rt := range routes {
		if rt.method == bc.method && rt.path == bc.path && rt.req != nil {
			return reflect.TypeOf(rt.req)
		}
	}
	return reflect.TypeOf(struct{}{})
}

// unknownMember finds a member of body that names no JSON field of t,
// comparing names exactly; nested objects of struct-typed fields too.
func unknownMember(t reflect.Type, body []byte) (string, bool) {
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(unmarshalerType) {
		return "", false
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(body, &members) != nil {
		return "", false
	}
	names := jsonFields(t)
	for k, raw := range members {
		ft, ok := names[k]
		if !ok {
			return k, true
		}
		if nested, ok := unknownMember(ft, raw); ok {
			return k + "." + nested, true
		}
	}
	return "", false
}

func validKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// checkSuccess asserts the shape of a success body: its id's prefix, and
// amounts written with all of their currency's decimals.
func checkSuccess(t *testing.T, name, idPrefix string, m map[string]any) {
	t.Helper()
	if id, _ := m["id"].(string); idPrefix != "" && !strings.HasPrefix(id, idPrefix) {
		t.Errorf("%s: id %q, want prefix %s", name, id, idPrefix)
	}
	if amount, ok := m["amount"]; ok {
		checkAnswerAmount(t, name, amount, m["currency"])
	}
	if want, ok := successStatuses[idPrefix]; ok {
		if st, _ := m["status"].(string); !want[st] {
			t.Errorf("%s: status %q, want one of %v", name, st, want)
		}
	}
}

// successStatuses are the statuses a created operation may have, by the
// prefix of its id.
var successStatuses = map[string]answers{
	"top_": allow("succeeded, pending, failed"),
	"wdr_": allow("succeeded, pending, failed"),
	"txn_": allow("completed, pending_review"),
}

// checkAnswerAmount asserts an amount in an answer: a string with exactly
// its currency's decimals ("1000.00" CNY, "1000" JPY).
func checkAnswerAmount(t *testing.T, name string, amount, currency any) {
	t.Helper()
	a, ok := amount.(string)
	c, _ := currency.(string)
	cur, err := money.ParseCurrency(c)
	if !ok || err != nil {
		t.Errorf("%s: amount %#v in currency %#v", name, amount, currency)
		return
	}
	if v, _ := amountVerdict(strings.TrimPrefix(a, "-"), cur.Decimals()); v == amountBad && !isZero(a) ||
		cur.Decimals() > 0 && !strings.Contains(a, ".") || strings.Contains(a, ".") && len(a)-strings.Index(a, ".")-1 != cur.Decimals() {
		t.Errorf("%s: amount %q is not written with %s's %d decimals", name, a, cur, cur.Decimals())
	}
}

// checkWhatWasAsked asserts that a success shows what its request asked
// for: the user's new status, the money and the parties, the tier and
// limits.
func (s *testServer) checkWhatWasAsked(t *testing.T, bc bodyCase, body []byte, m map[string]any) {
	t.Helper()
	name := bc.method + " " + bc.path
	wantField := func(k string, want any) {
		t.Helper()
		if got := m[k]; got != want {
			t.Errorf("%s: %s is %#v, want %#v: %v", name, k, got, want, m)
		}
	}
	var req struct {
		Phone    string            `json:"phone"`
		Amount   string            `json:"amount"`
		Currency string            `json:"currency"`
		To       recipientRef      `json:"to"`
		Tier     int               `json:"tier"`
		Limits   map[string]string `json:"limits"`
	}
	json.Unmarshal(body, &req)
	switch bc.path {
	case "/v1/users":
		wantField("status", "pending")
		wantField("kyc_tier", 1.0)
		wantField("phone", req.Phone)
	case "/v1/users/verify", "/v1/me/unfreeze":
		wantField("status", "active")
	case "/v1/me/freeze":
		wantField("status", "frozen")
	case "/v1/sessions":
		if tok, _ := m["token"].(string); tok == "" || m["user_id"] == nil || m["expires_at"] == nil {
			t.Errorf("%s: %v", name, m)
		}
	case "/v1/topups", "/v1/withdrawals", "/v1/transfers":
		cur := money.Currency(req.Currency)
		n, err := money.Parse(req.Amount, cur)
		if err != nil {
			t.Fatalf("%s: succeeded with amount %q %q: %v", name, req.Amount, req.Currency, err)
		}
		wantField("amount", money.Format(n, cur))
		wantField("currency", req.Currency)
		if bc.path == "/v1/transfers" {
			var to wallet.User
			if req.To.Phone != "" {
				to, err = s.svc.Store.UserByPhone(t.Context(), req.To.Phone)
			} else {
				to, err = s.svc.Store.UserByWallet(t.Context(), req.To.WalletID)
			}
			from, _ := m["from"].(map[string]any)
			got, _ := m["to"].(map[string]any)
			if err != nil || from["user_id"] != s.payer.id || got["user_id"] != to.ID {
				t.Errorf("%s: from %v to %v, want %s to %s (%v)", name, from, got, s.payer.id, to.ID, err)
			}
		}
	case "/v1/admin/users/{id}/kyc":
		wantField("kyc_tier", float64(req.Tier))
		limits, _ := m["limits"].(map[string]any)
		for name, asked := range req.Limits {
			l, _ := limits[name].(map[string]any)
			want := asked
			if n, err := money.Parse(asked, money.CNY); err == nil {
				want = money.Format(n, money.CNY)
			}
			if l["limit"] != want {
				t.Errorf("kyc: limits.%s.limit %v, asked for %q: %v", name, l["limit"], asked, limits)
			}
		}
	}
}
