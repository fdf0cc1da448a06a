package api

import (
	"context"
	"net/http"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

type statusBody struct {
	Status string `json:"status"`
}

func (a *API) healthz(c *call) { writeJSON(c.w, http.StatusOK, statusBody{"ok"}) }

// readyTimeout bounds the database ping of /readyz.
const readyTimeout = 2 * time.Second

func (a *API) readyz(c *call) {
	ctx, cancel := context.WithTimeout(c.ctx(), readyTimeout)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeUnavailable, "the database does not answer"))
		return
	}
	writeJSON(c.w, http.StatusOK, statusBody{"ok"})
}

// verifyBody is the answer of GET /v1/admin/ledger/verify.
type verifyBody struct {
	OK               bool              `json:"ok"`
	TransfersChecked int64             `json:"transfers_checked"`
	AccountsChecked  int64             `json:"accounts_checked"`
	Chain            string            `json:"chain"`
	Sums             map[string]string `json:"sums"`
	Problem          *verifyProblem    `json:"problem,omitempty"`
}

type verifyProblem struct {
	Invariant string `json:"invariant"`
	Table     string `json:"table"`
	Row       string `json:"row"`
	Message   string `json:"message"`
}

func (a *API) verifyLedger(c *call) {
	rep, err := a.Ledger.Verify(c.ctx())
	if err != nil {
		a.fail(c, err)
		return
	}
	resp := verifyBody{OK: rep.OK, TransfersChecked: rep.TransfersChecked, AccountsChecked: rep.AccountsChecked, Chain: rep.Chain, Sums: map[string]string{}}
	for cur, sum := range rep.Sums {
		resp.Sums[string(cur)] = money.Format(sum, cur)
	}
	if p := rep.Problem; p != nil {
		resp.Problem = &verifyProblem{Invariant: p.Invariant, Table: p.Table, Row: p.Row, Message: p.Message}
		a.Log.ErrorContext(c.ctx(), "ledger verification failed", "problem", p.String(), "request_id", requestID(c.r))
	}
	writeJSON(c.w, http.StatusOK, resp)
}

func (a *API) metrics(c *call) {
	if a.Metrics == nil {
		a.fail(c, wallet.Errorf(wallet.CodeNotFound, "metrics are off"))
		return
	}
	a.Metrics.handler.ServeHTTP(c.w, c.r)
}
