package ledger

// maxCached bounds the balance cache; past it the cache starts over.
const maxCached = 1 << 20

// balanceCache keeps the balances of accounts the writer has seen, so a
// batch loads from the store only the accounts it has not seen yet.
//
// It is exact while nobody else writes: every change to a balance advances
// the journal head, and the head is read under the head lock at the start of
// each batch. If the head is not the one this writer last committed, another
// process (sharing a PostgreSQL database, or a SQLite file) has written in
// between, and the cache is dropped before it is used.
type balanceCache struct {
	seq      int64    // head sequence the cached balances are true at; -1: none
	hash     [32]byte // and its hash, so a restored database that reached the same seq by another path does not match
	accounts map[AccountID]Account
}

// valid drops the cache unless it is true at head, and returns a fresh map
// for a batch's accounts.
func (c *balanceCache) valid(head Head, n int) map[AccountID]Account {
	if c.accounts == nil || c.seq != head.Seq || c.hash != head.Hash {
		c.accounts = map[AccountID]Account{}
		c.seq, c.hash = head.Seq, head.Hash
	}
	return make(map[AccountID]Account, n)
}

// keep records a committed batch's accounts, true at head.
func (c *balanceCache) keep(head Head, accounts map[AccountID]*acct) {
	if len(c.accounts)+len(accounts) > maxCached {
		c.accounts = map[AccountID]Account{}
	}
	for id, a := range accounts {
		c.accounts[id] = a.Account
	}
	c.seq, c.hash = head.Seq, head.Hash
}

func (c *balanceCache) reset() { c.accounts, c.seq = nil, -1 }
