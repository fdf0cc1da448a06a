package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// operatorBrowser is a browser signed in to the operator console.
func operatorBrowser(a *app) *browser {
	b := a.browser()
	b.cookies["ew_admin"] = "admin"
	return b
}

const reconReport = `{"date":"2026-03-14","generated_at":"2026-03-15T01:00:00Z",
 "counts":{"matched":40,"resolved":2,"missing_ours":1,"missing_bank":1,"amount_mismatch":1},"unexplained":3,
 "items":[
  {"request_id":"top_late1","currency":"CNY","result":"resolved","bank_amount":"-20.00","our_amount":"0.00","note":"settled by a status query"},
  {"request_id":"top_ghost","currency":"CNY","result":"missing_ours","bank_amount":"-5.00","our_amount":"0.00","note":"no such operation in the wallet"},
  {"request_id":"wd_lost","currency":"CNY","result":"missing_bank","bank_amount":"0.00","our_amount":"7.50"},
  {"request_id":"top_odd","currency":"CNY","result":"amount_mismatch","bank_amount":"-10.00","our_amount":"-1000.00"},
  {"request_id":"top_late2","currency":"CNY","result":"resolved","bank_amount":"-1.00","our_amount":"0.00"}],
 "statements":[{"id":"STMT-2026-03-14-CNY","currency":"CNY","opening":"1000.00","closing":"1234.56","lines":45}]}`

func TestReconciliation(t *testing.T) {
	a := newApp(t)
	b := operatorBrowser(a)
	a.api.set("GET /v1/admin/reconciliations/2026-03-14", 200, reconReport)

	t.Run("Report", func(t *testing.T) {
		resp, page := b.get("/app/admin/reconciliation?date=2026-03-14")
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, page)
		}
		if r := a.api.requests("GET /v1/admin/reconciliations/2026-03-14"); len(r) != 1 || r[0].auth != "Bearer admin" {
			t.Fatalf("API saw %+v", r)
		}
		for _, want := range []string{
			`value="2026-03-14"`, "Reconciliation of 2026-03-14", "3 unexplained",
			`recon-matched"><span class="big">40<`, `recon-missing_ours"><span class="big">1<`, `recon-missing_bank"><span class="big">1<`,
			`recon-amount_mismatch"><span class="big">1<`, `recon-resolved"><span class="big">2<`, `recon-timing"><span class="big">0<`,
			"top_ghost", "no such operation in the wallet", "wd_lost", "¥7.50", "top_odd", "-¥10.00", "-¥1,000.00",
			"STMT-2026-03-14-CNY", "¥1,234.56", ">45<",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		// The lines come by kind, the ones that need a person first.
		order := []string{`id="recon-missing_ours"`, `id="recon-missing_bank"`, `id="recon-amount_mismatch"`, `id="recon-resolved"`}
		last := -1
		for _, s := range order {
			i := strings.Index(page, s)
			if i < last {
				t.Errorf("%s out of order (or missing)", s)
			}
			last = i
		}
		if strings.Contains(page, `id="recon-timing"`) {
			t.Error("a section for a kind with no lines")
		}
		resolved := page[strings.Index(page, `id="recon-resolved"`):]
		if !strings.Contains(resolved, "top_late1") || !strings.Contains(resolved, "top_late2") || !strings.Contains(resolved, "(2)") {
			t.Error("the auto-resolved lines are not together")
		}
	})
	t.Run("NoReportForTheDay", func(t *testing.T) {
		a.api.set("GET /v1/admin/reconciliations/2026-03-13", 404, `{"error":{"code":"not_found","message":"no reconciliation of 2026-03-13","request_id":"r"}}`)
		resp, page := b.get("/app/admin/reconciliation?date=2026-03-13")
		if resp.StatusCode != 200 || !strings.Contains(page, "No reconciliation for this day (2026-03-13).") || strings.Contains(page, "Something went wrong") {
			t.Fatalf("status %d: %s", resp.StatusCode, page)
		}
	})
	t.Run("DefaultIsYesterdayUTC", func(t *testing.T) {
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		_, page := b.get("/app/admin/reconciliation")
		if len(a.api.requests("GET /v1/admin/reconciliations/"+yesterday)) != 1 || !strings.Contains(page, `value="`+yesterday+`"`) {
			t.Fatalf("yesterday (%s) was not asked for", yesterday)
		}
		// The fake API has no report for it: the route's "no such route".
		if !strings.Contains(page, "Not available on this server yet.") {
			t.Error("a server without the route is not said so")
		}
	})
	t.Run("BadDate", func(t *testing.T) {
		before := a.api.calls()
		resp, page := b.get("/app/admin/reconciliation?date=14.03.2026")
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `id="date-err"`) || a.api.calls() != before {
			t.Fatalf("status %d, %d API calls", resp.StatusCode, a.api.calls()-before)
		}
	})
	t.Run("Chinese", func(t *testing.T) {
		_, page := b.get("/app/admin/reconciliation?date=2026-03-14&lang=zh-CN")
		for _, want := range []string{"对账", "我方缺失", "银行方缺失", "金额不符", "已自动解决", "3 笔未解释的差异"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("NeedsTheAdminToken", func(t *testing.T) {
		resp, _ := a.browser().get("/app/admin/reconciliation")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/app/admin/signin") {
			t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
}
