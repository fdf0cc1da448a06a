package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/store/postgres"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/wallet"
)

// storage is what the subcommands need of a database: the ledger's Store
// and a health check. Both store/sqlite and store/postgres provide it.
type storage interface {
	ledger.Store
	Ping(ctx context.Context) error
	WalletStore() wallet.Store
}

var (
	_ storage = (*sqlite.DB)(nil)
	_ storage = (*postgres.DB)(nil)
)

// storeFlags are the flags that choose the database: --data DIR for the
// embedded SQLite file DIR/ewallet.db (the default), or --db for PostgreSQL.
// EWALLET_DATA and EWALLET_DB stand in for flags not given.
type storeFlags struct {
	getenv   func(string) string
	data, db string
	fs       *flag.FlagSet
	// beside: the command may run beside a server on the same embedded
	// database (sqlite.OpenShared). Its reads see the server's commits;
	// a ledger transfer of its own is refused while the server runs.
	beside bool
}

// sqliteFile is the database file's name inside the data directory.
const sqliteFile = "ewallet.db"

func addStoreFlags(fs *flag.FlagSet, getenv func(string) string) *storeFlags {
	s := &storeFlags{getenv: getenv, fs: fs}
	fs.StringVar(&s.data, "data", "./ewallet-data", "data directory of the embedded database (env EWALLET_DATA)")
	fs.StringVar(&s.db, "db", "", "PostgreSQL URL postgres://...; selects PostgreSQL instead of the embedded database (env EWALLET_DB)")
	return s
}

// resolve applies the environment to the flags not given and returns the
// PostgreSQL URL (empty: use SQLite) and the SQLite path. A flag beats the
// environment; both flags at once are an error.
func (s *storeFlags) resolve() (dbURL, sqlitePath string, err error) {
	set := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	data, db := s.data, s.db
	switch {
	case set["data"] && set["db"]:
		return "", "", errors.New("give --data (embedded database) or --db (PostgreSQL), not both")
	case set["data"]:
	case set["db"]:
	case s.getenv("EWALLET_DB") != "":
		db = s.getenv("EWALLET_DB")
	case s.getenv("EWALLET_DATA") != "":
		data = s.getenv("EWALLET_DATA")
	}
	if db != "" {
		if !strings.HasPrefix(db, "postgres://") && !strings.HasPrefix(db, "postgresql://") {
			return "", "", fmt.Errorf("--db must be a postgres:// URL, not %q", redactURL(db))
		}
		return db, "", nil
	}
	if data == "" {
		return "", "", errors.New("--data must not be empty")
	}
	return "", filepath.Join(data, sqliteFile), nil
}

// open opens the chosen database and applies its migrations. It returns a
// description of it for logs, with any password hidden.
func (s *storeFlags) open(ctx context.Context) (storage, string, error) {
	dbURL, path, err := s.resolve()
	if err != nil {
		return nil, "", err
	}
	if dbURL != "" {
		db, err := postgres.Open(ctx, dbURL)
		if err != nil {
			return nil, "", fmt.Errorf("open %s: %w", redactURL(dbURL), err)
		}
		return db, "postgres " + redactURL(dbURL), nil
	}
	open := sqlite.Open
	if s.beside {
		open = sqlite.OpenShared
	}
	db, err := open(ctx, path)
	if errors.Is(err, sqlite.ErrInUse) {
		return nil, "", fmt.Errorf("open %s: %w (is `ewallet serve` running on it? One process writes the embedded database's ledger at a time)", path, err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", path, err)
	}
	return db, "sqlite " + path, nil
}

// redactURL hides a URL's password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// dataDir is the data directory: the embedded database's home, and where
// the server's key files live whichever database is used.
func (s *storeFlags) dataDir() string {
	set := false
	s.fs.Visit(func(f *flag.Flag) { set = set || f.Name == "data" })
	if !set && s.getenv("EWALLET_DATA") != "" {
		return s.getenv("EWALLET_DATA")
	}
	return s.data
}
