package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestStoredValue: a holder issues a stored-value card in the wallet and
// downloads its chip file, which the command line reads and loads; as the
// merchant she also is, she registers a terminal in the console and
// downloads its file; the card pays at the terminal offline and the
// terminal uploads; the wallet shows the cleared balance; she reports the
// card lost and sees when the rest comes back; the console's deny list
// shows the card. The files the pages hand out are the ones `ewallet card`
// and `ewallet terminal` use: they run on them here.
func TestStoredValue(t *testing.T) {
	needBrowser(t)
	h := apiHolder(t, "Gina", "20.00")
	var m struct { // Gina runs the gates too: one user less to set up
		SecretKey string `json:"secret_key"`
	}
	apiJSON(t, "POST", "/v1/merchants", h.token, map[string]string{"name": "Metro", "category": "4111"}, &m)
	dir := t.TempDir()
	cardFile, termFile := filepath.Join(dir, "card.json"), filepath.Join(dir, "terminal.json")
	w := newTab(t) // one browser for both: the wallet and the console keep separate cookies

	t.Run("IssueCard", func(t *testing.T) {
		w.t = t
		w.login(h)
		w.open("/app/epurse")
		w.wantText("h1", "Stored-value cards")
		w.submit("#issue-submit")
		w.wantText("#issued", "is issued")
		writeFile(t, cardFile, download(t, w, "#chip-download"))
		out := cli(t, "card", "show", "--file", cardFile)
		if !strings.Contains(out, "0.00 CNY") || !strings.Contains(out, w.text("#issued-number")) {
			t.Errorf("ewallet card show: %s", out)
		}
		w.submit("#back-epurse")
		w.wantText(".epcard .epbalance", "¥0.00")
		w.wantText(".epcard .epstatus", "Active")
		w.shot("11-epurse")
	})
	t.Run("LoadWithTheChipFile", func(t *testing.T) {
		w.t = t
		cli(t, "card", "load", "--server", suite.base, "--token", h.token, "--pin", h.pin, "--file", cardFile, "--amount", "10.00")
		w.open("/app/epurse")
		w.wantText(".epcard .epbalance", "¥10.00")
	})
	t.Run("RegisterTerminal", func(t *testing.T) {
		w.t = t
		w.open("/app/merchant/signin?next=%2Fapp%2Fmerchant%2Fterminals")
		w.fill("#key", m.SecretKey)
		w.submit("#merchant-signin-form button")
		w.wantText("h1", "Terminals")
		w.fill("#terminal-name", "Gate 1")
		w.submit("#terminal-submit")
		w.wantText("#registered", "Gate 1")
		writeFile(t, termFile, download(t, w, "#terminal-download"))
		if out := cli(t, "terminal", "show", "--file", termFile); !strings.Contains(out, `"Gate 1"`) {
			t.Errorf("ewallet terminal show: %s", out)
		}
		w.submit("#back-terminals")
		w.wantText("#terminal-list", "Gate 1")
	})
	t.Run("PayOfflineAndUpload", func(t *testing.T) {
		w.t = t
		cli(t, "terminal", "tap", "--file", termFile, "--card", cardFile, "--amount", "2.00")
		cli(t, "terminal", "upload", "--server", suite.base, "--key", m.SecretKey, "--file", termFile)
		w.open("/app/epurse")
		w.wantText(".epcard .epbalance", "¥8.00") // loaded minus cleared
	})
	t.Run("ReportLost", func(t *testing.T) {
		w.t = t
		asked := w.acceptDialogs()
		w.submit(".report-lost")
		select {
		case msg := <-asked:
			if !strings.Contains(msg, "Report this card lost?") {
				t.Errorf("confirmation %q", msg)
			}
		case <-time.After(stepTimeout):
			t.Fatal("no confirmation asked")
		}
		w.wantText("#flash", "Card reported lost.")
		w.wantText(".epcard .epstatus", "Lost")
		w.wantText(".epcard .epdenied", "Reported lost")
		w.wantText(".epcard .eprefund", "goes back to your wallet after")
		w.open("/app/merchant/terminals")
		w.wantText("#denylist", "epc_")
	})
}

// cli runs the server's binary as a person would on their own machine.
func cli(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(suite.bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no EWALLET_* of the caller
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ewallet %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// acceptDialogs answers OK to every confirmation the tab's pages ask from
// now on, and passes on what they asked.
func (b *tab) acceptDialogs() <-chan string {
	ctx, cancel := context.WithCancel(b.ctx)
	b.t.Cleanup(cancel)
	asked := make(chan string, 8)
	opening := chromedp.Events(ctx, page.JavascriptDialogOpening) // subscribed now, before any click
	go func() {
		for ev, err := range opening {
			if err != nil {
				return
			}
			select {
			case asked <- ev.Message:
			default:
			}
			// Answered from another goroutine than the one that reads
			// the events.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return asked
}
