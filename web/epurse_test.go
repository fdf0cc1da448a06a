package web_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/epurse"
)

const (
	cardID      = "epc_0123456789abcdef"
	loadKey     = "000102030405060708090a0b0c0d0e0f"
	purchaseKey = "101112131415161718191a1b1c1d1e1f"
	tacKey      = "202122232425262728292a2b2c2d2e2f"
)

// epurseCardJSON is a card as the API answers it, with more fields added.
func epurseCardJSON(id, status, balance, more string) string {
	return `{"id":"` + id + `","number":"` + strings.TrimPrefix(id, "epc_") + `","status":"` + status + `","balance":"` + balance +
		`","currency":"CNY","balance_cap":"1000.00","purchase_cap":"200.00","missing_counters":[],"created_at":"2026-12-01T10:00:00Z"` + more + `}`
}

func TestEpursePage(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	a.api.set("GET /v1/epurse/cards", 200, `{"data":[`+
		epurseCardJSON(cardID, "active", "12.50", `,"missing_counters":[{"from":3,"to":5},{"from":9,"to":9}],
			"pending_load":{"id":"eld_1","card_id":"`+cardID+`","status":"pending","amount":"50.00","currency":"CNY","online_counter":2,"created_at":"2026-12-02T02:00:00Z"}`)+`,`+
		epurseCardJSON("epc_1111222233334444", "lost", "7.00", `,"denied_at":"2026-12-03T04:00:00Z","refund_at":"2026-12-06T04:00:00Z"`)+`,`+
		epurseCardJSON("epc_5555666677778888", "refunded", "0.00", `,"denied_at":"2026-11-01T04:00:00Z","refund_at":"2026-11-04T04:00:00Z","refunded":"3.20"`)+
		`]}`)
	resp, page := b.get("/app/epurse")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, page)
	}
	for _, want := range []string{
		"0123 4567 89ab cdef", "¥12.50", "Active",
		"A load of ¥50.00 (2026-12-02 10:00) is not finished", // shown in Asia/Shanghai
		"numbers 3–5, 9.",
		"1111 2222 3333 4444", "Lost", "Reported lost 2026-12-03 12:00", "goes back to your wallet after 2026-12-06 12:00",
		"Refunded", "¥3.20 went back to your wallet.",
		"It holds at most ¥1,000.00, at most ¥200.00 a purchase.",
		"loading needs the card at a reader", "ewallet card load --server " + a.srv.URL + " --file card.json",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Only the active card can be reported lost, after a confirmation.
	if n := strings.Count(page, `/lost"`); n != 1 || !strings.Contains(page, `action="/app/epurse/`+cardID+`/lost" data-confirm="Report this card lost?`) {
		t.Errorf("%d report-lost forms, or none for the active card with a confirmation", n)
	}
	if a.api.requests("GET /v1/epurse/cards")[0].auth != "Bearer tok_secret" {
		t.Error("the list is not read with the session's token")
	}
}

func TestEpurseEmptyAndUnavailable(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	_, page := b.get("/app/epurse") // the fake API has no e-purse: "no such route"
	if !strings.Contains(page, "Not available on this server yet.") || strings.Contains(page, `id="issue-form"`) {
		t.Errorf("a server without the e-purse: %s", page)
	}
	a.api.set("GET /v1/epurse/cards", 200, `{"data":[]}`)
	_, page = b.get("/app/epurse?lang=zh-CN")
	for _, want := range []string{"还没有储值卡。", `id="issue-form"`, "申领储值卡"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

var (
	keyFieldRE = regexp.MustCompile(`name="(load_key|purchase_key|tac_key|sam_key)" value="([0-9a-f]*)"`)
	actionRE   = regexp.MustCompile(`<form method="post" action="(/app/[^"]+/(?:chip|file))"`)
)

// issued issues a card through the page and returns the issued page.
func issued(t *testing.T, a *app, b *browser) string {
	t.Helper()
	a.api.set("GET /v1/epurse/cards", 200, `{"data":[]}`)
	a.api.set("POST /v1/epurse/cards", 201, epurseCardJSON(cardID, "active", "0.00",
		`,"personalization":{"load_key":"`+loadKey+`","purchase_key":"`+purchaseKey+`","tac_key":"`+tacKey+`"}`))
	a.api.set("GET /v1/epurse/cards/"+cardID, 200, epurseCardJSON(cardID, "active", "0.00", ""))
	csrf, nonce := b.formTokens("/app/epurse")
	resp, page := b.post("/app/epurse", url.Values{"csrf": {csrf}, "nonce": {nonce}})
	if resp.StatusCode != 200 {
		t.Fatalf("issue: status %d: %s", resp.StatusCode, page)
	}
	return page
}

func TestIssueEpurseCard(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	t.Run("NeedsCSRF", func(t *testing.T) {
		a.api.set("POST /v1/epurse/cards", 201, epurseCardJSON(cardID, "active", "0.00", ""))
		resp, _ := b.post("/app/epurse", url.Values{"csrf": {"forged"}})
		if resp.StatusCode != http.StatusForbidden || len(a.api.requests("POST /v1/epurse/cards")) != 0 {
			t.Fatalf("status %d, %d cards issued", resp.StatusCode, len(a.api.requests("POST /v1/epurse/cards")))
		}
	})
	t.Run("KeysOnlyInTheDownloadForm", func(t *testing.T) {
		page := issued(t, a, b)
		if got := a.api.requests("POST /v1/epurse/cards"); len(got) != 1 || got[0].auth != "Bearer tok_secret" {
			t.Fatalf("issue requests: %+v", got)
		}
		for _, want := range []string{"Card 0123 4567 89ab cdef is issued.", "given only now", `id="chip-download"`, "ewallet terminal tap"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		keys := map[string]string{}
		for _, m := range keyFieldRE.FindAllStringSubmatch(page, -1) {
			keys[m[1]] = m[2]
		}
		if keys["load_key"] != loadKey || keys["purchase_key"] != purchaseKey || keys["tac_key"] != tacKey {
			t.Errorf("download form keys %v", keys)
		}
		if m := actionRE.FindStringSubmatch(page); m == nil || m[1] != "/app/epurse/"+cardID+"/chip" {
			t.Errorf("download form posts to %v", m)
		}
		if strings.Count(page, loadKey) != 1 {
			t.Error("the load key shows outside the download form")
		}
		if inline.MatchString(page) {
			t.Errorf("inline code: %q", inline.FindString(page))
		}
		if resp, _ := b.get("/app/epurse"); resp.Header.Get("Cache-Control") != "no-store" {
			t.Error("pages may be cached")
		}
	})
	t.Run("RefusalShownOnTheForm", func(t *testing.T) {
		a.api.set("POST /v1/epurse/cards", 403, `{"error":{"code":"wallet_frozen","message":"x","request_id":"r"}}`)
		csrf, nonce := b.formTokens("/app/epurse")
		resp, page := b.post("/app/epurse", url.Values{"csrf": {csrf}, "nonce": {nonce}})
		if resp.StatusCode != 403 || !strings.Contains(page, "Your wallet is frozen") || !strings.Contains(page, `id="issue-form"`) {
			t.Errorf("status %d: %s", resp.StatusCode, page)
		}
	})
}

func TestChipFile(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	page := issued(t, a, b)
	csrf := csrfRE.FindStringSubmatch(page)[1]
	form := url.Values{"csrf": {csrf}, "load_key": {loadKey}, "purchase_key": {purchaseKey}, "tac_key": {tacKey}}
	path := "/app/epurse/" + cardID + "/chip"

	t.Run("NeedsCSRF", func(t *testing.T) {
		forged := url.Values{"csrf": {"forged"}, "load_key": {loadKey}, "purchase_key": {purchaseKey}, "tac_key": {tacKey}}
		resp, body := b.post(path, forged)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Disposition") != "" || strings.Contains(body, loadKey) {
			t.Fatalf("status %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		bad := url.Values{"csrf": {csrf}, "load_key": {"00"}, "purchase_key": {purchaseKey}, "tac_key": {tacKey}}
		resp, body := b.post(path, bad)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Content-Disposition") != "" || !strings.Contains(body, "could not be made") {
			t.Fatalf("status %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	})
	t.Run("TheCLIsCardFile", func(t *testing.T) {
		resp, body := b.post(path, form)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		for h, want := range map[string]string{
			"Content-Disposition": `attachment; filename="card.json"`,
			"Content-Type":        "application/json",
			"Cache-Control":       "private, no-store",
		} {
			if got := resp.Header.Get(h); got != want {
				t.Errorf("%s: %q, want %q", h, got, want)
			}
		}
		// cmd/ewallet/epurse_state.go's cardFile, written as writeJSONFile
		// writes it: indented, one final newline.
		if !strings.HasPrefix(body, "{\n  \"version\": 1,\n") || !strings.HasSuffix(body, "}\n") {
			t.Errorf("layout: %q", body)
		}
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &top); err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(top); !slices.Equal(got, []string{"card_id", "chip", "currency", "version"}) {
			t.Errorf("top-level keys %v", got)
		}
		var chip map[string]json.RawMessage
		json.Unmarshal(top["chip"], &chip)
		if got := sortedKeys(chip); !slices.Equal(got, []string{"Balance", "BalanceCap", "Keys", "Log", "Number", "OfflineCounter", "OnlineCounter", "PurchaseCap"}) {
			t.Errorf("chip keys %v", got)
		}
		var f struct {
			Version  int              `json:"version"`
			CardID   string           `json:"card_id"`
			Currency string           `json:"currency"`
			Chip     epurse.CardState `json:"chip"`
		}
		if err := json.Unmarshal([]byte(body), &f); err != nil {
			t.Fatal(err)
		}
		st := f.Chip
		if f.Version != 1 || f.CardID != cardID || f.Currency != "CNY" || st.Number.String() != "0123456789abcdef" {
			t.Errorf("file %+v", f)
		}
		for name, k := range map[string]struct {
			got  epurse.Key
			want string
		}{"DLK": {st.Keys.DLK, loadKey}, "DPK": {st.Keys.DPK, purchaseKey}, "DTK": {st.Keys.DTK, tacKey}} {
			if hex.EncodeToString(k.got[:]) != k.want {
				t.Errorf("%s = %x, want %s", name, k.got, k.want)
			}
		}
		if st.Balance != 0 || st.OnlineCounter != 0 || st.OfflineCounter != 0 || st.BalanceCap != 100000 || st.PurchaseCap != 20000 || len(st.Log) != 0 {
			t.Errorf("chip state %+v", st)
		}
		// The card the chip stands for works as epurse's software card.
		if c := epurse.LoadCard(st, bytes.NewReader(make([]byte, 64))); c.State().Number != st.Number {
			t.Error("epurse does not load the chip state")
		}
	})
	t.Run("AnotherHoldersCard", func(t *testing.T) {
		other := "epc_9999999999999999"
		resp, _ := b.post("/app/epurse/"+other+"/chip", url.Values{"csrf": {csrf}, "load_key": {loadKey}, "purchase_key": {purchaseKey}, "tac_key": {tacKey}})
		if resp.StatusCode != http.StatusNotFound || resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("status %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
		}
	})
}

func TestReportLost(t *testing.T) {
	a := newApp(t)
	b := a.loggedIn()
	a.api.set("GET /v1/epurse/cards", 200, `{"data":[`+epurseCardJSON(cardID, "active", "12.50", "")+`]}`)
	a.api.set("POST /v1/epurse/cards/"+cardID+"/lost", 200, epurseCardJSON(cardID, "lost", "12.50", `,"denied_at":"2026-12-03T04:00:00Z","refund_at":"2026-12-06T04:00:00Z"`))
	csrf, _ := b.formTokens("/app/epurse")
	t.Run("NeedsCSRF", func(t *testing.T) {
		resp, _ := b.post("/app/epurse/"+cardID+"/lost", url.Values{"csrf": {"forged"}})
		if resp.StatusCode != http.StatusForbidden || len(a.api.requests("POST /v1/epurse/cards/"+cardID+"/lost")) != 0 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("Reported", func(t *testing.T) {
		resp, _ := b.post("/app/epurse/"+cardID+"/lost", url.Values{"csrf": {csrf}})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/app/epurse?ok=epurse_lost" {
			t.Fatalf("%d to %q", resp.StatusCode, loc)
		}
		if got := a.api.requests("POST /v1/epurse/cards/" + cardID + "/lost"); len(got) != 1 || got[0].auth != "Bearer tok_secret" {
			t.Fatalf("API saw %+v", got)
		}
		a.api.set("GET /v1/epurse/cards", 200, `{"data":[`+epurseCardJSON(cardID, "lost", "12.50", `,"denied_at":"2026-12-03T04:00:00Z","refund_at":"2026-12-06T04:00:00Z"`)+`]}`)
		_, page := b.get("/app/epurse?ok=epurse_lost")
		for _, want := range []string{"Card reported lost.", "Lost", "Reported lost 2026-12-03 12:00", "after 2026-12-06 12:00"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}
		if strings.Contains(page, "/lost\"") {
			t.Error("a lost card can be reported lost again")
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
