package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLogin: the token printed works on the API; the password comes from
// standard input or the environment, and a wrong one is the server's 401.
func TestLogin(t *testing.T) {
	c := newClient(t, noEnv, "--data", t.TempDir())
	u := c.mustUser("Rider")
	login := func(env map[string]string, stdin string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(context.Background(), append([]string{"login", "--server", c.base}, args...), envOf(env), strings.NewReader(stdin), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		stdin string
	}{
		{"stdin", nil, password + "\n"},
		{"environment", map[string]string{"EWALLET_PASSWORD": password}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, err := login(tc.env, tc.stdin, "--phone", u.phone)
			if err != nil {
				t.Fatalf("login: %v %s", err, errOut)
			}
			tok := strings.TrimSpace(out)
			if !strings.HasPrefix(tok, "ewt_") || strings.Count(out, "\n") != 1 {
				t.Fatalf("stdout %q, want the token alone", out)
			}
			want(t, c.do("GET", "/v1/me", tok, "", nil), 200, "")
		})
	}
	_, _, err := login(nil, "not the password\n", "--phone", u.phone)
	if err == nil || !strings.Contains(err.Error(), "invalid_credentials") {
		t.Fatalf("a wrong password: %v", err)
	}
	if _, _, err := login(nil, "", "--phone", u.phone); err == nil || !strings.Contains(err.Error(), "no password") {
		t.Fatalf("no password: %v", err)
	}
}
