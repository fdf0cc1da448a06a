package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The operator console's reconciliation: a day's report of the bank's
// statements matched against the ledger's settlement account, as
// `ewallet reconcile` stored it. Days are UTC days on both sides, so the
// day picked by default is yesterday in UTC.

// reconReport is GET /v1/admin/reconciliations/{date} (reconcile.Report).
type reconReport struct {
	Date        string         `json:"date"`
	GeneratedAt time.Time      `json:"generated_at"`
	Counts      map[string]int `json:"counts"`
	Unexplained int            `json:"unexplained"`
	Items       []reconItem    `json:"items"`
	Statements  []struct {
		ID       string `json:"id"`
		Currency string `json:"currency"`
		Opening  string `json:"opening"`
		Closing  string `json:"closing"`
		Lines    int    `json:"lines"`
	} `json:"statements"`
}

// reconItem is an operation that did not plainly match.
type reconItem struct {
	Request    string `json:"request_id"`
	Currency   string `json:"currency"`
	Result     string `json:"result"`
	BankAmount string `json:"bank_amount"`
	OurAmount  string `json:"our_amount"`
	Note       string `json:"note"`
}

// reconResults are the report's results in the order the page shows
// them: the counts first, then the discrepancies that need a person, then
// those explained on their own.
var reconResults = []string{"matched", "missing_ours", "missing_bank", "amount_mismatch", "resolved", "timing"}

// reconGroup is the lines of one kind of discrepancy.
type reconGroup struct {
	Result string
	Items  []reconItem
}

// groups are the report's lines by result, in reconResults' order.
func (r *reconReport) groups() []reconGroup {
	var out []reconGroup
	for _, res := range reconResults {
		var items []reconItem
		for _, it := range r.Items {
			if it.Result == res {
				items = append(items, it)
			}
		}
		if len(items) > 0 {
			out = append(out, reconGroup{res, items})
		}
	}
	return out
}

// reconCount is one tile of the counts.
type reconCount struct {
	Result string
	N      int
}

func (r *reconReport) counts() []reconCount {
	out := make([]reconCount, 0, len(reconResults))
	for _, res := range reconResults {
		out = append(out, reconCount{res, r.Counts[res]})
	}
	return out
}

func reconciliationPage(q *req) {
	day := strings.TrimSpace(q.r.URL.Query().Get("date"))
	if day == "" {
		day = time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	}
	f := newForm(url.Values{"date": {day}})
	data := map[string]any{"Date": day}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		f.Errors = map[string]string{"date": q.T("err.bad_date")}
		q.render("admin_reconciliation", &view{Nav: "reconciliation", Forms: map[string]*form{"date": f}, Data: data, Status: http.StatusBadRequest})
		return
	}
	var rep reconReport
	e := q.call(operator, "GET", "/v1/admin/reconciliations/"+url.PathEscape(day), "", nil, &rep)
	status := http.StatusOK
	switch {
	case e == nil:
		data["Report"], data["Counts"], data["Groups"] = rep, rep.counts(), rep.groups()
	case missingRoute(e):
		data["Unavailable"] = true
	case e.Status == http.StatusNotFound && e.Code == "not_found":
		data["NoReport"] = true // the day was not reconciled: not an error
	case e.unauthenticated():
		q.fail(e)
		return
	default:
		q.formErrors(f, e, map[string]string{"invalid_request": "date"})
		status = e.Status
	}
	q.render("admin_reconciliation", &view{Nav: "reconciliation", Forms: map[string]*form{"date": f}, Data: data, Status: status})
}
