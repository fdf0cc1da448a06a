package api

import (
	"net/http"
	"time"

	"github.com/ewallet/ewallet/merchant"
)

type payoutCardReq struct {
	CardID string `json:"card_id"`
}

type payoutList struct {
	Data    []merchant.PayoutView `json:"data"`
	HasMore bool                  `json:"has_more"`
}

// rotateKeyReq may ask that the other keys stop at once (a leaked key)
// instead of after the overlap window.
type rotateKeyReq struct {
	RevokeOthers bool `json:"revoke_others,omitempty"`
}

type rotatedKeyBody struct {
	SecretKey string `json:"secret_key"`
}

// merchantBodyOf renders a merchant without its secrets.
func merchantBodyOf(m merchant.Merchant) merchantBody {
	return merchantBody{ID: m.ID, Name: m.Name, Category: m.MCC, PayoutCard: m.PayoutCard, CreatedAt: m.CreatedAt}
}

func (a *API) getMerchant(c *call) {
	writeJSON(c.w, http.StatusOK, merchantBodyOf(c.merchant))
}

func (a *API) setPayoutCard(c *call) {
	var req payoutCardReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	m, err := a.Merchants.SetPayoutCard(c.ctx(), c.merchant, req.CardID)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, merchantBodyOf(m))
}

func (a *API) rotateKey(c *call) {
	var req rotateKeyReq
	if err := decode(c.r, &req, true); err != nil {
		a.fail(c, err)
		return
	}
	sk, err := a.Merchants.RotateKey(c.ctx(), c.merchant, req.RevokeOthers)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, rotatedKeyBody{SecretKey: sk})
}

// payoutNow settles today's available balances at once, instead of
// waiting for the night: one payout a day and currency, so asking again
// the same day answers the same payouts.
func (a *API) payoutNow(c *call) {
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	day := time.Now().In(a.Wallet.Config().Zone).Format(time.DateOnly)
	ps, err := a.Merchants.Settle(c.ctx(), c.merchant, day)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := payoutList{Data: []merchant.PayoutView{}}
	for _, p := range ps {
		out.Data = append(out.Data, merchant.ViewPayout(p))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) listPayouts(c *call) {
	q := c.r.URL.Query()
	limit, err := pageLimit(q.Get("limit"))
	if err != nil {
		a.fail(c, err)
		return
	}
	ps, more, err := a.Merchants.Payouts(c.ctx(), c.merchant, q.Get("starting_after"), limit)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := payoutList{Data: []merchant.PayoutView{}, HasMore: more}
	for _, p := range ps {
		out.Data = append(out.Data, merchant.ViewPayout(p))
	}
	writeJSON(c.w, http.StatusOK, out)
}

// settlementReport is the day's settlement report as CSV.
func (a *API) settlementReport(c *call) {
	cur, err := queryCurrency(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	rep, err := a.Merchants.DayReport(c.ctx(), c.merchant, c.r.PathValue("day"), cur)
	if err != nil {
		a.fail(c, err)
		return
	}
	c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	c.w.Header().Set("Content-Disposition", `attachment; filename="settlement-`+rep.Day+`-`+string(cur)+`.csv"`)
	c.w.Write(rep.CSV())
}
