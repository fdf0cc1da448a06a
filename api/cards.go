package api

import (
	"net/http"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

type cardReq struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	Holder   string `json:"holder"`
}

type cardBody struct {
	ID        string    `json:"id"`
	Brand     string    `json:"brand"`
	Last4     string    `json:"last4"`
	ExpMonth  int       `json:"exp_month"`
	ExpYear   int       `json:"exp_year"`
	Holder    string    `json:"holder"`
	CreatedAt time.Time `json:"created_at"`
}

type cardList struct {
	Data    []cardBody `json:"data"`
	HasMore bool       `json:"has_more"`
}

func toCard(c wallet.Card) cardBody {
	return cardBody{ID: c.ID, Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, Holder: c.Holder, CreatedAt: c.CreatedAt.UTC()}
}

func (a *API) addCard(c *call) {
	var req cardReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	card, err := a.Wallet.AddCard(c.ctx(), c.user, req.Number, req.ExpMonth, req.ExpYear, req.Holder, c.client())
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusCreated, toCard(card))
}

func (a *API) cards(c *call) {
	cs, err := a.Wallet.Cards(c.ctx(), c.user)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := cardList{Data: []cardBody{}}
	for _, card := range cs {
		out.Data = append(out.Data, toCard(card))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) removeCard(c *call) {
	if err := a.Wallet.RemoveCard(c.ctx(), c.user, c.r.PathValue("id"), c.client()); err != nil {
		a.fail(c, err)
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

type balanceBody struct {
	Currency  string `json:"currency"`
	Available string `json:"available"`
	Pending   string `json:"pending"`
	Total     string `json:"total"`
}

type balanceList struct {
	Data []balanceBody `json:"data"`
}

func (a *API) balances(c *call) {
	bs, err := a.Wallet.Balances(c.ctx(), c.user)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toBalances(bs))
}

func toBalances(bs []wallet.Balance) balanceList {
	out := balanceList{Data: []balanceBody{}}
	for _, b := range bs {
		out.Data = append(out.Data, balanceBody{Currency: string(b.Currency), Available: money.Format(b.Available, b.Currency),
			Pending: money.Format(b.Pending, b.Currency), Total: money.Format(b.Total, b.Currency)})
	}
	return out
}
