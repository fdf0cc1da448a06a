package api

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// ---- FuzzRouting -----------------------------------------------------------

func FuzzRouting(f *testing.F) {
	s := newTestServer(f)
	for _, rt := range routes {
		p := strings.ReplaceAll(strings.ReplaceAll(rt.path, "{id}", "x"), "{", "")
		for _, m := range []string{rt.method, "PATCH"} {
			f.Add(m, p, uint8(0))
			f.Add(m, p+"/", uint8(1))
		}
	}
	for _, p := range []string{"/", "/v1", "/v1/", "/V1/me", "/v1/me/cards/", "/v1/me/cards/a%2Fb", "/v1/topups/%00",
		"/v1/me/cards/x/y", "/%", "/v1/admin/users/x/kyc/", "/\xff"} {
		f.Add("GET", p, uint8(2))
		f.Add("DELETE", p, uint8(1))
	}
	f.Fuzz(func(t *testing.T, method, target string, who uint8) {
		if !validMethod(method) || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, "?# ") ||
			strings.ContainsFunc(target, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Skip("cannot be sent in a request line")
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Skip("not a request URI")
		}
		// No user token: with one, DELETE /v1/sessions/current would log
		// the user out. A bogus token must get what no token gets.
		token := []string{"", testAdminToken, "ewt_bogus"}[int(who)%3]
		r := s.do(method, target, token, "", nil)
		name := method + " " + target
		if r.status >= 300 && r.status < 400 {
			t.Fatalf("%s: %d redirect to %q, want a JSON answer: %q", name, r.status, r.header.Get("Location"), r.body)
		}
		checkAnswer(t, s, name, allow("200, 201, 204, 400 invalid_request, 401 unauthenticated, 404 not_found"), r)
		if (!servedPath(target) || cleanPath(u.Path) != u.Path) && (r.status != 404 || r.errorCode() != "not_found") {
			t.Fatalf("%s: no route has this path, got %d %q, want 404 not_found", name, r.status, r.errorCode())
		}
	})
}

// validMethod reports whether m is an HTTP token.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for _, c := range []byte(m) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// servedPath reports whether an escaped request path matches the path of
// some route, segment by segment (each unescaped, as http.ServeMux does),
// a {param} matching any non-empty one.
func servedPath(p string) bool {
	got := strings.Split(p, "/")
	for i, seg := range got {
		got[i], _ = url.PathUnescape(seg)
	}
	for _, rt := range routes {
		want := strings.Split(rt.path, "/")
		if len(want) != len(got) {
			continue
		}
		match := true
		for i := range want {
			if strings.HasPrefix(want[i], "{") {
				match = match && got[i] != ""
			} else {
				match = match && want[i] == got[i]
			}
		}
		if match {
			return true
		}
	}
	return false
}

// cleanPath is path.Clean keeping a trailing slash, as http.ServeMux
// cleans before matching.
func cleanPath(p string) string {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}
