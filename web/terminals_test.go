package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

const (
	terminalID = "trm_a1b2c3d4e5f6"
	samKey     = "303132333435363738393a3b3c3d3e3f"
)

func terminalJSON(more string) string {
	return `{"id":"` + terminalID + `","terminal_id":"a1b2c3d4e5f6","name":"Gate 1","currency":"CNY","created_at":"2026-12-01T10:00:00Z"` + more + `}`
}

// merchantBrowser is a browser signed in to the console (and the wallet).
func merchantBrowser(a *app) *browser {
	b := a.loggedIn()
	b.cookies["ew_merchant"] = "sk_test"
	return b
}

func TestTerminalsPage(t *testing.T) {
	a := newApp(t)
	b := merchantBrowser(a)
	t.Run("Unavailable", func(t *testing.T) {
		_, page := b.get("/app/merchant/terminals")
		if !strings.Contains(page, "Not available on this server yet.") || strings.Contains(page, `id="terminal-form"`) {
			t.Errorf("a server without the e-purse: %s", page)
		}
	})
	a.api.set("GET /v1/epurse/terminals", 200, `{"data":[`+terminalJSON("")+`]}`)
	a.api.set("GET /v1/epurse/denylist", 200, `{"data":[{"card_id":"epc_1111222233334444","since":"2026-12-03T04:00:00Z"}]}`)
	resp, page := b.get("/app/merchant/terminals")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
	for _, want := range []string{"Gate 1", "a1b2c3d4e5f6", `id="terminal-form"`, "Deny list", "epc_1111222233334444", "since 2026-12-03 12:00", `aria-current="page">Terminals`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, r := range append(a.api.requests("GET /v1/epurse/terminals"), a.api.requests("GET /v1/epurse/denylist")...) {
		if r.auth != "Bearer sk_test" {
			t.Errorf("%s read with %q", r.path, r.auth)
		}
	}
	a.api.set("GET /v1/epurse/denylist", 200, `{"data":[]}`)
	if _, page := b.get("/app/merchant/terminals"); !strings.Contains(page, "No card is on the deny list.") {
		t.Error("an empty deny list is not said so")
	}
}

func TestRegisterTerminal(t *testing.T) {
	a := newApp(t)
	b := merchantBrowser(a)
	a.api.set("GET /v1/epurse/terminals", 200, `{"data":[]}`)
	a.api.set("GET /v1/epurse/denylist", 200, `{"data":[]}`)
	a.api.set("POST /v1/epurse/terminals", 201, terminalJSON(`,"sam_key":"`+samKey+`"`))
	csrf, nonce := b.formTokens("/app/merchant/terminals")
	t.Run("NeedsCSRF", func(t *testing.T) {
		resp, _ := b.post("/app/merchant/terminals", url.Values{"csrf": {"forged"}, "name": {"Gate 1"}})
		if resp.StatusCode != http.StatusForbidden || len(a.api.requests("POST /v1/epurse/terminals")) != 0 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("WalletTokenIsNotTheConsoles", func(t *testing.T) {
		holderCSRF, _ := b.formTokens("/app/epurse")
		resp, _ := b.post("/app/merchant/terminals", url.Values{"csrf": {holderCSRF}, "name": {"Gate 1"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("NameRefused", func(t *testing.T) {
		a.api.set("POST /v1/epurse/terminals", 400, `{"error":{"code":"invalid_request","message":"name must be 1-100 bytes of UTF-8","request_id":"r"}}`)
		_, page := b.post("/app/merchant/terminals", url.Values{"csrf": {csrf}, "nonce": {nonce}, "name": {""}})
		if got := firstMatch(page, `id="name-err">([^<]*)<`); !strings.Contains(got, "name must be 1-100 bytes") {
			t.Errorf("name error %q", got)
		}
		a.api.set("POST /v1/epurse/terminals", 201, terminalJSON(`,"sam_key":"`+samKey+`"`))
	})
	t.Run("KeyOnlyInTheDownloadForm", func(t *testing.T) {
		resp, page := b.post("/app/merchant/terminals", url.Values{"csrf": {csrf}, "nonce": {nonce}, "name": {"Gate 1"}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, page)
		}
		got := a.api.requests("POST /v1/epurse/terminals")
		if last := got[len(got)-1]; last.auth != "Bearer sk_test" || last.body != `{"name":"Gate 1"}` {
			t.Errorf("API saw %+v", last)
		}
		for _, want := range []string{"Terminal Gate 1 is registered.", "a1b2c3d4e5f6", `id="terminal-download"`} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if m := keyFieldRE.FindStringSubmatch(page); m == nil || m[1] != "sam_key" || m[2] != samKey || strings.Count(page, samKey) != 1 {
			t.Errorf("sam_key field %v", m)
		}
		if m := actionRE.FindStringSubmatch(page); m == nil || m[1] != "/app/merchant/terminals/"+terminalID+"/file" {
			t.Errorf("download form posts to %v", m)
		}
		if inline.MatchString(page) {
			t.Errorf("inline code: %q", inline.FindString(page))
		}
	})
}

func TestTerminalFile(t *testing.T) {
	a := newApp(t)
	b := merchantBrowser(a)
	a.api.set("GET /v1/epurse/terminals", 200, `{"data":[`+terminalJSON("")+`]}`)
	a.api.set("GET /v1/epurse/denylist", 200, `{"data":[]}`)
	csrf, _ := b.formTokens("/app/merchant/terminals")
	path := "/app/merchant/terminals/" + terminalID + "/file"
	t.Run("NeedsCSRF", func(t *testing.T) {
		resp, body := b.post(path, url.Values{"csrf": {"forged"}, "sam_key": {samKey}})
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Disposition") != "" || strings.Contains(body, samKey) {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("BadKey", func(t *testing.T) {
		resp, _ := b.post(path, url.Values{"csrf": {csrf}, "sam_key": {"zz"}})
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Disposition") != "" {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("UnknownTerminal", func(t *testing.T) {
		resp, _ := b.post("/app/merchant/terminals/trm_000000000000/file", url.Values{"csrf": {csrf}, "sam_key": {samKey}})
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Disposition") != "" {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("TheCLIsTerminalFile", func(t *testing.T) {
		resp, body := b.post(path, url.Values{"csrf": {csrf}, "sam_key": {samKey}})
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if got := resp.Header.Get("Content-Disposition"); got != `attachment; filename="terminal.json"` {
			t.Errorf("Content-Disposition %q", got)
		}
		if resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("headers %v", resp.Header)
		}
		// cmd/ewallet/epurse_state.go's terminalFile as `ewallet terminal
		// new` writes it.
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatal(err)
		}
		want := []string{"currency", "deny_list", "id", "in_flight", "name", "next_seq", "records", "sam_key", "terminal_id", "version"}
		if got := sortedKeys(top); !slices.Equal(got, want) {
			t.Errorf("keys %v, want %v", got, want)
		}
		for k, v := range map[string]string{"version": "1", "id": `"` + terminalID + `"`, "terminal_id": `"a1b2c3d4e5f6"`, "name": `"Gate 1"`,
			"currency": `"CNY"`, "sam_key": `"` + samKey + `"`, "next_seq": "1", "in_flight": "[]", "records": "[]", "deny_list": "[]"} {
			if string(top[k]) != v {
				t.Errorf("%s = %s, want %s", k, top[k], v)
			}
		}
		if !strings.HasSuffix(body, "}\n") || !strings.Contains(body, "\n  \"id\": ") {
			t.Errorf("layout: %q", body)
		}
	})
}
