package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

type passwordReq struct {
	Password    string `json:"password"`
	NewPassword string `json:"new_password"`
}

type sessionItem struct {
	ID        string    `json:"id"`
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`
}

type sessionItems struct {
	Data []sessionItem `json:"data"`
}

type adminTransfer struct {
	ID        string    `json:"id"`
	Seq       int64     `json:"seq"`
	Kind      string    `json:"kind"`
	Type      string    `json:"type"` // posted, hold, post, void, expire
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

type adminTransferList struct {
	Data    []adminTransfer `json:"data"`
	HasMore bool            `json:"has_more"`
}

func (a *API) changePassword(c *call) {
	var req passwordReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.Wallet.ChangePassword(c.ctx(), c.user, c.session, req.Password, req.NewPassword, c.client()); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) sessions(c *call) {
	ss, err := a.Wallet.Sessions(c.ctx(), c.user)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := sessionItems{Data: []sessionItem{}}
	for _, s := range ss {
		out.Data = append(out.Data, sessionItem{ID: wallet.SessionID(s), Current: s.TokenHash == c.session.TokenHash,
			CreatedAt: s.CreatedAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(), IP: s.IP, UserAgent: s.UserAgent})
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) logoutEverywhere(c *call) {
	if err := a.Wallet.LogoutEverywhere(c.ctx(), c.user, [32]byte{}, c.client()); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) adminFreeze(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.Wallet.AdminFreeze(c.ctx(), c.r.PathValue("id"), c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toUser(u))
}

// journalEnd is a time after every transfer, for the journal's last
// sequence (SeqAt) whatever the ledger's clock says.
var journalEnd = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// adminTransfers lists the journal's newest transfers, below before_seq
// when given.
func (a *API) adminTransfers(c *call) {
	q := c.r.URL.Query()
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	top, err := a.Ledger.SeqAt(c.ctx(), journalEnd)
	if err != nil {
		a.fail(c, err)
		return
	}
	if v := q.Get("before_seq"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "before_seq must be a positive journal sequence"))
			return
		}
		top = min(top, n-1)
	}
	seqs := make([]int64, 0, limit)
	for s := top; s > 0 && len(seqs) < limit; s-- {
		seqs = append(seqs, s)
	}
	ts, err := a.Ledger.TransfersBySeq(c.ctx(), seqs)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := adminTransferList{Data: []adminTransfer{}, HasMore: top-int64(len(seqs)) > 0}
	currencies := map[ledger.AccountID]money.Currency{}
	for i := len(ts) - 1; i >= 0; i-- { // newest first
		t := ts[i]
		if len(t.Postings) == 0 {
			continue
		}
		acct := t.Postings[0].Account
		if _, ok := currencies[acct]; !ok {
			ac, err := a.Ledger.Account(c.ctx(), acct)
			if err != nil {
				a.fail(c, err)
				return
			}
			currencies[acct] = ac.Currency
		}
		out.Data = append(out.Data, toAdminTransfer(t, currencies[acct]))
	}
	writeJSON(c.w, http.StatusOK, out)
}

// toAdminTransfer shows a transfer by the money it moved: the sum of its
// credits. Every posting of a transfer is in one currency (FX moves are
// two transfers), that of its first account.
func toAdminTransfer(t ledger.Transfer, cur money.Currency) adminTransfer {
	var amount int64
	for _, p := range t.Postings {
		if p.Amount > 0 {
			amount += p.Amount
		}
	}
	status := "posted"
	if t.Type == ledger.Hold {
		status = "held"
	}
	return adminTransfer{ID: t.ID, Seq: t.Seq, Kind: t.Kind, Type: t.Type.String(), Amount: money.Format(amount, cur),
		Currency: string(cur), Status: status, CreatedAt: t.Time.UTC()}
}
