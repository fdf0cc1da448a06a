package api

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/statement"
	"github.com/ewallet/ewallet/wallet"
)

type counterpartyBody struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
}

type txnBody struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Direction    string           `json:"direction"`
	Amount       string           `json:"amount"`
	Currency     string           `json:"currency"`
	Counterparty counterpartyBody `json:"counterparty"`
	BalanceAfter string           `json:"balance_after"`
	Status       string           `json:"status"`
	Note         string           `json:"note"`
	CreatedAt    time.Time        `json:"created_at"`
}

type txnList struct {
	Data    []txnBody `json:"data"`
	HasMore bool      `json:"has_more"`
}

var txnTypes = map[string]bool{"topup": true, "withdrawal": true, "transfer": true, "payment": true, "refund": true,
	"epurse_load": true, "epurse_refund": true, "bill": true}

// txnFilter parses the history query of the contract.
func txnFilter(q url.Values) (wallet.TxnFilter, error) {
	var f wallet.TxnFilter
	var err error
	if f.Limit, err = pageLimit(q.Get("limit")); err != nil {
		return f, err
	}
	f.Type, f.Q, f.StartingAfter = q.Get("type"), q.Get("q"), q.Get("starting_after")
	if f.Type != "" && !txnTypes[f.Type] {
		return f, wallet.Errorf(wallet.CodeInvalidRequest, "unknown type %q", f.Type)
	}
	if c := q.Get("currency"); c != "" {
		cur, err := money.ParseCurrency(c)
		if err != nil {
			return f, wallet.Errorf(wallet.CodeUnsupportedCurrency, "unsupported currency %q", c)
		}
		f.Currency = cur
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(p.name); s != "" {
			if *p.t, err = time.Parse(time.RFC3339Nano, s); err != nil {
				return f, wallet.Errorf(wallet.CodeInvalidRequest, "%s must be an RFC 3339 time", p.name)
			}
		}
	}
	return f, nil
}

func toTxn(t wallet.Txn) txnBody {
	return txnBody{ID: t.ID, Type: t.Type, Direction: t.Direction, Amount: money.Format(t.Amount, t.Currency), Currency: string(t.Currency),
		Counterparty: counterpartyBody(t.Counterparty), BalanceAfter: money.Format(t.BalanceAfter, t.Currency), Status: t.Status,
		Note: t.Note, CreatedAt: t.CreatedAt.UTC()}
}

func (a *API) transactions(c *call) {
	f, err := txnFilter(c.r.URL.Query())
	if err != nil {
		a.fail(c, err)
		return
	}
	ts, more, err := a.Wallet.Transactions(c.ctx(), c.user, f)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := txnList{Data: make([]txnBody, 0, len(ts)), HasMore: more}
	for _, t := range ts {
		out.Data = append(out.Data, toTxn(t))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) export(c *call) {
	q := c.r.URL.Query()
	format := q.Get("format")
	if format != "csv" && format != "pdf" {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "format must be csv or pdf"))
		return
	}
	q.Del("format")
	f, err := txnFilter(q)
	if err != nil {
		a.fail(c, err)
		return
	}
	st, err := a.Wallet.Statement(c.ctx(), c.user, f.From, f.To)
	if err != nil {
		a.fail(c, err)
		return
	}
	var buf bytes.Buffer
	ctype, ext := "text/csv; charset=utf-8", "csv"
	if format == "pdf" {
		ctype, ext = "application/pdf", "pdf"
		err = statement.WritePDF(&buf, st)
	} else {
		err = statement.WriteCSV(&buf, st)
	}
	if err != nil {
		a.fail(c, err)
		return
	}
	c.w.Header().Set("Content-Type", ctype)
	c.w.Header().Set("Content-Disposition", `attachment; filename="statement-`+c.user.WalletID+`.`+ext+`"`)
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(buf.Bytes())
}
