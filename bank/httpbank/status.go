package httpbank

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/wallet"
)

// Status implements wallet.Bank. A final state is answered from the store;
// a request in doubt is asked about at most once per backoff step (the
// wallet's recovery worker calls Status every second for every open
// operation), and BankPending is the answer in between. BankUnknown means
// the bank has never heard of the request: the wallet then sends it again
// under the same ID, which the bank deduplicates.
func (c *Client) Status(ctx context.Context, id string) (wallet.BankResult, error) {
	r, err := c.store.BankRequest(ctx, id)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return wallet.BankResult{Status: wallet.BankUnknown}, nil // never sent from here
	}
	if err != nil {
		return wallet.BankResult{}, err
	}
	if r.State.Final() || c.now().Before(r.NextQueryAt) {
		return result(r), nil
	}
	return c.query(ctx, r)
}

// Refresh asks the bank about a request now, whatever its backoff says
// (reconciliation holds a statement line that names it).
func (c *Client) Refresh(ctx context.Context, id string) (wallet.BankResult, error) {
	r, err := c.store.BankRequest(ctx, id)
	if err != nil {
		return wallet.BankResult{}, err
	}
	if r.State.Final() {
		return result(r), nil
	}
	return c.query(ctx, r)
}

// query asks the bank about r and records the answer, or the next backoff
// step when none came.
func (c *Client) query(ctx context.Context, r Request) (wallet.BankResult, error) {
	status, body, err := c.do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(r.ID), "", nil, bankwire.MaxBody)
	if err == nil && status == http.StatusNotFound {
		c.backoff(ctx, r)
		return wallet.BankResult{Status: wallet.BankUnknown}, nil
	}
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("httpbank: status of %s: the bank answered %d", r.ID, status)
	}
	if err != nil {
		c.backoff(ctx, r)
		return wallet.BankResult{}, err
	}
	d, err := bankwire.DecodeResult(body)
	if err != nil {
		c.backoff(ctx, r)
		return wallet.BankResult{}, err
	}
	// Every query counts for the backoff, whatever the answer: one that
	// does not fit the request (apply refuses it) or is stale would
	// otherwise leave the next query due at once, and the recovery worker
	// would ask again every tick. A final answer makes the backoff moot.
	r = c.backoff(ctx, r)
	r, err = c.apply(ctx, r, d)
	return result(r), err
}

// backoff counts one more status query about r and sets when the next is
// due: BackoffMin doubled per query, at most BackoffMax.
func (c *Client) backoff(ctx context.Context, r Request) Request {
	r.Attempts++
	wait := c.o.BackoffMin
	for i := 1; i < r.Attempts && wait < c.o.BackoffMax; i++ {
		wait *= 2
	}
	now := c.now()
	r.NextQueryAt, r.UpdatedAt = now.Add(min(wait, c.o.BackoffMax)), now
	if _, err := c.store.UpdateBankRequest(ctx, r); err != nil {
		c.o.Log.WarnContext(ctx, "record status query", "id", r.ID, "err", err)
	}
	return r
}
