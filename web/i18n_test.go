package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/web"
)

func TestCatalogsHaveTheSameKeys(t *testing.T) {
	cs, err := web.Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	en := cs["en"]
	for _, lang := range web.Languages {
		c := cs[lang]
		for k := range en {
			if strings.TrimSpace(c[k]) == "" {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		for k := range c {
			if _, ok := en[k]; !ok {
				t.Errorf("%s has %q, en does not", lang, k)
			}
		}
	}
}

// Every key the templates and the Go code use is in the catalogs, and so
// is every key they build from a prefix ("type." + the API's type).
func TestEveryUsedKeyHasAMessage(t *testing.T) {
	cs, _ := web.Catalogs()
	en := cs["en"]
	used := map[string]bool{}
	literal := regexp.MustCompile(`\bT[ (]"([a-z0-9_]+\.[a-z0-9_.]+)"`)
	files, _ := filepath.Glob("templates/*/*.html")
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range append(files, gofiles...) {
		b, _ := os.ReadFile(f)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
	}
	pages, _ := filepath.Glob("templates/pages/*.html")
	for _, p := range pages {
		used["title."+strings.TrimSuffix(filepath.Base(p), ".html")] = true
	}
	for _, code := range web.KnownCodes {
		used["err."+code] = true
	}
	for prefix, values := range map[string][]string{
		"type.":         {"topup", "withdrawal", "transfer", "payment", "refund", "epurse_load", "epurse_refund", "bill"},
		"txnstatus.":    {"completed", "pending", "pending_review", "failed", "reversed"},
		"status.":       {"requires_payment", "authorized", "succeeded", "canceled", "expired"},
		"userstatus.":   {"pending", "active", "frozen"},
		"payout.":       {"pending", "paid", "failed"},
		"capture.":      {"automatic", "manual"},
		"epursestatus.": {"active", "blocked", "lost", "refunded"},
		"recon.":        {"matched", "missing_ours", "missing_bank", "amount_mismatch", "resolved", "timing"},
		"recon.about_":  {"missing_ours", "missing_bank", "amount_mismatch", "resolved", "timing"},
		"flash.": {"topup_succeeded", "topup_pending", "withdraw_pending", "withdraw_succeeded", "sent_completed",
			"sent_pending_review", "paid_succeeded", "paid_authorized", "epurse_lost"},
	} {
		for _, v := range values {
			used[prefix+v] = true
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(used))
	}
	for k := range used {
		if _, ok := en[k]; !ok {
			t.Errorf("no message for %q", k)
		}
	}
}

func TestLanguageSwitch(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	for _, tc := range []struct {
		name, path, acceptLanguage string
		want, notWant              []string
	}{
		{"DefaultEnglish", "/app/", "", []string{`lang="en"`, "My wallet", "¥1,234.50", "Recent transactions"}, []string{"我的钱包"}},
		{"BrowserSaysChinese", "/app/", "zh-CN,zh;q=0.9", []string{`lang="zh-CN"`, "我的钱包", "¥1,234.50", "最近交易"}, []string{"My wallet"}},
		{"QueryChoosesChinese", "/app/?lang=zh-CN", "en", []string{"我的钱包", `href="/app/?lang=en"`}, nil},
		{"ChoiceIsRemembered", "/app/send", "en", []string{"转账", "收款人"}, []string{"Send money"}},
		{"BackToEnglish", "/app/send?lang=en", "zh-CN", []string{"Send money"}, []string{"收款人"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, html := b.do("GET", tc.path, nil, http.Header{"Accept-Language": {tc.acceptLanguage}})
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(html, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
	if !slices.Contains(web.Languages, "zh-CN") {
		t.Error("no zh-CN")
	}
}
