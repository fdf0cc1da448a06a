package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/notify"
	"github.com/ewallet/ewallet/wallet"
)

type registerReq struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

type verifyReq struct {
	Phone string `json:"phone"`
	Code  string `json:"code"`
}

type resendReq struct {
	Phone string `json:"phone"`
}

type loginReq struct {
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

type pinReq struct {
	Password string `json:"password"`
	PIN      string `json:"pin"`
}

type unfreezeReq struct {
	Password string `json:"password"`
	Code     string `json:"code"`
}

type userBody struct {
	ID        string      `json:"id"`
	WalletID  string      `json:"wallet_id"`
	Phone     string      `json:"phone"`
	Name      string      `json:"name"`
	Status    string      `json:"status"`
	KYCTier   int         `json:"kyc_tier"`
	PINSet    bool        `json:"pin_set"`
	CreatedAt time.Time   `json:"created_at"`
	Limits    *limitsBody `json:"limits,omitempty"`
}

type limitBody struct {
	Limit     string `json:"limit"`
	Remaining string `json:"remaining"`
}

type limitsBody struct {
	Currency       string    `json:"currency"`
	PerTransaction limitBody `json:"per_transaction"`
	Daily          limitBody `json:"daily"`
	Yearly         limitBody `json:"yearly"`
	Lifetime       limitBody `json:"lifetime"`
	BalanceCap     limitBody `json:"balance_cap"`
}

type sessionBody struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	UserID    string    `json:"user_id"`
}

type userList struct {
	Data    []userBody `json:"data"`
	HasMore bool       `json:"has_more"`
}

func toUser(u wallet.User) userBody {
	return userBody{ID: u.ID, WalletID: u.WalletID, Phone: u.Phone, Name: u.Name, Status: u.Status, KYCTier: u.KYCTier,
		PINSet: u.PINHash != nil, CreatedAt: u.CreatedAt.UTC()}
}

func cnyLimit(n int64) string {
	if n == wallet.Unlimited {
		return "unlimited"
	}
	return money.Format(n, money.CNY)
}

func toLimits(l wallet.Limits) *limitsBody {
	conv := func(x wallet.Limit) limitBody {
		return limitBody{Limit: cnyLimit(x.Limit), Remaining: cnyLimit(x.Remaining)}
	}
	return &limitsBody{Currency: "CNY", PerTransaction: conv(l.PerTransaction), Daily: conv(l.Daily), Yearly: conv(l.Yearly),
		Lifetime: conv(l.Lifetime), BalanceCap: conv(l.BalanceCap)}
}

// withLimits renders a user with its current limits.
func (a *API) withLimits(c *call, u wallet.User) (userBody, error) {
	l, err := a.Wallet.Limits(c.ctx(), u)
	if err != nil {
		return userBody{}, err
	}
	b := toUser(u)
	b.Limits = toLimits(l)
	return b, nil
}

func (a *API) registerUser(c *call) {
	var req registerReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.Wallet.Register(c.ctx(), req.Phone, req.Password, req.Name, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, toUser(u))
}

func (a *API) verify(c *call) {
	var req verifyReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.Wallet.Verify(c.ctx(), req.Phone, req.Code, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toUser(u))
}

func (a *API) resend(c *call) {
	var req resendReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.Wallet.Resend(c.ctx(), req.Phone); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) login(c *call) {
	var req loginReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	tok, s, err := a.Wallet.Login(c.ctx(), req.Phone, req.Password, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, sessionBody{Token: tok, ExpiresAt: s.ExpiresAt.UTC(), UserID: s.UserID})
}

func (a *API) logout(c *call) {
	if err := a.Wallet.Logout(c.ctx(), c.session, c.client()); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) me(c *call) {
	b, err := a.withLimits(c, c.user)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, b)
}

func (a *API) setPIN(c *call) {
	var req pinReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.Wallet.SetPIN(c.ctx(), c.user, req.Password, req.PIN, c.client()); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) freeze(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.Wallet.Freeze(c.ctx(), c.user, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toUser(u))
}

func (a *API) unfreezeCode(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	if err := a.Wallet.SendUnfreezeCode(c.ctx(), c.user); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

func (a *API) unfreeze(c *call) {
	var req unfreezeReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	u, err := a.Wallet.Unfreeze(c.ctx(), c.user, req.Password, req.Code, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toUser(u))
}

type smsList struct {
	Data []notify.Message `json:"data"`
}

func (a *API) devSMS(c *call) {
	msgs := []notify.Message{}
	if a.Outbox != nil {
		msgs = append(msgs, a.Outbox.Messages(c.r.URL.Query().Get("phone"))...)
	}
	writeJSON(c.w, http.StatusOK, smsList{Data: msgs})
}

type kycReq struct {
	Tier   int               `json:"tier"`
	Limits map[string]Amount `json:"limits,omitempty"`
}

func (a *API) setKYC(c *call) {
	var req kycReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	limits := map[string]int64{}
	for name, v := range req.Limits {
		switch name {
		case "per_transaction", "daily", "yearly", "balance_cap":
		default:
			a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "unknown limit %q", name))
			return
		}
		if v.s == "unlimited" && !v.num {
			limits[name] = wallet.Unlimited
			continue
		}
		n, _, err := parseMoney(v, "CNY")
		if err != nil {
			a.fail(c, err)
			return
		}
		limits[name] = n
	}
	u, err := a.Wallet.SetKYC(c.ctx(), c.r.PathValue("id"), req.Tier, limits)
	if err != nil {
		a.fail(c, err)
		return
	}
	b, err := a.withLimits(c, u)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, b)
}

func (a *API) adminUsers(c *call) {
	q := c.r.URL.Query()
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	us, err := a.Wallet.Store.SearchUsers(c.ctx(), q.Get("phone"), q.Get("starting_after"), limit+1)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := userList{Data: []userBody{}}
	for i, u := range us {
		if i == limit {
			out.HasMore = true
			break
		}
		out.Data = append(out.Data, toUser(u))
	}
	writeJSON(c.w, http.StatusOK, out)
}

// pageLimit parses ?limit= (default 50, 1-200).
func pageLimit(s string) (int, error) {
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 200 {
		return 0, wallet.Errorf(wallet.CodeInvalidRequest, "limit must be 1-200")
	}
	return n, nil
}
