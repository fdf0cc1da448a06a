package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli runs `ewallet args...` in process and returns what it printed.
func cli(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, noEnv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustCLI is cli that fails the test on an error and checks that stdout
// holds each of wants, ignoring how many spaces align the columns.
func mustCLI(t *testing.T, wants []string, args ...string) string {
	t.Helper()
	out, errOut, err := cli(t, args...)
	if err != nil {
		t.Fatalf("ewallet %s: %v\nstdout: %s\nstderr: %s", strings.Join(args[:2], " "), err, out, errOut)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, w := range wants {
		if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
			t.Fatalf("ewallet %s: stdout lacks %q:\n%s", strings.Join(args[:2], " "), w, out)
		}
	}
	return out
}

func mustReadCard(t *testing.T, path string) *cardFile {
	t.Helper()
	c, err := readCard(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustReadTerminal(t *testing.T, path string) *terminalFile {
	t.Helper()
	f, err := readTerminal(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// brokenComplete is a proxy to base that answers 502 to the second step
// of a load, as a connection dropping after the card took the credit.
func brokenComplete(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/complete") {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEpurseCLI drives the software card and terminals against a real
// server: issue, load (one whose completion is lost), taps at two gates
// (one torn and recovered), uploads (again, and from a stale copy), the
// deny list; every balance is checked to the fen.
func TestEpurseCLI(t *testing.T) {
	c := newClient(t, noEnv, "--data", t.TempDir())
	rider, owner := c.mustUser("Rider"), c.mustUser("Owner")
	c.topup(rider, "500.00")
	shop := c.mustMerchant(owner, "Metro Line 1")
	dir := t.TempDir()
	card, gate1, gate2 := filepath.Join(dir, "card.json"), filepath.Join(dir, "gate1.json"), filepath.Join(dir, "gate2.json")
	user := []string{"--server", c.base, "--token", rider.token}
	merchant := []string{"--server", c.base, "--key", shop.sk}
	args := func(cmd string, base []string, rest ...string) []string {
		return append(append(strings.Fields(cmd), base...), rest...)
	}

	mustCLI(t, []string{"issued", "balance cap 1000.00 CNY, per-purchase cap 200.00 CNY"}, args("card new", user, "--file", card)...)
	if fi, err := os.Stat(card); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("card file mode: %v %v", fi.Mode(), err)
	}
	if _, _, err := cli(t, args("card new", user, "--file", card)...); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Fatalf("a second card new on the same file: %v", err)
	}
	cardID := mustReadCard(t, card).CardID
	mustCLI(t, []string{"chip balance 100.00 CNY", "completed"}, args("card load", user, "--file", card, "--amount", "100.00", "--pin", rider.pin)...)

	t.Run("LoadCompletionLost", func(t *testing.T) {
		broken := []string{"--server", brokenComplete(t, c.base), "--token", rider.token}
		out, errOut, err := cli(t, args("card load", broken, "--file", card, "--amount", "20.00", "--pin", rider.pin)...)
		if err != nil || !strings.Contains(out, "chip balance 120.00 CNY") || !strings.Contains(errOut, "stays pending until") {
			t.Fatalf("err %v\nstdout %s\nstderr %s", err, out, errOut)
		}
		r := c.do("GET", "/v1/epurse/cards/"+cardID, rider.token, "", nil)
		want(t, r, 200, "")
		if p, _ := r.body["pending_load"].(map[string]any); p["status"] != "pending" || r.str("balance") != "120.00" {
			t.Fatalf("card after a lost completion: %s", r.raw)
		}
		// The next load's INITIALIZE shows the card's counter past it.
		mustCLI(t, []string{"settled: completed", "chip balance 130.00 CNY"}, args("card load", user, "--file", card, "--amount", "10.00", "--pin", rider.pin)...)
	})
	t.Run("LoadRefused", func(t *testing.T) {
		_, _, err := cli(t, args("card load", user, "--file", card, "--amount", "1.00", "--pin", "000000")...)
		if err == nil || !strings.Contains(err.Error(), "invalid_pin") || strings.Contains(err.Error(), "000000") {
			t.Fatalf("wrong PIN: %v", err)
		}
		if _, _, err := cli(t, args("card load", user, "--file", card, "--amount", "900.00", "--pin", rider.pin)...); err == nil ||
			!strings.Contains(err.Error(), "the card refused") {
			t.Fatalf("over the balance cap: %v", err)
		}
	})

	mustCLI(t, []string{`"Gate 1" registered`}, args("terminal new", merchant, "--name", "Gate 1", "--file", gate1)...)
	mustCLI(t, []string{`"Gate 2" registered`}, args("terminal new", merchant, "--name", "Gate 2", "--file", gate2)...)
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	tapAt := func(gate, amount string, at time.Duration, wants ...string) {
		t.Helper()
		mustCLI(t, wants, "terminal", "tap", "--file", gate, "--card", card, "--amount", amount, "--at", day.Add(at).Format(time.RFC3339))
	}
	tapAt(gate1, "2.00", 7*time.Hour, "balance 128.00 CNY (counter 0, seq 1)")
	tapAt(gate2, "3.50", 7*time.Hour+30*time.Minute, "balance 124.50 CNY (counter 1, seq 1)")

	t.Run("TornTap", func(t *testing.T) {
		saves := 0
		tp := &tap{termPath: gate1, cardPath: card, saveCard: saveCard, saveTerminal: func(p string, f *terminalFile) error {
			if saves++; saves == 2 { // the record's save, after the card's
				return errors.New("power cut")
			}
			return saveTerminal(p, f)
		}}
		var out bytes.Buffer
		err := tp.run(&env{getenv: noEnv, stdout: &out, stderr: &out}, "2.00", day.Add(8*time.Hour))
		if err == nil || !strings.Contains(err.Error(), "next tap at this terminal recovers") {
			t.Fatalf("torn tap: %v", err)
		}
		if got := mustReadCard(t, card).Chip.Balance; got != 12250 {
			t.Fatalf("card after the torn tap: %d, want 12250", got)
		}
		if f := mustReadTerminal(t, gate1); len(f.InFlight) != 1 || len(f.Records) != 1 || f.NextSeq != 3 {
			t.Fatalf("gate 1 after the torn tap: %d in flight, %d records, next seq %d", len(f.InFlight), len(f.Records), f.NextSeq)
		}
		tapAt(gate1, "2.00", 18*time.Hour, "recovered the torn purchase of 2.00 CNY (seq 2)", "balance 120.50 CNY (counter 3, seq 3); 3 records")
		if f := mustReadTerminal(t, gate1); len(f.InFlight) != 0 {
			t.Fatalf("gate 1 still has %d purchases in flight", len(f.InFlight))
		}
	})
	tapAt(gate2, "3.50", 18*time.Hour+30*time.Minute, "balance 117.00 CNY (counter 4, seq 2)")
	if _, _, err := cli(t, "terminal", "tap", "--file", gate2, "--card", card, "--amount", "200.01"); err == nil || !strings.Contains(err.Error(), "over limit") {
		t.Fatalf("a fare over the per-purchase cap: %v", err)
	}
	mustCLI(t, []string{"purchase  4  3.50  117.00"}, "card", "log", "--file", card)
	mustCLI(t, []string{"117.00 CNY", "offline counter  5"}, "card", "show", "--file", card)

	t.Run("UploadServerDown", func(t *testing.T) {
		_, _, err := cli(t, "terminal", "upload", "--server", "http://127.0.0.1:1", "--key", shop.sk, "--file", gate1)
		if err == nil || !strings.Contains(err.Error(), "3 records stay") || strings.Contains(err.Error(), shop.sk) {
			t.Fatalf("upload with the server down: %v", err)
		}
	})
	stale, err := os.ReadFile(gate1)
	if err != nil {
		t.Fatal(err)
	}
	mustCLI(t, []string{"counter 2  2.00  accepted", "batch of 3: 6.00 CNY", "counter 1 not uploaded yet", "0 records left"},
		args("terminal upload", merchant, "--file", gate1)...)
	mustCLI(t, []string{"counter 1  3.50  accepted (late", "counter 4  3.50  accepted", "batch of 2: 7.00 CNY"},
		args("terminal upload", merchant, "--file", gate2)...)
	mustCLI(t, []string{"nothing to upload"}, args("terminal upload", merchant, "--file", gate1)...)
	// A terminal restored from a backup uploads its records again: they
	// are answered duplicate, and nothing moves.
	copyPath := filepath.Join(dir, "gate1-restored.json")
	if err := os.WriteFile(copyPath, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, []string{"duplicate: already cleared", "batch of 3: 0.00 CNY", "accepted 0, rejected 3; 0 records left"},
		args("terminal upload", merchant, "--file", copyPath)...)

	c.wantBalance(rider, "CNY", "370.00", "0.00") // 500.00 - 100.00 - 20.00 - 10.00
	if got := c.merchantBalance(shop); got != "13.00" {
		t.Fatalf("merchant balance %s, want 13.00", got)
	}
	r := c.do("GET", "/v1/epurse/cards/"+cardID, rider.token, "", nil)
	want(t, r, 200, "")
	chip := mustReadCard(t, card).Chip.Balance
	if r.str("balance") != "117.00" || chip != 11700 || r.body["pending_load"] != nil || len(r.body["missing_counters"].([]any)) != 0 {
		t.Fatalf("card account %s, chip %d, want both 117.00, nothing pending or missing: %s", r.str("balance"), chip, r.raw)
	}

	t.Run("DenyList", func(t *testing.T) {
		want(t, c.do("POST", "/v1/epurse/cards/"+cardID+"/lost", rider.token, "", nil), 200, "")
		mustCLI(t, []string{"deny list: 1 cards", cardID}, args("terminal denylist", merchant, "--file", gate2)...)
		_, _, err := cli(t, "terminal", "tap", "--file", gate2, "--card", card, "--amount", "3.50")
		if err == nil || !strings.Contains(err.Error(), "on the deny list") {
			t.Fatalf("tap of a denied card: %v", err)
		}
		if got := mustReadCard(t, card).Chip.Balance; got != 11700 {
			t.Fatalf("the refused tap changed the card: %d", got)
		}
		mustCLI(t, []string{"0 records", "1 cards, downloaded"}, "terminal", "show", "--file", gate2)
	})
}

// TestCardUsageHidesSecrets: the credentials may come from the
// environment, but usage (printed on -h and on every flag error) shows
// flag defaults, so they must not be defaults.
func TestCardUsageHidesSecrets(t *testing.T) {
	getenv := envOf(map[string]string{"EWALLET_TOKEN": "ewt_secret_token", "EWALLET_PIN": "583920", "EWALLET_MERCHANT_KEY": "sk_secret_key"})
	for _, args := range [][]string{
		{"card", "new", "-h"}, {"card", "load", "--bogus"}, {"terminal", "new", "-h"},
		{"terminal", "upload", "-h"}, {"terminal", "denylist", "--bogus"}, {"help", "card"},
	} {
		var out, errOut bytes.Buffer
		run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
		all := out.String() + errOut.String()
		if strings.Contains(all, "ewt_secret_token") || strings.Contains(all, "sk_secret_key") || strings.Contains(all, "583920") {
			t.Errorf("ewallet %s prints a secret:\n%s", strings.Join(args, " "), all)
		}
	}
}
