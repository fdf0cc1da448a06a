package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ewallet/ewallet/store/walletsql"
	"github.com/ewallet/ewallet/wallet"
	"github.com/jackc/pgx/v5"
)

// WalletStore returns the wallet's store (users, sessions, cards, …) in this
// database. It runs on its own database/sql pool, apart from the ledger's
// connections, so wallet traffic never delays a ledger batch. Call it once
// and keep the store: each store prepares its own statements.
func (db *DB) WalletStore() wallet.Store {
	return walletsql.New(db.wallet, db.wallet, walletsql.PostgreSQL)
}

// walletConns caps the wallet pool; its statements are short, so a few
// connections per core serve many requests.
const walletConns = 16

// openWalletDB returns a database/sql handle on cfg's database. It connects
// lazily, on first use.
//
// Why not github.com/jackc/pgx/v5/stdlib: it imports pgxpool, which needs
// jackc/puddle, which go.sum does not carry (see pool.go). What database/sql
// needs from a driver is the small adapter below over pgx.Conn; pgx itself
// prepares and caches each statement per connection.
func openWalletDB(cfg *pgx.ConnConfig) *sql.DB {
	db := sql.OpenDB(connector{cfg: cfg})
	db.SetMaxOpenConns(walletConns)
	db.SetMaxIdleConns(walletConns) // a closed idle connection costs a new backend process to replace
	db.SetConnMaxIdleTime(time.Minute)
	return db
}

// connector opens pgx connections for database/sql.
type connector struct{ cfg *pgx.ConnConfig }

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	return &sqlConn{c: conn}, nil
}

func (connector) Driver() driver.Driver { return sqlDriver{} }

// sqlDriver exists because driver.Connector must name one; connections come
// only from the connector, which holds the parsed config.
type sqlDriver struct{}

func (sqlDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("postgres: wallet connections come from their connector")
}

// sqlConn is one pgx connection seen by database/sql.
type sqlConn struct {
	c *pgx.Conn
}

var (
	_ driver.ConnPrepareContext = (*sqlConn)(nil)
	_ driver.ConnBeginTx        = (*sqlConn)(nil)
	_ driver.ExecerContext      = (*sqlConn)(nil)
	_ driver.QueryerContext     = (*sqlConn)(nil)
	_ driver.Pinger             = (*sqlConn)(nil)
	_ driver.SessionResetter    = (*sqlConn)(nil)
	_ driver.Validator          = (*sqlConn)(nil)
)

func (c *sqlConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// PrepareContext defers to pgx, which prepares a statement on its first run
// on the connection and caches it there.
func (c *sqlConn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	if c.c.IsClosed() {
		return nil, driver.ErrBadConn
	}
	return &sqlStmt{c: c, query: query}, nil
}

func (c *sqlConn) Close() error {
	closeConn(c.c)
	return nil
}

func (c *sqlConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sqlConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	var o pgx.TxOptions
	switch sql.IsolationLevel(opts.Isolation) {
	case sql.LevelDefault:
	case sql.LevelReadCommitted:
		o.IsoLevel = pgx.ReadCommitted
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		o.IsoLevel = pgx.RepeatableRead
	case sql.LevelSerializable:
		o.IsoLevel = pgx.Serializable
	default:
		return nil, fmt.Errorf("postgres: isolation level %v not supported", sql.IsolationLevel(opts.Isolation))
	}
	if opts.ReadOnly {
		o.AccessMode = pgx.ReadOnly
	}
	tx, err := c.c.BeginTx(ctx, o)
	if err != nil {
		return nil, err
	}
	return sqlTx{tx}, nil
}

func (c *sqlConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if c.c.IsClosed() {
		return nil, driver.ErrBadConn
	}
	tag, err := c.c.Exec(ctx, query, values(args)...)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *sqlConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.c.IsClosed() {
		return nil, driver.ErrBadConn
	}
	rows, err := c.c.Query(ctx, query, values(args)...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c *sqlConn) Ping(ctx context.Context) error {
	if c.c.IsClosed() {
		return driver.ErrBadConn
	}
	return c.c.Ping(ctx)
}

// ResetSession and IsValid make database/sql drop a connection that pgx has
// closed (a broken socket, a cancelled query) instead of reusing it.
func (c *sqlConn) ResetSession(context.Context) error {
	if !c.IsValid() {
		return driver.ErrBadConn
	}
	return nil
}

func (c *sqlConn) IsValid() bool { return !c.c.IsClosed() }

// values passes database/sql's arguments to pgx as they are: the default
// converter has already made them int64, float64, bool, []byte, string,
// time.Time or nil, all of which pgx encodes.
func values(args []driver.NamedValue) []any {
	vs := make([]any, len(args))
	for i, a := range args {
		vs[i] = a.Value
	}
	return vs
}

type sqlStmt struct {
	c     *sqlConn
	query string
}

func (s *sqlStmt) Close() error  { return nil }
func (s *sqlStmt) NumInput() int { return -1 } // pgx checks the count

func (s *sqlStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("postgres: Exec without context is not supported")
}

func (s *sqlStmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("postgres: Query without context is not supported")
}

func (s *sqlStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}

func (s *sqlStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

// sqlTx is pgx's transaction; its Commit reports a transaction the server
// rolled back after an error, which a bare COMMIT would not.
type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Commit() error   { return t.tx.Commit(context.Background()) }
func (t sqlTx) Rollback() error { return t.tx.Rollback(context.Background()) }

type sqlRows struct{ r pgx.Rows }

func (r sqlRows) Columns() []string {
	fds := r.r.FieldDescriptions()
	names := make([]string, len(fds))
	for i, fd := range fds {
		names[i] = fd.Name
	}
	return names
}

// Close reports an error that came after the last row, such as a failed
// UPDATE … RETURNING, so that database/sql's Row.Scan sees it.
func (r sqlRows) Close() error {
	r.r.Close()
	return r.r.Err()
}

func (r sqlRows) Next(dest []driver.Value) error {
	if !r.r.Next() {
		if err := r.r.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vs, err := r.r.Values()
	if err != nil {
		return err
	}
	for i, v := range vs {
		// database/sql's driver values are 64-bit; pgx decodes integer and
		// smallint columns to int32 and int16.
		switch x := v.(type) {
		case int32:
			dest[i] = int64(x)
		case int16:
			dest[i] = int64(x)
		case float32:
			dest[i] = float64(x)
		default:
			dest[i] = v
		}
	}
	return nil
}
