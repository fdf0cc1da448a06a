package browsertest

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "also write the main screenshots to docs/screens/")

const adminToken = "browser-admin-token"

// suite is what every test shares: one server, one browser.
var suite struct {
	skip       string // why the tests skip, or ""
	base       string // the server's http://127.0.0.1:port
	bin        string // the ewallet binary the server runs, for its command line
	browser    context.Context
	shotDir    string
	updateDocs bool
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("EWALLET_BROWSER_TESTS") == "required" {
			fmt.Fprintln(os.Stderr, "browsertest: EWALLET_BROWSER_TESTS=required but no chromium found (apt-get install -y chromium)")
			return 1
		}
		suite.skip = "no chromium installed (set EWALLET_CHROMIUM or install Debian's chromium)"
		return m.Run()
	}
	tmp, err := os.MkdirTemp("", "ewallet-browsertest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer removeAll(tmp)

	start := time.Now()
	stop, err := startServer(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, "browsertest:", err)
		return 1
	}
	defer stop()

	suite.shotDir = os.Getenv("EWALLET_SCREENSHOTS")
	if suite.shotDir == "" {
		suite.shotDir = filepath.Join(os.TempDir(), "ewallet-screenshots")
	}
	os.MkdirAll(suite.shotDir, 0o755)
	suite.updateDocs = *update || os.Getenv("EWALLET_UPDATE_SCREENS") == "1"

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(filepath.Join(tmp, "chromium")),
		chromedp.WindowSize(360, 780),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser, with no timeout
		fmt.Fprintln(os.Stderr, "browsertest: start chromium:", err)
		return 1
	}
	suite.browser = browser
	ready := time.Since(start)
	code := m.Run()
	fmt.Printf("browsertest: server and browser ready in %s, tests took %s; screenshots in %s\n",
		ready.Round(100*time.Millisecond), (time.Since(start) - ready).Round(100*time.Millisecond), suite.shotDir)
	return code
}

// findChromium is $EWALLET_CHROMIUM when set (a path that is no program,
// such as "none", means no browser), or Debian's chromium on the PATH.
func findChromium() string {
	if p := os.Getenv("EWALLET_CHROMIUM"); p != "" {
		if p, err := exec.LookPath(p); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startServer builds the real binary and runs `ewallet serve --dev` on a
// free port, so the tests see what a user of the binary sees (the web
// app mounted next to the API).
func startServer(dir string) (stop func(), err error) {
	bin := filepath.Join(dir, "ewallet")
	build := exec.Command("go", "build", "-o", bin, "github.com/ewallet/ewallet/cmd/ewallet")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build ewallet: %w", err)
	}
	suite.bin = bin
	cmd := exec.Command(bin, "serve", "--dev", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"),
		"--admin-token", adminToken, "--log-level", "error")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "listening on "); ok {
			suite.base = strings.TrimSpace(addr)
			go io.Copy(io.Discard, out)
			return stop, nil
		}
	}
	stop()
	return nil, fmt.Errorf("serve printed no address")
}

func removeAll(dir string) {
	// Chromium's helpers may still write for a moment after it stops.
	for range 50 {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// needBrowser skips t when the suite has no browser.
func needBrowser(t *testing.T) {
	t.Helper()
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
}

// tab is one browser tab with its own cookie jar (a fresh browser
// context), sized like a small phone: 360 px wide.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func newTab(t *testing.T) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(suite.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first Run makes the tab, which lives as long as the context of
	// that call: so no timeout on it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("new tab: %v", err)
	}
	b := &tab{t: t, ctx: ctx}
	b.do(chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	return b
}

// stepTimeout bounds one step; the whole suite stays far below a minute.
const stepTimeout = 15 * time.Second

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.shot("failure-" + sanitize(b.t.Name()))
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// open loads a page of the app.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(suite.base + path))
}

// fill types into a field, replacing what it held.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// choose picks an option of a select by its value.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

// submit clicks a button and waits for the page that answers.
func (b *tab) submit(sel string) {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.WaitEvent(pageLoad, nil, chromedp.Click(chromedp.CSS(sel)))(ctx, t)
		return err
	}))
}

// text is an element's text.
func (b *tab) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return strings.TrimSpace(s)
}

// wantText waits until the element's text contains want: what the page
// shows is the assertion.
func (b *tab) wantText(sel, want string) {
	b.t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want)
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(b.ctxShort(), chromedp.Evaluate[string](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.textContent : "<no element>"; })()`, sel)))
		b.shot("failure-" + sanitize(b.t.Name()))
		b.t.Fatalf("%s shows %q, want it to contain %q (at %s)", sel, strings.TrimSpace(got), want, b.location())
	}
}

func (b *tab) ctxShort() context.Context {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	b.t.Cleanup(cancel)
	return ctx
}

// eval runs an expression in the page.
func evalIn[T any](b *tab, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

// shot saves a full-page screenshot; the main screens also go to
// docs/screens/ when updating.
func (b *tab) shot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(suite.shotDir, name+".png"), png, 0o644)
	if suite.updateDocs && !strings.HasPrefix(name, "failure-") {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", "screens", name+".png"), png, 0o644); err != nil {
			b.t.Errorf("docs screenshot: %v", err)
		}
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func sanitize(s string) string { return unsafeName.ReplaceAllString(s, "_") }

// Test data: phone numbers unique per run, one password.

const password = "correct horse battery"

var phoneSeq atomic.Int64

func newPhone() string {
	return fmt.Sprintf("+86137%04d%04d", time.Now().Unix()%10000, phoneSeq.Add(1))
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// smsCode reads the newest code sent to phone from the sandbox outbox.
func smsCode(t *testing.T, phone string) string {
	t.Helper()
	var out struct {
		Data []struct {
			Text string `json:"text"`
		} `json:"data"`
	}
	apiJSON(t, "GET", "/v1/dev/sms?phone="+url.QueryEscape(phone), "", nil, &out)
	if len(out.Data) == 0 {
		t.Fatalf("no SMS to %s", phone)
	}
	m := codeRE.FindStringSubmatch(out.Data[0].Text)
	if m == nil {
		t.Fatalf("no code in %q", out.Data[0].Text)
	}
	return m[1]
}

// apiJSON calls the JSON API directly, for setting up what a test is not
// about (a payer's account) and for reading the outbox.
func apiJSON(t *testing.T, method, path, token string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, suite.base+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == "POST" && (path == "/v1/topups" || path == "/v1/transfers") {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bt-%d", time.Now().UnixNano()))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// holder is a user of the wallet.
type holder struct {
	phone, name, pin, token string
}

// apiHolder registers, verifies and logs in a user through the API, sets
// PIN 730194, binds the approving sandbox card and tops up topup CNY.
func apiHolder(t *testing.T, name, topup string) holder {
	t.Helper()
	h := holder{phone: newPhone(), name: name, pin: "730194"}
	apiJSON(t, "POST", "/v1/users", "", map[string]string{"phone": h.phone, "password": password, "name": name}, nil)
	apiJSON(t, "POST", "/v1/users/verify", "", map[string]string{"phone": h.phone, "code": smsCode(t, h.phone)}, nil)
	var s struct {
		Token string `json:"token"`
	}
	apiJSON(t, "POST", "/v1/sessions", "", map[string]string{"phone": h.phone, "password": password}, &s)
	h.token = s.Token
	apiJSON(t, "PUT", "/v1/me/pin", h.token, map[string]string{"password": password, "pin": h.pin}, nil)
	var c struct {
		ID string `json:"id"`
	}
	apiJSON(t, "POST", "/v1/me/cards", h.token, map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "holder": name}, &c)
	if topup != "" {
		apiJSON(t, "POST", "/v1/topups", h.token, map[string]string{"card_id": c.ID, "amount": topup, "currency": "CNY", "pin": h.pin}, nil)
	}
	return h
}

// login logs a holder in through the log-in page.
func (b *tab) login(h holder) {
	b.t.Helper()
	b.open("/app/login")
	b.fill("#phone", h.phone)
	b.fill("#password", password)
	b.submit("#login-submit")
	b.wantText("h1", "My wallet")
}

// pollTrue waits until a page expression is true.
func pollTrue(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))(ctx, t)
		return err
	})
}
