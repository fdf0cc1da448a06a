package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The holder's history: the list with the contract's filters and search,
// one movement's detail with its receipt, and the statement files.

// txnTypes are the contract's transaction types, for the filter.
var txnTypes = []string{"topup", "withdrawal", "transfer", "payment", "refund", "epurse_load", "epurse_refund", "bill"}

// historyQuery turns the filter form (dates as the date inputs send them,
// the "to" day included) into the API's query (RFC 3339, "to" exclusive).
func (q *req) historyQuery(f *form) (url.Values, bool) {
	in := q.r.URL.Query()
	out := url.Values{}
	for _, k := range []string{"type", "currency", "q", "starting_after"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			out.Set(k, v)
			f.Values.Set(k, v)
		}
	}
	ok := true
	for _, k := range []string{"from", "to"} {
		v := strings.TrimSpace(in.Get(k))
		if v == "" {
			continue
		}
		f.Values.Set(k, v)
		day, err := time.ParseInLocation("2006-01-02", v, q.s.Location)
		if err != nil {
			f.Errors[k] = q.T("err.bad_date")
			ok = false
			continue
		}
		if k == "to" {
			day = day.AddDate(0, 0, 1)
		}
		out.Set(k, day.UTC().Format(time.RFC3339))
	}
	return out, ok
}

func history(q *req) {
	f := newForm(nil)
	f.Errors = map[string]string{}
	query, ok := q.historyQuery(f)
	var page list[txn]
	if ok {
		query.Set("limit", "20")
		if e := q.call(holder, "GET", "/v1/me/transactions?"+query.Encode(), "", nil, &page); e != nil {
			if e.unauthenticated() {
				q.fail(e)
				return
			}
			q.formErrors(f, e, map[string]string{"unsupported_currency": "currency"})
		}
	}
	older := ""
	if page.HasMore && len(page.Data) > 0 {
		next := q.r.URL.Query()
		next.Set("starting_after", page.Data[len(page.Data)-1].ID)
		next.Del("lang")
		older = "/app/history?" + next.Encode()
	}
	q.render("history", &view{Nav: "history", Flash: q.flash(), Forms: map[string]*form{"filter": f}, Data: map[string]any{
		"Txns": page.Data, "Older": older, "Types": txnTypes, "Currencies": currencyChoices(), "Export": exportQuery(f),
	}})
}

// exportQuery is the statement's date range from the filter form.
func exportQuery(f *form) string {
	v := url.Values{}
	for _, k := range []string{"from", "to"} {
		if s := f.Values.Get(k); s != "" && f.Errors[k] == "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

// maxDetailScan bounds how far back the detail page looks for a movement:
// the API has no look-up by ID for every kind, so the page finds it in the
// history.
const maxDetailScan = 5

func txnDetail(q *req) {
	id := q.r.PathValue("id")
	t, found, e := q.findTxn(id)
	if e != nil {
		q.fail(e)
		return
	}
	if !found {
		q.render("error", &view{Title: q.T("title.not_found"), Data: q.T("err.not_found"), Status: http.StatusNotFound})
		return
	}
	hasReceipt := strings.HasPrefix(id, "pay_") || strings.HasPrefix(id, "ref_")
	q.render("txn", &view{Nav: "history", Flash: q.flash(), Data: map[string]any{"Txn": t, "Receipt": hasReceipt}})
}

// findTxn pages through the history for the movement id.
func (q *req) findTxn(id string) (txn, bool, *apiError) {
	after := ""
	for range maxDetailScan {
		var page list[txn]
		path := "/v1/me/transactions?limit=200"
		if after != "" {
			path += "&starting_after=" + url.QueryEscape(after)
		}
		if e := q.call(holder, "GET", path, "", nil, &page); e != nil {
			return txn{}, false, e
		}
		for _, t := range page.Data {
			if t.ID == id {
				return t, true, nil
			}
		}
		if !page.HasMore || len(page.Data) == 0 {
			break
		}
		after = page.Data[len(page.Data)-1].ID
	}
	return txn{}, false, nil
}

// receiptPDF hands on the signed receipt of a payment or refund as a PDF.
func receiptPDF(q *req) {
	id := q.r.PathValue("id")
	var path string
	switch {
	case strings.HasPrefix(id, "pay_"):
		path = "/v1/payments/" + url.PathEscape(id) + "/receipt.pdf"
	case strings.HasPrefix(id, "ref_"):
		path = "/v1/refunds/" + url.PathEscape(id) + "/receipt.pdf"
	default:
		q.fail(&apiError{Status: http.StatusNotFound, Code: "not_found"})
		return
	}
	q.sendFile(holder, path, "attachment", "receipt-"+id+".pdf")
}

// statement hands on the CSV or PDF statement for the chosen dates.
func statement(q *req) {
	f := newForm(nil)
	f.Errors = map[string]string{}
	query, ok := q.historyQuery(f)
	if !ok {
		q.fail(&apiError{Status: http.StatusBadRequest, Code: "invalid_request", Message: "from/to"})
		return
	}
	format := q.r.URL.Query().Get("format")
	if format != "csv" {
		format = "pdf"
	}
	api := url.Values{"format": {format}}
	for _, k := range []string{"from", "to"} {
		if v := query.Get(k); v != "" {
			api.Set(k, v)
		}
	}
	name := fmt.Sprintf("statement-%s.%s", time.Now().In(q.s.Location).Format("2006-01-02"), format)
	q.sendFile(holder, "/v1/me/transactions/export?"+api.Encode(), "attachment", name)
}

// sendFile hands an API answer that is a file on to the browser.
func (q *req) sendFile(a area, path, disposition, name string) {
	ans, e := q.send(a, "GET", path, "", nil)
	if e != nil {
		q.fail(e)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", ans.header.Get("Content-Type"))
	h.Set("Content-Disposition", disposition+`; filename="`+name+`"`)
	h.Set("Cache-Control", "private, no-store")
	q.w.Write(ans.body.Bytes())
}
