package bench

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ewallet/ewallet/money"
)

// The HTTP level drives a running `ewallet serve --dev` the way phones
// would: real users registered by SMS code, sessions, PINs, cards, top-ups
// through the sandbox bank, and transfers with idempotency keys, retried
// with the same key when the answer is lost.

// httpFundEach is what each of n users tops up: 10,000.00 CNY, or more
// when there are fewer users than BENCH.md's 10,000, so that the run holds
// the same 100,000,000.00 CNY in all. W2's payers never get money back, so
// with less in all they would run dry within seconds and the run would
// measure refusals.
func httpFundEach(n int) int64 {
	return max(fundAmount, fundAmount*10_000/int64(max(n, 1)))
}

const benchPIN = "730194"

// httpServer is the server under test and how to reach it.
type httpServer struct {
	base, admin string
	client      *http.Client
	pid         int
	stop        func() error
}

// startServer runs `ewallet serve --dev` as a child process on a fresh
// database, or uses c.URL when given.
func startServer(ctx context.Context, c Config) (*httpServer, error) {
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	if c.URL != "" {
		return &httpServer{base: strings.TrimSuffix(c.URL, "/"), admin: c.AdminToken, client: hc, stop: func() error { return nil }}, nil
	}
	exe := c.ServerBinary
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(c.DataDir, "bench-http-")
	if err != nil {
		return nil, err
	}
	var tok [16]byte
	crand.Read(tok[:])
	admin := hex.EncodeToString(tok[:])
	args := []string{"serve", "--dev", "--addr", "127.0.0.1:0", "--admin-token", admin, "--log-level", "error"}
	env := append(os.Environ(), "EWALLET_DATA="+dir, "EWALLET_DB=")
	if p := os.Getenv("EWALLET_CPUPROFILE"); p != "" {
		// The server profiles itself too; not into the bench's own file.
		env = append(env, "EWALLET_CPUPROFILE="+p+".server")
	}
	drop := func() error { return nil }
	if c.Backend == Postgres {
		url, d, err := scratchDB(ctx, c.DB, "ewallet_bench_")
		if err != nil {
			return nil, err
		}
		args, drop = append(args, "--db", url), d
	} else {
		args = append(args, "--data", dir)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, errors.Join(err, drop())
	}
	stop := func() error {
		cmd.Process.Signal(os.Interrupt)
		werr := cmd.Wait()
		return errors.Join(werr, drop(), os.RemoveAll(dir))
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		return nil, errors.Join(fmt.Errorf("server did not start (first line %q)", line), stop())
	}
	go io.Copy(io.Discard, out)
	return &httpServer{base: base, admin: admin, client: hc, pid: cmd.Process.Pid, stop: stop}, nil
}

// call sends one JSON request and decodes the answer into out (if not nil).
func (s *httpServer) call(ctx context.Context, method, path, token, key string, body, out any) (int, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, "", err
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		json.Unmarshal(raw, &e)
		return res.StatusCode, e.Error.Code, nil
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return res.StatusCode, "", fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return res.StatusCode, "", nil
}

// send is call for a request that may move money, made the way a phone
// makes it: an answer lost to the network, a 5xx or a 409
// request_in_progress is retried with the same Idempotency-Key, up to 20
// times 10 ms apart. It returns the first real answer (2xx or 4xx) or, when
// none came, an error that ends the run.
func (s *httpServer) send(ctx context.Context, method, path, token, key string, body, out any) (int, string, error) {
	for attempt := 0; ; attempt++ {
		status, code, err := s.call(ctx, method, path, token, key, body, out)
		if err == nil && status < 500 && code != "request_in_progress" {
			if status >= 400 && code == "" {
				code = "http_" + strconv.Itoa(status)
			}
			return status, code, nil
		}
		if attempt >= 20 || ctx.Err() != nil {
			return status, code, fmt.Errorf("%s %s (key %s): status %d %s %v", method, path, key, status, code, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// must is call that wants status.
func (s *httpServer) must(ctx context.Context, status int, method, path, token, key string, body, out any) error {
	got, code, err := s.call(ctx, method, path, token, key, body, out)
	if err == nil && got != status {
		err = fmt.Errorf("%s %s: %d %s, want %d", method, path, got, code, status)
	}
	return err
}

// benchUser is a wallet holder of the HTTP workload.
type benchUser struct {
	phone, token, wallet string
	card                 string // the bound sandbox card that always approves
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// newUser walks a phone through registration, verification, login, PIN,
// KYC tier 3 without daily or yearly limits (so the run measures the
// ledger, not the limits), a card and its funding.
func (s *httpServer) newUser(ctx context.Context, phone string, fund int64) (benchUser, error) {
	u := benchUser{phone: phone}
	const pw = "bench password 2026"
	var user struct{ ID string }
	if err := s.must(ctx, 201, "POST", "/v1/users", "", "", map[string]string{"phone": phone, "password": pw, "name": "bench " + phone}, &user); err != nil {
		return u, err
	}
	var sms struct{ Data []struct{ Text string } }
	if err := s.must(ctx, 200, "GET", "/v1/dev/sms?phone=%2B"+strings.TrimPrefix(phone, "+"), "", "", nil, &sms); err != nil {
		return u, err
	}
	if len(sms.Data) == 0 || codeRE.FindString(sms.Data[0].Text) == "" {
		return u, fmt.Errorf("no SMS code for %s (is the server running with --dev?)", phone)
	}
	code := codeRE.FindString(sms.Data[0].Text)
	if err := s.must(ctx, 200, "POST", "/v1/users/verify", "", "", map[string]string{"phone": phone, "code": code}, nil); err != nil {
		return u, err
	}
	var sess struct{ Token string }
	if err := s.must(ctx, 201, "POST", "/v1/sessions", "", "", map[string]string{"phone": phone, "password": pw}, &sess); err != nil {
		return u, err
	}
	u.token = sess.Token
	if err := s.must(ctx, 204, "PUT", "/v1/me/pin", u.token, "", map[string]string{"password": pw, "pin": benchPIN}, nil); err != nil {
		return u, err
	}
	kyc := map[string]any{"tier": 3, "limits": map[string]string{"daily": "unlimited", "yearly": "unlimited"}}
	if err := s.must(ctx, 200, "POST", "/v1/admin/users/"+user.ID+"/kyc", s.admin, "", kyc, nil); err != nil {
		return u, err
	}
	var card struct{ ID string }
	if err := s.must(ctx, 201, "POST", "/v1/me/cards", u.token, "", map[string]any{"number": "4242424242424242", "exp_month": 12, "exp_year": 2099, "holder": "Bench"}, &card); err != nil {
		return u, err
	}
	u.card = card.ID
	var top struct{ Status string }
	body := map[string]string{"card_id": card.ID, "amount": money.Format(fund, money.CNY), "currency": "CNY", "pin": benchPIN}
	if err := s.must(ctx, 201, "POST", "/v1/topups", u.token, "fund", body, &top); err != nil {
		return u, err
	}
	if top.Status != "succeeded" {
		return u, fmt.Errorf("funding top-up of %s: %s", phone, top.Status)
	}
	var me struct {
		WalletID string `json:"wallet_id"`
	}
	err := s.must(ctx, 200, "GET", "/v1/me", u.token, "", nil, &me)
	u.wallet = me.WalletID
	return u, err
}

// setupHTTP registers n users (and W2's merchant wallet) with 8 at a time:
// each costs three password hashes on the server.
func setupHTTP(ctx context.Context, s *httpServer, w Workload, n int) (users []benchUser, merchant benchUser, err error) {
	var rnd [4]byte
	crand.Read(rnd[:])
	prefix := fmt.Sprintf("+1999%03d", (int(rnd[0])<<8|int(rnd[1]))%1000)
	count := n
	if w == W2 {
		count++
	}
	out := make([]benchUser, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= count {
					return
				}
				u, err := s.newUser(ctx, fmt.Sprintf("%s%06d", prefix, i), httpFundEach(n))
				if err != nil {
					errs <- err
					return
				}
				out[i] = u
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, benchUser{}, err
	}
	if w == W2 {
		return out[:n], out[n], nil
	}
	return out, benchUser{}, nil
}

// driveHTTP runs the workload's callers for c.Duration. A transfer whose
// answer is lost (network error, 5xx, 409 request_in_progress) is retried
// with the same key, as a phone would, until it gets an answer.
func driveHTTP(ctx context.Context, s *httpServer, users []benchUser, merchant benchUser, c Config) (stats, time.Duration, error) {
	deadline := time.Now().Add(c.Duration)
	per := make([]stats, c.Callers)
	var wg sync.WaitGroup
	var fatal atomic.Value
	start := time.Now()
	var seq atomic.Int64
	for i := range c.Callers {
		wg.Go(func() {
			st := &per[i]
			st.errs = map[string]int64{}
			r := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for time.Now().Before(deadline) && ctx.Err() == nil {
				from := r.IntN(len(users))
				to := merchant
				if c.Workload != W2 {
					j := r.IntN(len(users) - 1)
					if j >= from {
						j++
					}
					to = users[j]
				}
				amount := money.Format(1+r.Int64N(maxAmount), money.CNY)
				body := map[string]any{"to": map[string]string{"wallet_id": to.wallet}, "amount": amount, "currency": "CNY", "pin": benchPIN}
				key := "bench-" + strconv.FormatInt(seq.Add(1), 10)
				t0 := time.Now()
				status, code, err := s.send(ctx, "POST", "/v1/transfers", users[from].token, key, body, nil)
				if err != nil {
					fatal.Store(fmt.Errorf("transfer: %w", err))
					return
				}
				if status == 201 {
					st.ok++
				} else {
					st.errs[code]++
				}
				st.lat.Record(time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var total stats
	total.errs = map[string]int64{}
	for i := range per {
		total.ok += per[i].ok
		total.lat.Merge(&per[i].lat)
		for k, v := range per[i].errs {
			total.errs[k] += v
		}
	}
	if err, _ := fatal.Load().(error); err != nil {
		return total, elapsed, err
	}
	return total, elapsed, nil
}

// checkHTTPBalances is the bank invariant over HTTP: every user's and the
// merchant's balances add up to exactly what was topped up.
func checkHTTPBalances(ctx context.Context, s *httpServer, users []benchUser, merchant benchUser, fund int64) error {
	all := append([]benchUser(nil), users...)
	if merchant.token != "" {
		all = append(all, merchant)
	}
	var sum int64
	for _, u := range all {
		n, err := s.balanceCNY(ctx, "/v1/me/balances", u.token)
		if err != nil {
			return err
		}
		sum += n
	}
	want := int64(len(all)) * fund
	if sum != want {
		return fmt.Errorf("balances sum to %s CNY, top-ups to %s", money.Format(sum, money.CNY), money.Format(want, money.CNY))
	}
	return nil
}

// balanceCNY is the CNY total (available + pending) that path
// (/v1/me/balances or /v1/merchant/balances) shows to token's holder.
func (s *httpServer) balanceCNY(ctx context.Context, path, token string) (int64, error) {
	var b struct {
		Data []struct{ Currency, Total string }
	}
	if err := s.must(ctx, 200, "GET", path, token, "", nil, &b); err != nil {
		return 0, err
	}
	var sum int64
	for _, row := range b.Data {
		if row.Currency == "CNY" {
			n, err := money.Parse(row.Total, money.CNY)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", path, err)
			}
			sum += n
		}
	}
	return sum, nil
}

// verifyLedger asks the server to check every ledger invariant and returns
// the problem it found ("" when the ledger is sound).
func (s *httpServer) verifyLedger(ctx context.Context) (problem string, err error) {
	var v struct {
		OK      bool `json:"ok"`
		Problem *struct {
			Message string `json:"message"`
		} `json:"problem"`
	}
	if err := s.must(ctx, 200, "GET", "/v1/admin/ledger/verify", s.admin, "", nil, &v); err != nil {
		return "", err
	}
	switch {
	case v.OK:
		return "", nil
	case v.Problem != nil && v.Problem.Message != "":
		return v.Problem.Message, nil
	}
	return "the server answered ok=false without a problem", nil
}

// serverRSS reads the peak resident memory of the server process.
func serverRSS(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return round(kb/1024, 1)
		}
	}
	return 0
}

// runHTTP is Run at the HTTP level.
func runHTTP(ctx context.Context, c Config, fsyncs float64, logf func(string, ...any)) (Result, error) {
	s, err := startServer(ctx, c)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if err := s.stop(); err != nil {
			logf("server stop: %v", err)
		}
	}()
	if c.Workload == W4 {
		return runMixed(ctx, c, s, fsyncs, logf)
	}
	start := time.Now()
	users, merchant, err := setupHTTP(ctx, s, c.Workload, c.Users)
	if err != nil {
		return Result{}, fmt.Errorf("setup: %w", err)
	}
	logf("%d users registered and funded over HTTP in %.1fs; %d callers for %s", c.Users, time.Since(start).Seconds(), c.Callers, c.Duration)
	st, elapsed, err := driveHTTP(ctx, s, users, merchant, c)
	if err != nil {
		return Result{}, err
	}
	r := Result{Workload: c.Workload, Level: c.Level, Backend: c.Backend, Callers: c.Callers, Seconds: round(elapsed.Seconds(), 2),
		Transfers: st.ok, TPS: round(float64(st.ok)/elapsed.Seconds(), 1), P50ms: ms(st.lat.Percentile(50)), P95ms: ms(st.lat.Percentile(95)),
		P99ms: ms(st.lat.Percentile(99)), Errors: st.errs, RSSMB: serverRSS(s.pid), FsyncsPerS: math.Round(fsyncs), Verify: "ok"}
	logf("%d transfers committed; verifying the ledger and the balances", st.ok)
	problem, err := s.verifyLedger(ctx)
	if err != nil {
		return r, err
	}
	if err := checkHTTPBalances(ctx, s, users, merchant, httpFundEach(c.Users)); err != nil {
		r.Verify, r.Problem = "failed", err.Error()
		return r, err
	}
	if problem != "" {
		r.Verify, r.Problem = "failed", problem
		return r, errors.New("ledger verification failed: " + r.Problem)
	}
	return r, nil
}
