package browsertest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// TestWallet: register → verify → log in → set PIN → bind card → top up →
// send to a second user → the second user sees it; the contract's error
// shown next to the field; the PDF statement; the other language.
func TestWallet(t *testing.T) {
	needBrowser(t)
	bob := apiHolder(t, "Bob", "")
	alice := holder{phone: newPhone(), name: "Alice", pin: "730194"}
	a := newTab(t)

	t.Run("Register", func(t *testing.T) {
		a.t = t
		a.open("/app/register")
		a.fill("#phone", alice.phone)
		a.fill("#name", alice.name)
		a.fill("#password", password)
		a.shot("01-register")
		a.submit("#register-submit")
		a.wantText("#flash", "We sent a code by SMS.")
		a.fill("#code", smsCode(t, alice.phone))
		a.submit("#verify-submit")
		a.wantText("#flash", "Phone verified.")
		a.fill("#phone", alice.phone)
		a.fill("#password", password)
		a.submit("#login-submit")
		a.wantText("h1", "My wallet")
		a.wantText("#balance-CNY", "¥0.00")
	})
	t.Run("WeakPasswordShownByField", func(t *testing.T) {
		a.t = t // the sign-up page is public: Alice's tab will do
		a.open("/app/register")
		a.fill("#phone", newPhone())
		a.fill("#password", "short")
		a.submit("#register-submit")
		a.wantText("#password-err", "at least 10 characters")
	})
	t.Run("SetPINAndBindCard", func(t *testing.T) {
		a.t = t
		a.open("/app/security")
		a.fill("#pin-password", password)
		a.fill("#new-pin", alice.pin)
		a.submit("#pin-submit")
		a.wantText("#flash", "PIN saved.")
		a.open("/app/cards")
		a.fill("#number", "4242 4242 4242 4242")
		a.fill("#exp", "12/30")
		a.fill("#holder", "ALICE")
		a.submit("#card-submit")
		a.wantText("#flash", "Card bound.")
		a.wantText("#card-list", "4242")
	})
	t.Run("TopUp", func(t *testing.T) {
		a.t = t
		a.open("/app/topup")
		a.fill("#amount", "500.00")
		a.fill("#pin", alice.pin)
		a.submit("#topup-submit")
		a.wantText("#flash", "Top-up done.")
		a.wantText("#balance-CNY", "¥500.00")
	})
	t.Run("InvalidAmountShownByField", func(t *testing.T) {
		a.t = t
		a.open("/app/send")
		a.fill("#to", bob.phone)
		a.fill("#amount", "12.345")
		a.fill("#pin", alice.pin)
		a.submit("#send-submit")
		a.wantText("#amount-err", "at most the currency's decimals")
		if got := evalIn[string](a, `document.querySelector("#amount").getAttribute("aria-invalid")`); got != "true" {
			t.Errorf("amount field aria-invalid = %q", got)
		}
		if evalIn[bool](a, `document.body.textContent.includes("invalid_amount")`) {
			t.Error("the page shows the raw error code")
		}
		a.shot("03-send-error")
	})
	t.Run("Send", func(t *testing.T) {
		a.t = t
		a.open("/app/send")
		a.fill("#to", bob.phone)
		a.fill("#amount", "12.34")
		a.fill("#note", "lunch")
		a.fill("#pin", alice.pin)
		a.submit("#send-submit")
		a.wantText("#flash", "Money sent.")
		a.wantText("#balance-CNY", "¥487.66")
		a.wantText(".txns", "−¥12.34")
		a.shot("02-home")
	})
	t.Run("RecipientSeesIt", func(t *testing.T) {
		b := newTab(t)
		b.login(bob)
		b.wantText("#balance-CNY", "¥12.34")
		b.wantText(".txns", "+¥12.34")
		b.wantText(".txns", "lunch")
		b.wantText(".txns", "Alice")
	})
	t.Run("HistoryAndSearch", func(t *testing.T) {
		a.t = t
		a.open("/app/history?q=lunch")
		a.wantText(".txns", "lunch")
		if n := evalIn[int](a, `document.querySelectorAll(".txns li").length`); n != 1 {
			t.Errorf("search for lunch shows %d movements, want 1", n)
		}
		a.open("/app/history")
		a.wantText(".txns", "Top-up")
		a.shot("04-history")
		a.open("/app/spending")
		a.wantText("#spend-total", "¥12.34")
		a.wantText("#chart-category", "Transfer")
		a.shot("05-spending")
	})
	t.Run("PDFStatement", func(t *testing.T) {
		a.t = t
		a.open("/app/history")
		pdf := download(t, a, "#statement-pdf")
		if !bytes.HasPrefix(pdf, []byte("%PDF")) || len(pdf) < 1000 {
			t.Fatalf("statement is %d bytes starting %q, want a PDF", len(pdf), pdf[:min(8, len(pdf))])
		}
	})
	t.Run("SwitchLanguage", func(t *testing.T) {
		a.t = t
		a.open("/app/")
		a.submit("#lang-switch")
		a.wantText("h1", "我的钱包")
		a.wantText("#balance-CNY", "¥487.66")
		a.wantText(".tabs", "转账")
		a.shot("10-home-zh")
		a.open("/app/send") // the choice stays
		a.wantText("h1", "转账")
		a.submit("#lang-switch")
		a.wantText("h1", "Send money")
	})
}

// download clicks a link and returns the file the browser saved.
func download(t *testing.T, b *tab, sel string) []byte {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	id := chromedp.FromContext(b.ctx).BrowserContextID
	b.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: id, DownloadPath: dir, EventsEnabled: ptr(true),
		})
		return err
	}), chromedp.Click(chromedp.CSS(sel)))
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download canceled")
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		var data []byte
		for range 20 { // the file may land a moment after the event
			if data, err = os.ReadFile(filepath.Join(dir, ev.GUID)); err == nil {
				return data
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("downloaded file: %v", err)
	}
	t.Fatal("no download")
	return nil
}

func ptr[T any](v T) *T { return &v }
