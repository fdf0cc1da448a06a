package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/reconcile"
	"github.com/ewallet/ewallet/wallet"
)

// BankCallbacks receives the bank's signed callbacks (bank/httpbank). It
// returns CodeUnauthenticated for a bad signature, CodeInvalidRequest for
// a malformed callback.
type BankCallbacks interface {
	Receive(ctx context.Context, h http.Header, path string, body []byte) error
}

// Reconciliations reads the stored reconciliation reports
// (store/walletsql): a day's report as JSON, or CodeNotFound.
type Reconciliations interface {
	Reconciliation(ctx context.Context, day string) ([]byte, error)
}

// bankCallback is POST /v1/bank/callbacks: public, because the bank signs
// its callbacks instead of holding a token. Without a bank connector there
// is no secret to check a signature against: 401.
func (a *API) bankCallback(c *call) {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "the body is too large or unreadable"))
		return
	}
	// The body's shape is checked as every route's is; the bank's checks
	// (signature, then values) follow in Receive.
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	var shape bankwire.Result
	if err := decode(c.r, &shape, false); err != nil {
		a.fail(c, err)
		return
	}
	if a.BankCallbacks == nil {
		a.fail(c, wallet.Errorf(wallet.CodeUnauthenticated, "no bank connector is configured"))
		return
	}
	if err := a.BankCallbacks.Receive(c.ctx(), c.r.Header, c.r.URL.Path, body); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// reconciliation is GET /v1/admin/reconciliations/{date}: the stored
// report of a day reconciled against the bank's statements.
func (a *API) reconciliation(c *call) {
	day := c.r.PathValue("date")
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "date must be YYYY-MM-DD"))
		return
	}
	if a.Reconciliations == nil {
		a.fail(c, wallet.Errorf(wallet.CodeNotFound, "no reconciliation of %s", day))
		return
	}
	body, err := a.Reconciliations.Reconciliation(c.ctx(), day)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeRaw(c.w, http.StatusOK, body)
}

// reconciliationBody documents the answer (reconcile.Report as stored).
type reconciliationBody = reconcile.Report
