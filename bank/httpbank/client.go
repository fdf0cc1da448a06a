// Package httpbank is ewallet's connector to a bank over HTTP (the sandbox
// bank of `ewallet banksim`, or a bank that speaks bank/bankwire): it
// implements wallet.Bank with signed requests whose idempotency key is the
// wallet's operation ID, keeps every request's state in a Store, re-asks
// the bank about requests in doubt with backoff, and receives the bank's
// signed callbacks. It never guesses an outcome: a request without an
// answer stays in doubt (the wallet keeps its money on hold) until a status
// query or a callback settles it.
package httpbank

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

// Options configure a Client.
type Options struct {
	BaseURL string // http(s)://host:port of the bank
	Secret  []byte // shared HMAC key; never logged
	// Timeout bounds one HTTP exchange with the bank (default 10s). A
	// request that takes longer is in doubt, not failed.
	Timeout time.Duration
	// BackoffMin and BackoffMax bound the wait between status queries about
	// one request in doubt; it doubles per query (defaults 1s and 5m).
	BackoffMin, BackoffMax time.Duration
	HTTP                   *http.Client
	Now                    func() time.Time
	Log                    *slog.Logger
}

// Client is wallet.Bank over HTTP. Safe for concurrent use.
type Client struct {
	o        Options
	store    Store
	callback atomic.Pointer[string]
}

var _ wallet.Bank = (*Client)(nil)

// New returns a connector to the bank at o.BaseURL keeping its requests in
// store.
func New(store Store, o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(5*time.Minute, o.BackoffMin)
	}
	if o.HTTP == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 256
		o.HTTP = &http.Client{Transport: tr}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Client{o: o, store: store}
}

// SetCallbackURL sets the URL the bank posts outcomes to (ewallet's
// POST /v1/bank/callbacks), known only once the server listens.
func (c *Client) SetCallbackURL(u string) { c.callback.Store(&u) }

func (c *Client) callbackURL() string {
	if p := c.callback.Load(); p != nil {
		return *p
	}
	return ""
}

func (c *Client) now() time.Time { return c.o.Now().UTC().Truncate(time.Microsecond) }

// Charge implements wallet.Bank: a card authorised and captured.
func (c *Client) Charge(ctx context.Context, req wallet.BankRequest) (wallet.BankResult, error) {
	return c.send(ctx, bankwire.KindCharge, "/v1/charges", req)
}

// Payout implements wallet.Bank: money paid to a card.
func (c *Client) Payout(ctx context.Context, req wallet.BankRequest) (wallet.BankResult, error) {
	return c.send(ctx, bankwire.KindPayout, "/v1/payouts", req)
}

// send records the request (once: a retry under the same ID finds it) and
// posts it to the bank. A final state already known is answered without
// asking again.
func (c *Client) send(ctx context.Context, kind, path string, req wallet.BankRequest) (wallet.BankResult, error) {
	now := c.now()
	r, _, err := c.store.CreateBankRequest(ctx, Request{ID: req.ID, Kind: kind, Amount: req.Amount, Currency: req.Currency,
		State: StateCreated, NextQueryAt: now, CreatedAt: now, UpdatedAt: now})
	if err != nil {
		return wallet.BankResult{}, err
	}
	if r.Kind != kind || r.Amount != req.Amount || r.Currency != req.Currency {
		return wallet.BankResult{}, fmt.Errorf("httpbank: request %s was stored as another %s", req.ID, r.Kind)
	}
	if r.State.Final() {
		return result(r), nil
	}
	body, err := json.Marshal(bankwire.PaymentRequest{ID: req.ID, CardNumber: req.CardNumber, Amount: money.Format(req.Amount, money.Currency(req.Currency)),
		Currency: req.Currency, CallbackURL: c.callbackURL()})
	if err != nil {
		return wallet.BankResult{}, err
	}
	status, answer, err := c.do(ctx, http.MethodPost, path, req.ID, body, bankwire.MaxBody)
	switch {
	case err != nil || status >= 500 || status == http.StatusConflict || status == http.StatusTooManyRequests:
		// No answer, or not one to act on: the bank may have it. A 409 (our
		// ID with another body) cannot come from this connector; it is
		// left for a person rather than guessed.
		c.inDoubt(ctx, r)
		if err == nil {
			err = fmt.Errorf("httpbank: %s %s answered %d", kind, req.ID, status)
		}
		return wallet.BankResult{}, err
	case status >= 400:
		// Refused before it was processed (bad request, bad signature):
		// certainly no money moved.
		return c.refused(ctx, r, status)
	}
	d, err := bankwire.DecodeResult(answer)
	if err != nil {
		c.inDoubt(ctx, r)
		return wallet.BankResult{}, err
	}
	next, err := c.apply(ctx, r, d)
	if errors.Is(err, errContradiction) {
		// An answer about another request (or amount, or kind) says nothing
		// about ours, which the bank may well have: in doubt, like a garbled
		// answer, rather than left as never sent.
		c.inDoubt(ctx, r)
		return wallet.BankResult{}, err
	}
	return result(next), err
}

// inDoubt marks a request whose answer never came: the next status query
// is due after the shortest backoff.
func (c *Client) inDoubt(ctx context.Context, r Request) {
	// Often the caller's context is what ended the exchange (the API
	// client hung up): the record that the request left must outlive it,
	// or the request would stay "created" as if never sent.
	ctx = context.WithoutCancel(ctx)
	now := c.now()
	r.State, r.NextQueryAt, r.UpdatedAt = StateUnknown, now.Add(c.o.BackoffMin), now
	if _, err := c.store.UpdateBankRequest(ctx, r); err != nil {
		c.o.Log.WarnContext(ctx, "record bank request in doubt", "id", r.ID, "err", err)
	}
}

// refused records a request the bank turned away unprocessed.
func (c *Client) refused(ctx context.Context, r Request, status int) (wallet.BankResult, error) {
	c.o.Log.ErrorContext(ctx, "bank refused the request", "id", r.ID, "status", status)
	r.State, r.FailureCode, r.UpdatedAt = StateFailed, "bank_rejected", c.now()
	if _, err := c.store.UpdateBankRequest(ctx, r); err != nil {
		return wallet.BankResult{}, err
	}
	return c.stored(ctx, r.ID)
}

// stored reads a request back and answers with its state.
func (c *Client) stored(ctx context.Context, id string) (wallet.BankResult, error) {
	r, err := c.store.BankRequest(ctx, id)
	return result(r), err
}

// result is what the wallet is told about a request.
func result(r Request) wallet.BankResult {
	switch r.State {
	case StateSucceeded:
		return wallet.BankResult{Status: wallet.BankSucceeded}
	case StateFailed:
		return wallet.BankResult{Status: wallet.BankFailed, FailureCode: r.FailureCode}
	}
	return wallet.BankResult{Status: wallet.BankPending}
}

// errContradiction is a bank answer that does not fit what we asked or
// what the bank said before; it is logged and never acted on.
var errContradiction = errors.New("httpbank: the bank's answer contradicts the request")

// apply records the bank's word d about request r and returns the request
// as stored afterwards. A stale word (lower sequence) changes nothing.
func (c *Client) apply(ctx context.Context, r Request, d bankwire.Decoded) (Request, error) {
	if d.ID != r.ID || d.Kind != r.Kind || d.Amount != r.Amount || string(d.Currency) != r.Currency {
		c.o.Log.ErrorContext(ctx, "bank answer does not match the request", "id", r.ID, "kind", d.Kind, "amount", d.Amount)
		return r, errContradiction
	}
	if r.State.Final() || d.Seq < r.BankSeq {
		if r.State.Final() && d.Status != bankwire.StatusPending && string(r.State) != d.Status {
			c.o.Log.ErrorContext(ctx, "bank changed a final outcome", "id", r.ID, "was", r.State, "now", d.Status)
			return r, errContradiction
		}
		return r, nil
	}
	now := c.now()
	next := r
	next.BankSeq, next.UpdatedAt = d.Seq, now
	switch d.Status {
	case bankwire.StatusSucceeded:
		next.State = StateSucceeded
	case bankwire.StatusFailed:
		next.State, next.FailureCode = StateFailed, d.FailureCode
	default:
		next.State = StateSent
		if !next.NextQueryAt.After(now) {
			next.NextQueryAt = now.Add(c.o.BackoffMin)
		}
	}
	ok, err := c.store.UpdateBankRequest(ctx, next)
	if err != nil {
		return r, err
	}
	if !ok { // someone else made it final first
		return c.store.BankRequest(ctx, r.ID)
	}
	return next, nil
}

// do sends one signed request and returns the status and body. An error
// means no answer came (timeout, connection refused or cut).
func (c *Client) do(ctx context.Context, method, path, idemKey string, body []byte, limit int64) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.o.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set(bankwire.HeaderIdemKey, idemKey)
	}
	bankwire.SignRequest(req, c.o.Secret, c.o.Now(), body)
	res, err := c.o.HTTP.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("httpbank: %s %s: %w", method, path, redact(err))
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, limit))
	if err != nil {
		return 0, nil, fmt.Errorf("httpbank: %s %s: read answer: %w", method, path, err)
	}
	return res.StatusCode, b, nil
}

// redact keeps a transport error's cause but drops the URL it carries
// (which may hold credentials in its userinfo).
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
