package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
)

// ---- FuzzQuery -------------------------------------------------------------

// queryCase is a route that reads a query string.
type queryCase struct {
	path    string
	caller  caller
	answers answers
}

var queryCases = []queryCase{
	{"/v1/me/transactions", asPayer, allow("200, 400 invalid_request, 400 unsupported_currency")},
	{"/v1/me/transactions/export", asPayer, allow("200, 400 invalid_request, 400 unsupported_currency")},
	{"/v1/admin/users", asAdmin, allow("200, 400 invalid_request, 404 not_found")},
	{"/v1/admin/transfers", asAdmin, allow("200, 400 invalid_request")},
	{"/v1/payments", asMerchant, allow("200, 400 invalid_request")},
	{"/v1/events", asMerchant, allow("200, 400 invalid_request, 404 not_found")},
	{"/v1/webhook_endpoints/{id}/attempts", asMerchant, allow("200, 400 invalid_request, 404 not_found")},
	{"/v1/merchant/payouts", asMerchant, allow("200, 400 invalid_request")},
	{"/v1/merchant/settlements/{day}", asMerchant, allow("200, 400 invalid_request, 400 unsupported_currency")},
	{"/v1/merchant/qr", asMerchant, allow("200, 400 unsupported_currency")},
	{"/v1/merchant/qr.png", asMerchant, allow("200, 400 unsupported_currency")},
}

// reads reports whether the route reads the query parameter p.
func (qc queryCase) reads(p string) bool {
	for _, rt := range routes {
		if rt.method == "GET" && rt.path == qc.path {
			return slices.Contains(rt.query, p)
		}
	}
	return false
}

// history reports whether a query route is the transaction history,
// whose filters (type, currency, from, to) the rules check.
func (qc queryCase) history() bool { return strings.HasPrefix(qc.path, "/v1/me/transactions") }

// idPrefixOf is the id prefix of the items a list route answers.
var idPrefixOf = map[string]string{"/v1/admin/users": "usr_", "/v1/payments": "pay_", "/v1/events": "evt_", "/v1/merchant/payouts": "po_"}

var txnTypeList = []string{"topup", "withdrawal", "transfer", "payment", "refund", "epurse_load", "epurse_refund", "bill"}

func FuzzQuery(f *testing.F) {
	s := newTestServer(f)
	// Some history to page through.
	for i := range 3 {
		s.mustCall("POST", "/v1/transfers", s.payer.token, fmt.Sprintf("query-seed-%d", i),
			map[string]any{"to": map[string]string{"phone": payeePhone}, "amount": "1.00", "currency": "CNY", "note": "rent", "pin": testPIN}, http.StatusCreated)
	}
	queries := []string{"", "limit=1", "limit=200", "limit=201", "limit=0", "limit=-1", "limit=abc", "limit=1e2", "limit=+5",
		"limit=99999999999999999999", "type=transfer", "type=TOPUP", "type=", "currency=CNY", "currency=cny", "currency=XXX",
		"from=2020-01-01T00:00:00Z", "to=2999-01-01T00:00:00Z", "from=2020-01-01", "from=2020-01-01T00:00:00%2B08:00",
		"from=9999-12-31T23:59:59Z&to=2020-01-01T00:00:00Z", "from=0000-01-01T00:00:00Z", "to=2020-13-01T00:00:00Z",
		"q=rent", "q=%E4%B8%AD", "q=%ff", "q=%", "q=%zz", "starting_after=txn_nope", "limit=1&limit=500", "a=b;c=d",
		"format=csv", "format=pdf", "format=CSV", "format=xml", "format=csv&from=2999-01-01T00:00:00Z",
		"format=pdf&type=bill&currency=JPY", "phone=%2B86", "phone=%25", "phone=_", "phone=%2B86&starting_after=usr_nope",
		"phone=" + strings.Repeat("9", 3000)}
	for i := range queryCases {
		for _, q := range queries {
			f.Add(uint8(i), q)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, query string) {
		qc := queryCases[int(route)%len(queryCases)]
		target := strings.NewReplacer("{id}", "we_nope", "{day}", "2026-01-31").Replace(qc.path) + "?" + query
		if strings.ContainsAny(query, " #") || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Skip("cannot be sent in a request line")
		}
		if _, err := url.ParseRequestURI(target); err != nil {
			t.Skip("not a request URI")
		}
		r := s.do("GET", target, s.token(qc.caller), "", nil)
		m := checkAnswer(t, s, "GET "+qc.path, qc.answers, r)
		q, _ := url.ParseQuery(query)
		checkQueryRules(t, qc, q, r)
		if r.status == http.StatusOK {
			checkQueryAnswer(t, qc, q, r, m)
		}
	})
}

// checkQueryRules asserts the refusals the query alone decides.
func checkQueryRules(t *testing.T, qc queryCase, q url.Values, r testResp) {
	t.Helper()
	bad := ""
	if l := q.Get("limit"); l != "" && qc.reads("limit") {
		if n, err := strconv.Atoi(l); err != nil || n < 1 || n > 200 {
			bad = "limit " + l
		}
	}
	if qc.history() {
		if ty := q.Get("type"); ty != "" && !strings.Contains(" "+strings.Join(txnTypeList, " ")+" ", " "+ty+" ") {
			bad = "type " + ty
		}
		for _, p := range []string{"from", "to"} {
			if v := q.Get(p); v != "" {
				if _, err := time.Parse(time.RFC3339, v); err != nil {
					bad = p + " " + v
				}
			}
		}
	}
	if f := q.Get("format"); qc.path == "/v1/me/transactions/export" && f != "csv" && f != "pdf" {
		bad = "format " + f
	}
	if bad != "" && (r.status != 400 || r.errorCode() != "invalid_request") {
		t.Fatalf("GET %s with %s: got %d %q, want 400 invalid_request: %s", qc.path, bad, r.status, r.errorCode(), r.body)
	}
	if c := q.Get("currency"); bad == "" && c != "" && qc.reads("currency") && !money.Currency(c).Valid() &&
		(r.status != 400 || r.errorCode() != "unsupported_currency") {
		t.Fatalf("GET %s with currency %q: got %d %q, want 400 unsupported_currency: %s", qc.path, c, r.status, r.errorCode(), r.body)
	}
}

// checkQueryAnswer asserts a 200 of a query route.
func checkQueryAnswer(t *testing.T, qc queryCase, q url.Values, r testResp, m map[string]any) {
	t.Helper()
	name := "GET " + qc.path
	if qc.path == "/v1/me/transactions/export" || qc.path == "/v1/merchant/settlements/{day}" {
		switch ct := r.header.Get("Content-Type"); {
		case q.Get("format") == "pdf" && qc.reads("format"):
			if ct != "application/pdf" || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
				t.Fatalf("%s: PDF export is %q, %.20q", name, ct, r.body)
			}
		case !strings.HasPrefix(ct, "text/csv"):
			t.Fatalf("%s: CSV export is %q", name, ct)
		default:
			rd := csv.NewReader(bytes.NewReader(r.body))
			rd.FieldsPerRecord = -1
			if _, err := rd.ReadAll(); err != nil {
				t.Fatalf("%s: CSV export: %v", name, err)
			}
		}
		return
	}
	if strings.HasPrefix(qc.path, "/v1/merchant/qr") {
		if ct := r.header.Get("Content-Type"); strings.HasSuffix(qc.path, ".png") != (ct == "image/png") {
			t.Fatalf("%s: Content-Type %q", name, ct)
		}
		return
	}
	data, ok := m["data"].([]any)
	if _, isBool := m["has_more"].(bool); !ok || !isBool {
		t.Fatalf("%s: not a list: %s", name, r.body)
	}
	limit := 50
	if n, err := strconv.Atoi(q.Get("limit")); err == nil {
		limit = n
	}
	if len(data) > limit {
		t.Fatalf("%s: %d items, limit %d", name, len(data), limit)
	}
	for _, item := range data {
		it, _ := item.(map[string]any)
		if !qc.history() {
			if id, _ := it["id"].(string); qc.path != "/v1/webhook_endpoints/{id}/attempts" && !strings.HasPrefix(id, idPrefixOf[qc.path]) {
				t.Fatalf("%s: item %v", name, it)
			}
		}
		if qc.path == "/v1/admin/users" {
			if id, _ := it["id"].(string); !strings.HasPrefix(id, "usr_") {
				t.Fatalf("%s: user %v", name, it)
			}
			if phone, _ := it["phone"].(string); !strings.HasPrefix(phone, q.Get("phone")) {
				t.Fatalf("%s: phone %q does not start with %q", name, phone, q.Get("phone"))
			}
			continue
		}
		if !qc.history() {
			continue
		}
		ty, _ := it["type"].(string)
		if !strings.Contains(" "+strings.Join(txnTypeList, " ")+" ", " "+ty+" ") || q.Get("type") != "" && ty != q.Get("type") {
			t.Fatalf("%s: type %q (asked for %q)", name, ty, q.Get("type"))
		}
		if c := q.Get("currency"); c != "" && it["currency"] != c {
			t.Fatalf("%s: currency %v, asked for %q", name, it["currency"], c)
		}
		if d := it["direction"]; d != "in" && d != "out" {
			t.Fatalf("%s: direction %v", name, d)
		}
		if st, _ := it["status"].(string); !allow("completed, pending, pending_review, failed, reversed")[st] {
			t.Fatalf("%s: status %q", name, st)
		}
		if at, _ := it["created_at"].(string); !strings.HasSuffix(at, "Z") {
			t.Fatalf("%s: created_at %q is not RFC 3339 UTC", name, at)
		} else if _, err := time.Parse(time.RFC3339, at); err != nil {
			t.Fatalf("%s: created_at: %v", name, err)
		}
		checkAnswerAmount(t, name, it["amount"], it["currency"])
		checkAnswerAmount(t, name+" balance_after", it["balance_after"], it["currency"])
	}
}
