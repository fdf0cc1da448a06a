package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// scratchDB creates a database named prefix plus a random suffix on the
// PostgreSQL server at serverURL and returns its URL and a drop function
// that removes it (WITH (FORCE): connections left open do not keep it).
// drop runs even after ctx ends, so an interrupted run cleans up too.
func scratchDB(ctx context.Context, serverURL, prefix string) (dbURL string, drop func() error, err error) {
	name := prefix + randomHex(6)
	dbURL, err = withDatabase(serverURL, name)
	if err != nil {
		return "", nil, err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := adminExec(ctx, serverURL, "CREATE DATABASE "+ident); err != nil {
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func() error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := adminExec(ctx, serverURL, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	return dbURL, drop, nil
}

// withDatabase returns the PostgreSQL URL u naming database name instead.
func withDatabase(u, name string) (string, error) {
	if !IsPostgresURL(u) {
		return "", fmt.Errorf("not a postgres:// URL: %q", redact(u))
	}
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("parse database URL: %w", err)
	}
	p.Path, p.RawPath = "/"+name, ""
	return p.String(), nil
}

// IsPostgresURL reports whether s is a postgres:// or postgresql:// URL.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// redact hides a URL's password, for messages.
func redact(s string) string {
	p, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// adminExec runs one statement on its own connection to serverURL.
func adminExec(ctx context.Context, serverURL, sql string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}
