package walletsql

import (
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect is what the store must know about the database behind
// database/sql: how placeholders are written and how a duplicate key is
// reported. Use SQLite or PostgreSQL.
type Dialect struct {
	name     string
	numbered bool // $1, $2, … instead of ?
	// unique reports whether err is a violation of the UNIQUE constraint
	// on table(column).
	unique func(err error, table, column string) bool
}

var (
	// SQLite is modernc.org/sqlite (SQLite 3.45 or later).
	SQLite = Dialect{name: "sqlite", unique: sqliteUnique}
	// PostgreSQL is PostgreSQL 15 or later, or CockroachDB, through a
	// database/sql driver built on pgx, whose errors are *pgconn.PgError.
	PostgreSQL = Dialect{name: "postgres", numbered: true, unique: pgUnique}
)

// String names the dialect.
func (d Dialect) String() string { return d.name }

// bind rewrites the ? placeholders of query to $1, $2, … where the dialect
// numbers them. A ? inside a '…' literal is left alone; the store's SQL has
// no other quoting.
func (d Dialect) bind(query string) string {
	if !d.numbered {
		return query
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted // '' inside a literal toggles twice
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// sqliteUnique matches SQLite's "UNIQUE constraint failed: table.column",
// the only place SQLite names what was violated.
func sqliteUnique(err error, table, column string) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(e.Error(), table+"."+column)
}

// pgUnique matches SQLSTATE 23505 on the constraint table_column_key, the
// name migration 0002 gives each UNIQUE the store tells apart.
func pgUnique(err error, table, column string) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505" && e.ConstraintName == table+"_"+column+"_key"
}
