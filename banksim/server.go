package banksim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/reconcile"
)

// Handler is the bank's HTTP API. Every route but /healthz needs a
// request signed with the shared secret (bankwire.Verify).
//
//	POST /v1/charges            authorise and capture a card (bankwire.PaymentRequest)
//	POST /v1/payouts            pay money to a card (bankwire.PaymentRequest)
//	POST /v1/refunds            give back part or all of a charge (bankwire.RefundRequest)
//	GET  /v1/requests/{id}      the status of any request (bankwire.Result)
//	GET  /v1/statements/{file}  a day's statements: YYYY-MM-DD.xml (camt.053) or .csv
//	GET  /healthz
//
// A final answer is 200, an accepted one 202 (the outcome follows by
// callback and status query).
func (b *Bank) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("POST /v1/charges", b.signed(b.payment(bankwire.KindCharge)))
	mux.Handle("POST /v1/payouts", b.signed(b.payment(bankwire.KindPayout)))
	mux.Handle("POST /v1/refunds", b.signed(b.refund))
	mux.Handle("GET /v1/requests/{id}", b.signed(b.status))
	mux.Handle("GET /v1/statements/{file}", b.signed(b.statement))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusNotFound, "not_found", "no such route")
	})
	return mux
}

type handler func(w http.ResponseWriter, r *http.Request, body []byte)

// signed reads the body and refuses a request whose signature is wrong or
// stale.
func (b *Bank) signed(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, bankwire.MaxBody+1))
		if err != nil || len(body) > bankwire.MaxBody {
			fail(w, http.StatusBadRequest, "invalid_request", "body too large or unreadable")
			return
		}
		if bankwire.Verify(b.cfg.Secret, r.Header, r.Method, r.URL.Path, body, b.cfg.Now()) != nil {
			fail(w, http.StatusUnauthorized, "unauthenticated", "bad or stale signature")
			return
		}
		h(w, r, body)
	})
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, bankwire.Error{Code: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decodeStrict reads one JSON object with known fields only.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data")
	}
	return nil
}

// validCard accepts 12–19 digits; the bank does not care about Luhn.
func validCard(n string) bool {
	if len(n) < 12 || len(n) > 19 {
		return false
	}
	return strings.Trim(n, "0123456789") == ""
}

// checkRequest validates what every request has: its ID (equal to the
// Idempotency-Key header when one is sent), amount and currency.
func checkRequest(r *http.Request, id, amount, currency string) (int64, money.Currency, string) {
	if !bankwire.ValidID(id) {
		return 0, "", "id must be 1-255 printable characters without /"
	}
	if k := r.Header.Get(bankwire.HeaderIdemKey); k != "" && k != id {
		return 0, "", "Idempotency-Key must equal the id"
	}
	c, err := money.ParseCurrency(currency)
	if err != nil {
		return 0, "", "unsupported currency"
	}
	v, err := money.ParsePositive(amount, c)
	if err != nil {
		return 0, "", "invalid amount"
	}
	return v, c, ""
}

func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:16])
}

// payment handles a charge or a payout.
func (b *Bank) payment(kind string) handler {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		var p bankwire.PaymentRequest
		if decodeStrict(body, &p) != nil {
			fail(w, http.StatusBadRequest, "invalid_request", "malformed body")
			return
		}
		amount, cur, msg := checkRequest(r, p.ID, p.Amount, p.Currency)
		if msg == "" && !validCard(p.CardNumber) {
			msg = "invalid card number"
		}
		if msg != "" {
			fail(w, http.StatusBadRequest, "invalid_request", msg)
			return
		}
		card, err := b.ensureCard(r.Context(), p.CardNumber, cur)
		if err != nil {
			b.internal(w, r, err)
			return
		}
		now := b.now()
		req := Request{ID: p.ID, Kind: kind, Card: card, Last4: p.CardNumber[len(p.CardNumber)-4:], Amount: amount, Currency: cur,
			Behaviour: b.choose.choose(r.Header.Get(bankwire.HeaderBehaviour), p.CardNumber), Status: statusReceived,
			Fingerprint: fingerprint(kind, card, p.Amount, p.Currency), CallbackURL: p.CallbackURL, CreatedAt: now, UpdatedAt: now}
		b.handle(w, r, req)
	}
}

// refund handles a refund of a charge.
func (b *Bank) refund(w http.ResponseWriter, r *http.Request, body []byte) {
	var p bankwire.RefundRequest
	if decodeStrict(body, &p) != nil || !bankwire.ValidID(p.ChargeID) {
		fail(w, http.StatusBadRequest, "invalid_request", "malformed body")
		return
	}
	amount, cur, msg := checkRequest(r, p.ID, p.Amount, p.Currency)
	if msg != "" {
		fail(w, http.StatusBadRequest, "invalid_request", msg)
		return
	}
	charge, err := b.Request(r.Context(), p.ChargeID)
	if err != nil {
		fail(w, http.StatusNotFound, "not_found", "no such charge")
		return
	}
	now := b.now()
	req := Request{ID: p.ID, Kind: bankwire.KindRefund, Card: charge.Card, Last4: charge.Last4, Amount: amount, Currency: cur, ChargeID: p.ChargeID,
		Status: statusReceived, Fingerprint: fingerprint(bankwire.KindRefund, p.ChargeID, p.Amount, p.Currency), CallbackURL: p.CallbackURL,
		CreatedAt: now, UpdatedAt: now}
	b.handle(w, r, req)
}

// handle stores a new request (or finds the one its ID made), processes
// it as its behaviour says and answers with where it stands.
func (b *Bank) handle(w http.ResponseWriter, r *http.Request, req Request) {
	// The worker leaves a received request to its handler for a while;
	// past that (a crash, a slow caller) it decides the request itself.
	req.DueAt = req.CreatedAt.Add(2 * time.Second)
	if req.Behaviour == Slow {
		req.DueAt = req.CreatedAt.Add(b.cfg.SlowDelay)
	}
	ctx := context.WithoutCancel(r.Context()) // the caller giving up must not stop the bank
	stored, created, err := b.insert(ctx, req)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	if stored.Fingerprint != req.Fingerprint {
		fail(w, http.StatusConflict, "idempotency_conflict", "this id was used for another request")
		return
	}
	switch {
	case created && stored.Behaviour == Slow:
		b.waitForCaller(r)
		stored, err = b.process(ctx, stored, true)
	case created && stored.Behaviour == Timeout:
		stored, err = b.process(ctx, stored, false)
		b.waitForCaller(r)
	default:
		stored, err = b.process(ctx, stored, false)
	}
	if err != nil {
		b.internal(w, r, err)
		return
	}
	answer(w, stored)
}

// waitForCaller waits until the caller hangs up, or SlowDelay at most.
func (b *Bank) waitForCaller(r *http.Request) {
	t := time.NewTimer(b.cfg.SlowDelay)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-t.C:
	}
}

func answer(w http.ResponseWriter, r Request) {
	status := http.StatusOK
	if !r.Final() {
		status = http.StatusAccepted
	}
	writeJSON(w, status, r.Result())
}

func (b *Bank) internal(w http.ResponseWriter, r *http.Request, err error) {
	b.cfg.Log.ErrorContext(r.Context(), "internal error", "path", r.URL.Path, "err", err)
	fail(w, http.StatusInternalServerError, "internal", "internal error")
}

// status answers GET /v1/requests/{id}, deciding a received request that
// is due first (so a query after a crash gets the outcome at once).
func (b *Bank) status(w http.ResponseWriter, r *http.Request, _ []byte) {
	req, err := b.Request(r.Context(), r.PathValue("id"))
	if errors.Is(err, errNoRequest) {
		fail(w, http.StatusNotFound, "not_found", "no such request")
		return
	}
	if err == nil && !req.Final() && !b.now().Before(req.DueAt) {
		req, err = b.process(context.WithoutCancel(r.Context()), req, false)
	}
	if err != nil {
		b.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, req.Result())
}

// statement answers GET /v1/statements/{YYYY-MM-DD}.xml or .csv.
func (b *Bank) statement(w http.ResponseWriter, r *http.Request, _ []byte) {
	file := r.PathValue("file")
	date, ext, _ := strings.Cut(file, ".")
	day, err := time.Parse(time.DateOnly, date)
	if err != nil || (ext != "xml" && ext != "csv") {
		fail(w, http.StatusNotFound, "not_found", "ask for YYYY-MM-DD.xml or YYYY-MM-DD.csv")
		return
	}
	stmts, err := b.Statements(r.Context(), day)
	if err != nil {
		b.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	if ext == "xml" {
		w.Header().Set("Content-Type", "application/xml")
		err = reconcile.WriteCAMT053(&buf, "MSG-"+date, b.now(), stmts)
	} else {
		w.Header().Set("Content-Type", "text/csv")
		err = reconcile.WriteCSV(&buf, stmts)
	}
	if err != nil {
		b.internal(w, r, err)
		return
	}
	w.Write(buf.Bytes())
}
