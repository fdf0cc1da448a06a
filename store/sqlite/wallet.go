package sqlite

import (
	"github.com/ewallet/ewallet/store/walletsql"
	"github.com/ewallet/ewallet/wallet"
)

// WalletStore returns the wallet's store (users, sessions, cards, …) in this
// database file. Its writes share the ledger's writer connection, one
// statement at a time, so they queue behind a group commit and never hold
// the writer across calls; its reads use the read-only pool. Call it once
// and keep the store: each store prepares its own statements.
func (db *DB) WalletStore() wallet.Store {
	return walletsql.New(db.read, db.write, walletsql.SQLite)
}
