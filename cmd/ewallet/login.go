package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runLogin is `ewallet login`: it opens a session (POST /v1/sessions) and
// prints only the token, so that `export EWALLET_TOKEN=$(ewallet login
// --phone …)` gives the card commands their credential. The password comes
// from EWALLET_PASSWORD or the first line of standard input, never from a
// flag, which would leave it in the shell's history and in ps.
func runLogin(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "login", "--server URL --phone +86... (password on stdin or EWALLET_PASSWORD)")
	server := fs.String("server", serverDefault(e.getenv), "base URL of the ewallet server (env EWALLET_SERVER)")
	phone := fs.String("phone", e.getenv("EWALLET_PHONE"), "the phone number you registered with (env EWALLET_PHONE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--server must be an http(s):// URL")
	}
	if *phone == "" {
		return errors.New("missing --phone (or EWALLET_PHONE)")
	}
	password := e.getenv("EWALLET_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return errors.New("no password: give it on standard input or in EWALLET_PASSWORD")
		}
		password = strings.TrimRight(line, "\r\n")
	}
	c := &apiClient{base: strings.TrimRight(*server, "/"), hc: &http.Client{Timeout: 15 * time.Second}}
	var sess struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := c.call(ctx, "POST", "/v1/sessions", "", map[string]string{"phone": *phone, "password": password}, &sess); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, sess.Token)
	fmt.Fprintf(e.stderr, "logged in until %s\n", sess.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// serverDefault is the server a command talks to unless --server says.
func serverDefault(getenv func(string) string) string {
	if s := getenv("EWALLET_SERVER"); s != "" {
		return s
	}
	return "http://127.0.0.1:8080"
}
