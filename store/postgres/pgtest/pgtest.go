// Package pgtest gives tests a fresh, empty PostgreSQL schema of their own.
//
// The server comes from EWALLET_TEST_POSTGRES (a postgres:// URL; default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Setting it to
// "off" skips the tests that need PostgreSQL; otherwise an unreachable server
// fails them, so a missing database never passes for a green run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server used when EWALLET_TEST_POSTGRES is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// URL creates the schema t_<random> and returns a connection URL whose
// search_path is that schema. The schema is dropped, with everything in it,
// when the test ends (after the cleanups registered later, such as closing
// the store).
func URL(t testing.TB) string {
	t.Helper()
	server := os.Getenv("EWALLET_TEST_POSTGRES")
	switch server {
	case "off":
		t.Skip("EWALLET_TEST_POSTGRES=off")
	case "":
		server = DefaultURL
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if err := exec(server, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("pgtest: PostgreSQL at %s is not usable (start it, point EWALLET_TEST_POSTGRES at a server, or set EWALLET_TEST_POSTGRES=off to skip): %v", redact(server), err)
	}
	t.Cleanup(func() {
		if err := exec(server, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	return withSearchPath(server, schema)
}

// exec runs one statement on its own short-lived connection.
func exec(server, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, server)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, stmt)
	return err
}

// withSearchPath adds search_path to a URL or to a key=value connection string.
func withSearchPath(server, schema string) string {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return strings.TrimSpace(server) + " search_path=" + schema
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redact hides a password in the URL, for messages.
func redact(server string) string {
	if u, err := url.Parse(server); err == nil && u.User != nil {
		return u.Redacted()
	}
	return server
}
