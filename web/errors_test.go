package web_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The API's error codes show as readable, translated messages next to the
// field they are about, never as the code or the JSON.
func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		lang, code, message string
		field, want         string
	}{
		{"en", "invalid_amount", "amount has more decimals", "amount", "at most the currency's decimals"},
		{"zh-CN", "invalid_amount", "amount has more decimals", "amount", "小数位不超过币种允许的位数"},
		{"en", "insufficient_funds", "x", "amount", "Not enough money available."},
		{"zh-CN", "insufficient_funds", "x", "amount", "可用余额不足。"},
		{"en", "recipient_not_found", "x", "to", "No wallet has this number."},
		{"zh-CN", "self_transfer", "x", "to", "不能转账给自己。"},
		{"en", "invalid_pin", "x", "pin", "Wrong PIN."},
		{"zh-CN", "pin_locked", "x", "pin", "15 分钟后再试"},
		{"en", "limit_exceeded", "the daily limit of 5000.00 CNY", "amount", "This is over your limit. Details: the daily limit of 5000.00 CNY"},
		{"en", "wallet_frozen", "x", "", "Your wallet is frozen"},
		{"zh-CN", "wallet_frozen", "x", "", "钱包已冻结"},
		{"en", "some_new_code", "the API's own words", "", "The request was refused: the API's own words"},
	} {
		t.Run(tc.lang+"/"+tc.code, func(t *testing.T) {
			a := newApp(t)
			b := a.loggedIn()
			a.api.set("POST /v1/transfers", 400, `{"error":{"code":"`+tc.code+`","message":"`+tc.message+`","request_id":"r"}}`)
			csrf, nonce := b.formTokens("/app/send?lang=" + tc.lang)
			_, page := b.post("/app/send", url.Values{"csrf": {csrf}, "nonce": {nonce}, "to": {"+8613800000002"}, "amount": {"12.345"}, "currency": {"CNY"}, "pin": {"1"}})
			var got string
			if tc.field == "" {
				got = firstMatch(page, `class="err form-err" role="alert">([^<]*)<`)
			} else {
				got = firstMatch(page, `id="`+tc.field+`-err">([^<]*)<`)
			}
			got = html.UnescapeString(got)
			if !strings.Contains(got, tc.want) {
				t.Errorf("%s error %q, want it to contain %q", orForm(tc.field), got, tc.want)
			}
			if strings.Contains(page, `"error"`) || strings.Contains(page, ">"+tc.code+"<") {
				t.Error("the page shows raw JSON or the code")
			}
		})
	}
}

func orForm(field string) string {
	if field == "" {
		return "form"
	}
	return field
}

func firstMatch(s, re string) string {
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return m[1]
}
