// Package banksim is the sandbox bank of `ewallet banksim`: a separate
// service with its own database and its own double-entry ledger (our
// ledger package on store/sqlite) of card balances and the wallet
// operator's account. It authorises and captures charges, pays out to
// cards, refunds, answers status queries, posts signed callbacks with the
// outcome, serves daily statements (camt.053 XML and CSV), and misbehaves
// on request or by chance (see Behaviour). It speaks bank/bankwire.
package banksim

import (
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// Bank is an open sandbox bank.
type Bank struct {
	cfg     Config
	db      *sqlite.DB
	l       *ledger.Ledger
	sql     *sql.DB // the bank's own tables, in the same file
	cardKey []byte  // keys the card accounts' names; a number never is one
	choose  *chooser
	refunds sync.Mutex // one refund decision at a time, so refunds never exceed their charge
}

// File names in the bank's data directory.
const (
	dbFile      = "bank.db"
	cardKeyFile = "card.key"
)

// Open opens (creating if needed) the bank whose data lives in dir.
func Open(ctx context.Context, dir string, cfg Config) (*Bank, error) {
	cfg.defaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	key, err := loadKey(filepath.Join(dir, cardKeyFile))
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, dbFile)
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	own, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode()+"&_txlock=immediate")
	if err == nil {
		own.SetMaxOpenConns(4)
		_, err = own.ExecContext(ctx, schema)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("banksim: open tables: %w", err)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	b := &Bank{cfg: cfg, db: db, sql: own, cardKey: key, l: ledger.New(db, ledger.Options{}),
		choose: &chooser{rng: rand.New(rand.NewPCG(seed, seed>>1|1)), rate: cfg.ChaosRate, among: cfg.Chaos, header: !cfg.NoHeaderBehaviour}}
	return b, nil
}

// Close stops the ledger and closes the database.
func (b *Bank) Close() error {
	err := b.l.Close()
	return errors.Join(err, b.sql.Close(), b.db.Close())
}

// Ledger is the bank's ledger (tests verify it).
func (b *Bank) Ledger() *ledger.Ledger { return b.l }

// DB is the bank's ledger store.
func (b *Bank) DB() *sqlite.DB { return b.db }

func (b *Bank) now() time.Time { return b.cfg.Now().UTC() }

// loadKey reads the card key, creating it on first start.
func loadKey(path string) ([]byte, error) {
	if k, err := os.ReadFile(path); err == nil && len(k) == 32 {
		return k, nil
	}
	k := make([]byte, 32)
	crand.Read(k)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, k, 0o600); err != nil {
		return nil, err
	}
	return k, os.Rename(tmp, path)
}

// Ledger account names.
func operatorAccount(c money.Currency) string { return "sim:operator:" + string(c) } // the wallet operator's account
func issuerAccount(c money.Currency) string   { return "sim:issuer:" + string(c) }   // where card money comes from

// cardAccount names a card's account by a keyed hash of its number, so
// that the number never reaches the database or a log.
func (b *Bank) cardAccount(number string, c money.Currency) string {
	m := hmac.New(sha256.New, b.cardKey)
	m.Write([]byte(number))
	return "sim:card:" + hex.EncodeToString(m.Sum(nil)[:12]) + ":" + string(c)
}

// ensureCard opens the card's account on first sight, funded with the
// opening balance from the issuer (none for CardInsufficient). Both steps
// are idempotent by name and transfer ID.
func (b *Bank) ensureCard(ctx context.Context, number string, c money.Currency) (string, error) {
	name := b.cardAccount(number, c)
	as, err := b.l.CreateAccounts(ctx, []ledger.AccountSpec{
		{Name: name, Currency: c, Flags: ledger.NoNegative},
		{Name: issuerAccount(c), Currency: c},
		{Name: operatorAccount(c), Currency: c},
	})
	if err != nil {
		return "", err
	}
	if number == CardInsufficient || as[0].LastSeq != 0 {
		return name, nil
	}
	_, err = b.l.Transfer(ctx, ledger.Move("open:"+name, "opening", as[1].ID, as[0].ID, b.cfg.Opening))
	return name, err
}

// accountID returns the ID of a named account, which must exist.
func (b *Bank) accountID(ctx context.Context, name string) (ledger.AccountID, error) {
	a, err := b.l.AccountByName(ctx, name)
	return a.ID, err
}

// Balance returns a named account's posted balance and held amount (0, 0
// when it does not exist).
func (b *Bank) Balance(ctx context.Context, name string) (posted, held int64, err error) {
	a, err := b.l.AccountByName(ctx, name)
	if ledger.ErrorCode(err) == ledger.CodeNotFound {
		return 0, 0, nil
	}
	return a.Posted, a.Held, err
}

// CardBalance returns a card's balance at the bank.
func (b *Bank) CardBalance(ctx context.Context, number string, c money.Currency) (posted, held int64, err error) {
	return b.Balance(ctx, b.cardAccount(number, c))
}

// OperatorBalance returns the wallet operator's balance at the bank.
func (b *Bank) OperatorBalance(ctx context.Context, c money.Currency) (int64, error) {
	posted, _, err := b.Balance(ctx, operatorAccount(c))
	return posted, err
}
