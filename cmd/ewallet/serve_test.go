package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/api"
)

// startServe runs `ewallet serve` on a free port with args added and returns
// its base URL and a stop function that cancels it and returns run's error.
func startServe(t *testing.T, getenv func(string) string, args ...string) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), getenv, strings.NewReader(""), pw, io.Discard)
		pw.Close()
		done <- err
	}()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop within 15s of its context ending")
			return nil
		}
	}
	sc := bufio.NewScanner(pr)
	if !sc.Scan() {
		t.Fatalf("serve printed no address; run returned %v", stop())
	}
	go io.Copy(io.Discard, pr) // keep the pipe drained
	line := sc.Text()
	base, ok := strings.CutPrefix(line, "listening on ")
	if !ok {
		stop()
		t.Fatalf("first line %q is not the address", line)
	}
	return base, stop
}

// get makes a GET request and returns the status, the X-Request-Id and the
// JSON body decoded into a map.
func get(t *testing.T, url, token string) (int, string, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("X-Request-Id"), body
}

// waitHealthy polls /healthz until it answers 200.
func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not healthy after 10s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	mustSeedLedger(t, dir)
	base, stop := startServe(t, noEnv, "--data", dir, "--admin-token", "s3cret")
	waitHealthy(t, base)

	t.Run("Healthz", func(t *testing.T) {
		status, id, body := get(t, base+"/healthz", "")
		if status != 200 || body["status"] != "ok" || id == "" {
			t.Fatalf("%d %q %v", status, id, body)
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		status, id, _ := get(t, base+"/readyz", "")
		if status != 200 || id == "" {
			t.Fatalf("%d %q", status, id)
		}
	})
	t.Run("VerifyWithoutToken", func(t *testing.T) {
		for _, token := range []string{"", "wrong"} {
			status, id, body := get(t, base+"/v1/admin/ledger/verify", token)
			e, _ := body["error"].(map[string]any)
			if status != 401 || e["code"] != "unauthenticated" || e["request_id"] != id || id == "" {
				t.Fatalf("token %q: %d %q %v", token, status, id, body)
			}
		}
	})
	t.Run("Verify", func(t *testing.T) {
		status, id, body := get(t, base+"/v1/admin/ledger/verify", "s3cret")
		sums, _ := body["sums"].(map[string]any)
		if status != 200 || id == "" || body["ok"] != true || body["chain"] != "intact" ||
			body["transfers_checked"] != 2.0 || body["accounts_checked"] != 3.0 || sums["CNY"] != "0.00" || body["problem"] != nil {
			t.Fatalf("%d %q %v", status, id, body)
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		status, id, body := get(t, base+"/v1/nope", "s3cret")
		e, _ := body["error"].(map[string]any)
		if status != 404 || e["code"] != "not_found" || e["request_id"] != id {
			t.Fatalf("%d %q %v", status, id, body)
		}
	})
	t.Run("RequestIDsDiffer", func(t *testing.T) {
		_, a, _ := get(t, base+"/healthz", "")
		_, b, _ := get(t, base+"/healthz", "")
		if a == b {
			t.Fatalf("two requests got the same id %q", a)
		}
	})

	if err := stop(); err != nil {
		t.Fatalf("run returned %v after its context ended", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestServeAdminTokenFromEnv(t *testing.T) {
	base, stop := startServe(t, envOf(map[string]string{"EWALLET_ADMIN_TOKEN": "from-env"}), "--data", t.TempDir())
	defer stop()
	waitHealthy(t, base)
	status, _, body := get(t, base+"/v1/admin/ledger/verify", "from-env")
	if status != 200 || body["ok"] != true || body["transfers_checked"] != 0.0 {
		t.Fatalf("%d %v", status, body)
	}
}

func TestServeNoAdminToken(t *testing.T) {
	base, stop := startServe(t, noEnv, "--data", t.TempDir())
	defer stop()
	waitHealthy(t, base)
	// With no token configured, an empty bearer token must not match it.
	if status, _, _ := get(t, base+"/v1/admin/ledger/verify", " "); status != 401 {
		t.Fatalf("status %d", status)
	}
}

func TestServeBadAddr(t *testing.T) {
	_, _, err := runCmd(t, noEnv, "serve", "--addr", "127.0.0.1:99999", "--data", t.TempDir())
	if err == nil {
		t.Fatal("no error for an invalid address")
	}
}

func TestServeVerifyTampered(t *testing.T) {
	dir := t.TempDir()
	s := mustSeedLedger(t, dir)
	mustTamperEntry(t, dir, s.bob)
	base, stop := startServe(t, noEnv, "--data", dir, "--admin-token", "t")
	defer stop()
	waitHealthy(t, base)
	status, _, body := get(t, base+"/v1/admin/ledger/verify", "t")
	p, _ := body["problem"].(map[string]any)
	if status != 200 || body["ok"] != false || p["invariant"] != "entries" || p["table"] != "entries" ||
		p["row"] != fmt.Sprintf("account %d seq 2", s.bob) || p["message"] == "" {
		t.Fatalf("%d %v", status, body)
	}
}

type downDB struct{}

func (downDB) Ping(context.Context) error { return errors.New("connection refused") }

func TestReadyzDatabaseDown(t *testing.T) {
	h := api.New(api.Deps{DB: downDB{}, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(rec.Body.Bytes(), &body)
	id := rec.Header().Get("X-Request-Id")
	if rec.Code != 503 || body.Error.Code != "unavailable" || id == "" {
		t.Fatalf("%d %q %s", rec.Code, id, rec.Body)
	}
}
