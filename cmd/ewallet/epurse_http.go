package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The card and terminal commands talk to the server's /v1/epurse routes
// with this small JSON client. Credentials go in the Authorization header
// only; no error message here carries a token, key or PIN.

// maxAnswer bounds an answer body: a batch result for a few thousand
// records is well under it.
const maxAnswer = 16 << 20

// serverFlags are the flags every online card or terminal command takes:
// the server and the bearer credential (a user's session token or a
// merchant's secret key).
type serverFlags struct {
	url     string
	timeout time.Duration
	cred    string
	credEnv string
	name    string
	getenv  func(string) string
}

// userFlags are the server flags of a holder's command.
func userFlags(fs *flag.FlagSet, getenv func(string) string) *serverFlags {
	return addServerFlags(fs, getenv, "token", "EWALLET_TOKEN", "your session token")
}

// merchantKeyFlags are the server flags of a merchant's terminal command.
func merchantKeyFlags(fs *flag.FlagSet, getenv func(string) string) *serverFlags {
	return addServerFlags(fs, getenv, "key", "EWALLET_MERCHANT_KEY", "the merchant's secret key sk_...")
}

func addServerFlags(fs *flag.FlagSet, getenv func(string) string, credName, credEnv, credUsage string) *serverFlags {
	s := &serverFlags{credEnv: credEnv, name: credName, getenv: getenv}
	fs.StringVar(&s.url, "server", serverDefault(getenv), "base URL of the ewallet server (env EWALLET_SERVER)")
	fs.DurationVar(&s.timeout, "timeout", 15*time.Second, "longest wait for one answer of the server")
	// The credential's environment default is read after parsing: usage
	// prints flag defaults, and must not print a secret.
	fs.StringVar(&s.cred, credName, "", credUsage+" (env "+credEnv+")")
	return s
}

// client is the API client for the parsed flags.
func (s *serverFlags) client() (*apiClient, error) {
	u, err := url.Parse(s.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("--server must be an http(s):// URL")
	}
	cred := s.cred
	if cred == "" {
		cred = s.getenv(s.credEnv)
	}
	if cred == "" {
		return nil, fmt.Errorf("missing --%s (or %s)", s.name, s.credEnv)
	}
	return &apiClient{base: strings.TrimRight(s.url, "/"), credential: cred, hc: &http.Client{Timeout: s.timeout}}, nil
}

type apiClient struct {
	base       string
	credential string
	hc         *http.Client
}

// apiError is an error answer of the server.
type apiError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("server answered %d %s: %s", e.Status, e.Code, e.Message)
	if e.RequestID != "" {
		s += " (request " + e.RequestID + ")"
	}
	return s
}

// unreachableError is a request whose answer never came: it may or may not
// have been done.
type unreachableError struct{ err error }

func (e *unreachableError) Error() string { return "server unreachable: " + e.err.Error() }
func (e *unreachableError) Unwrap() error { return e.err }

// inDoubt reports whether err leaves the request's outcome unknown: no
// answer, or a gateway's answer instead of the server's.
func inDoubt(err error) bool {
	var u *unreachableError
	var a *apiError
	return errors.As(err, &u) || errors.As(err, &a) && (a.Status == http.StatusBadGateway ||
		a.Status == http.StatusServiceUnavailable || a.Status == http.StatusGatewayTimeout)
}

// call sends in as JSON (nil: no body) and decodes a 2xx answer into out.
func (c *apiClient) call(ctx context.Context, method, path, idemKey string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if c.credential != "" {
		req.Header.Set("Authorization", "Bearer "+c.credential)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return &unreachableError{err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		return &unreachableError{err}
	}
	if res.StatusCode/100 != 2 {
		return answerError(res.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, path, err)
	}
	return nil
}

// callRetrying is call, tried again while its outcome is in doubt. Only
// for requests that are idempotent: a GET, a completion, or a POST with an
// Idempotency-Key and the same body.
func (c *apiClient) callRetrying(ctx context.Context, method, path, idemKey string, in, out any) error {
	var err error
	for _, wait := range []time.Duration{0, 200 * time.Millisecond, 500 * time.Millisecond} {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if err = c.call(ctx, method, path, idemKey, in, out); !inDoubt(err) {
			return err
		}
	}
	return err
}

func answerError(status int, raw []byte) error {
	var e struct {
		Error struct {
			Code      string `json:"code"`
			Message   string `json:"message"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Code == "" {
		return &apiError{Status: status, Code: "unexpected_answer", Message: http.StatusText(status)}
	}
	return &apiError{Status: status, Code: e.Error.Code, Message: e.Error.Message, RequestID: e.Error.RequestID}
}

// newIdempotencyKey is a fresh key for one money movement.
func newIdempotencyKey(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}
