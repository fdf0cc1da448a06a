package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// apiError is an error answer of the JSON API: its status and the
// contract's code and message.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// unauthenticated reports whether the credential is no longer good (an
// expired session, a revoked key).
func (e *apiError) unauthenticated() bool {
	return e != nil && e.Status == http.StatusUnauthorized && e.Code == "unauthenticated"
}

// answer is a raw answer of the API.
type answer struct {
	status int
	header http.Header
	body   bytes.Buffer
}

// recorder is the http.ResponseWriter the API writes its answer into.
type recorder struct{ answer }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(b)
}

// call runs one request through the API handler in-process, acting with
// the credential of area a, and decodes a 2xx answer into out (nil: none).
// idemKey, when set, is sent as Idempotency-Key. Any non-2xx comes back as
// the contract's error.
func (q *req) call(a area, method, path, idemKey string, in, out any) *apiError {
	ans, err := q.send(a, method, path, idemKey, in)
	if err != nil {
		return err
	}
	if out == nil || ans.body.Len() == 0 {
		return nil
	}
	if err := json.Unmarshal(ans.body.Bytes(), out); err != nil {
		q.s.Log.Error("web: undecodable API answer", "path", path, "err", err)
		return &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: "undecodable answer"}
	}
	return nil
}

// send is call without decoding: for the answers that are files (PDF,
// CSV, PNG) the app hands on to the browser.
func (q *req) send(a area, method, path, idemKey string, in any) (*answer, *apiError) {
	var body io.Reader = http.NoBody
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
		}
		body = bytes.NewReader(b)
	}
	r, err := http.NewRequestWithContext(q.r.Context(), method, path, body)
	if err != nil {
		return nil, &apiError{Status: http.StatusInternalServerError, Code: "internal", Message: err.Error()}
	}
	// The browser's address, so the API's per-IP limits and logs see the
	// real client, not the app.
	r.RemoteAddr = q.r.RemoteAddr
	r.Host = q.r.Host
	r.Header.Set("User-Agent", q.r.UserAgent())
	if in != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if tok := q.credential(a); tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	if idemKey != "" {
		r.Header.Set("Idempotency-Key", idemKey)
	}
	rec := &recorder{answer{header: http.Header{}}}
	q.s.API.ServeHTTP(rec, r)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if rec.status >= 200 && rec.status < 300 {
		return &rec.answer, nil
	}
	return nil, decodeError(rec.status, rec.body.Bytes())
}

// decodeError reads the contract's error body.
func decodeError(status int, body []byte) *apiError {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code == "" {
		return &apiError{Status: status, Code: "internal", Message: http.StatusText(status)}
	}
	return &apiError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
}
