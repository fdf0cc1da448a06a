package walletsql

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
)

var _ purse.Store = (*Store)(nil)

const (
	epurseCardCols   = `id, user_id, wallet_id, currency, status, denied_at, refund_at, refunded, created_at, updated_at`
	insertEpurseCard = `INSERT INTO epurse_cards (` + epurseCardCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	selectEpurseCard = `SELECT ` + epurseCardCols + ` FROM epurse_cards WHERE id = ?`
	listEpurseCards  = `SELECT ` + epurseCardCols + ` FROM epurse_cards WHERE user_id = ? ORDER BY created_at DESC, id DESC`
	lostEpurseCard   = `UPDATE epurse_cards SET status = 'lost', denied_at = ?, refund_at = ?, updated_at = ?
WHERE id = ? AND status = 'active'`
	dueEpurseCards = `SELECT ` + epurseCardCols + ` FROM epurse_cards WHERE status = 'lost' AND refund_at <= ?
ORDER BY refund_at, id LIMIT ?`
	blockEpurseCard = `UPDATE epurse_cards SET status = 'blocked', updated_at = ?,
denied_at = CASE WHEN denied_at = 0 THEN ? ELSE denied_at END WHERE id = ? AND status IN ('active', 'lost')`
	refundedEpurseCard = `UPDATE epurse_cards SET status = 'refunded', refunded = ?, updated_at = ? WHERE id = ? AND status = 'lost'`
	denyList           = `SELECT id, denied_at FROM epurse_cards WHERE status <> 'active' ORDER BY denied_at, id`

	epurseLoadCols = `id, card_id, user_id, online_counter, random, amount, balance_before, terminal, time, mac2,
transfer_id, status, created_at, updated_at`
	insertEpurseLoad = `INSERT INTO epurse_loads (` + epurseLoadCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING`
	selectEpurseLoad  = `SELECT ` + epurseLoadCols + ` FROM epurse_loads WHERE id = ?`
	pendingEpurseLoad = `SELECT ` + epurseLoadCols + ` FROM epurse_loads WHERE card_id = ? AND status = 'pending'`
	finishEpurseLoad  = `UPDATE epurse_loads SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'`

	terminalCols    = `id, merchant_id, name, currency, created_at`
	insertTerminal  = `INSERT INTO epurse_terminals (` + terminalCols + `) VALUES (?, ?, ?, ?, ?)`
	selectTerminal  = `SELECT ` + terminalCols + ` FROM epurse_terminals WHERE id = ?`
	listTerminals   = `SELECT ` + terminalCols + ` FROM epurse_terminals WHERE merchant_id = ? ORDER BY created_at DESC, id DESC`
	clearedCols     = `card_id, counter, terminal, terminal_seq, amount, time, tac, transfer_id, cleared_at`
	selectCleared   = `SELECT ` + clearedCols + ` FROM epurse_cleared WHERE card_id = ? AND counter = ?`
	highestCleared  = `SELECT MAX(counter) FROM epurse_cleared WHERE card_id = ?`
	lastClearedAt   = `SELECT ` + clearedCols + ` FROM epurse_cleared WHERE card_id = ? AND terminal = ? ORDER BY terminal_seq DESC LIMIT 1`
	clearedCounters = `SELECT counter FROM epurse_cleared WHERE card_id = ? ORDER BY counter`
)

func scanEpurseCard(row scanner) (purse.Card, error) {
	var c purse.Card
	var cur string
	err := row.Scan(&c.ID, &c.UserID, &c.WalletID, &cur, &c.Status, at{&c.DeniedAt}, at{&c.RefundAt}, &c.Refunded,
		at{&c.CreatedAt}, at{&c.UpdatedAt})
	c.Currency = money.Currency(cur)
	return c, err
}

// CreateEpurseCard implements purse.Store.
func (s *Store) CreateEpurseCard(ctx context.Context, c purse.Card) error {
	_, err := s.w.exec(ctx, insertEpurseCard, c.ID, c.UserID, c.WalletID, string(c.Currency), c.Status,
		nanos(c.DeniedAt), nanos(c.RefundAt), c.Refunded, nanos(c.CreatedAt), nanos(c.UpdatedAt))
	return fail("create e-purse card", "e-purse card", err)
}

// EpurseCard implements purse.Store.
func (s *Store) EpurseCard(ctx context.Context, id string) (purse.Card, error) {
	c, err := scanEpurseCard(s.r.queryRow(ctx, selectEpurseCard, id))
	return c, fail("read e-purse card", "e-purse card", err)
}

// EpurseCards implements purse.Store.
func (s *Store) EpurseCards(ctx context.Context, userID string) ([]purse.Card, error) {
	cs, err := queryAll(ctx, s.r, scanEpurseCard, listEpurseCards, userID)
	return cs, fail("list e-purse cards", "e-purse card", err)
}

// ReportEpurseCardLost implements purse.Store.
func (s *Store) ReportEpurseCardLost(ctx context.Context, id string, deniedAt, refundAt time.Time) (purse.Card, bool, error) {
	n, err := s.w.execN(ctx, lostEpurseCard, nanos(deniedAt), nanos(refundAt), nanos(deniedAt), id)
	if err != nil {
		return purse.Card{}, false, fail("report e-purse card lost", "e-purse card", err)
	}
	c, err := scanEpurseCard(s.w.queryRow(ctx, selectEpurseCard, id))
	return c, n == 1, fail("read e-purse card", "e-purse card", err)
}

// BlockEpurseCard implements purse.Store.
func (s *Store) BlockEpurseCard(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := s.w.execN(ctx, blockEpurseCard, nanos(at), nanos(at), id)
	return n == 1, fail("block e-purse card", "e-purse card", err)
}

// EpurseCardsDue implements purse.Store.
func (s *Store) EpurseCardsDue(ctx context.Context, now time.Time, limit int) ([]purse.Card, error) {
	cs, err := queryAll(ctx, s.r, scanEpurseCard, dueEpurseCards, nanos(now), limit)
	return cs, fail("list e-purse cards due", "e-purse card", err)
}

// MarkEpurseCardRefunded implements purse.Store.
func (s *Store) MarkEpurseCardRefunded(ctx context.Context, id string, amount int64, at time.Time) error {
	_, err := s.w.exec(ctx, refundedEpurseCard, amount, nanos(at), id)
	return fail("mark e-purse card refunded", "e-purse card", err)
}

// DenyList implements purse.Store.
func (s *Store) DenyList(ctx context.Context) ([]purse.Denied, error) {
	ds, err := queryAll(ctx, s.r, func(row scanner) (purse.Denied, error) {
		var d purse.Denied
		return d, row.Scan(&d.CardID, at{&d.Since})
	}, denyList)
	return ds, fail("read the deny list", "e-purse card", err)
}

func scanEpurseLoad(row scanner) (purse.Load, error) {
	var l purse.Load
	var random, term, mac2 string
	err := row.Scan(&l.ID, &l.CardID, &l.UserID, &l.OnlineCounter, &random, &l.Amount, &l.BalanceBefore, &term, &l.Time, &mac2,
		&l.TransferID, &l.Status, at{&l.CreatedAt}, at{&l.UpdatedAt})
	if err != nil {
		return l, err
	}
	return l, unhex(unhexTo{random, l.Random[:]}, unhexTo{term, l.Terminal[:]}, unhexTo{mac2, l.MAC2[:]})
}

// CreateEpurseLoad implements purse.Store.
func (s *Store) CreateEpurseLoad(ctx context.Context, l purse.Load) (bool, error) {
	n, err := s.w.execN(ctx, insertEpurseLoad, l.ID, l.CardID, l.UserID, l.OnlineCounter, hex.EncodeToString(l.Random[:]), l.Amount,
		l.BalanceBefore, hex.EncodeToString(l.Terminal[:]), l.Time, hex.EncodeToString(l.MAC2[:]), l.TransferID, l.Status,
		nanos(l.CreatedAt), nanos(l.UpdatedAt))
	return n == 1, fail("create e-purse load", "e-purse load", err)
}

// EpurseLoad implements purse.Store.
func (s *Store) EpurseLoad(ctx context.Context, id string) (purse.Load, error) {
	l, err := scanEpurseLoad(s.w.queryRow(ctx, selectEpurseLoad, id))
	return l, fail("read e-purse load", "load", err)
}

// PendingEpurseLoad implements purse.Store. It reads through the writer:
// the answer decides whether a load may start.
func (s *Store) PendingEpurseLoad(ctx context.Context, cardID string) (purse.Load, bool, error) {
	l, err := scanEpurseLoad(s.w.queryRow(ctx, pendingEpurseLoad, cardID))
	return found(l, fail("read pending e-purse load", "load", err))
}

// FinishEpurseLoad implements purse.Store.
func (s *Store) FinishEpurseLoad(ctx context.Context, id, status string, at time.Time) (bool, error) {
	n, err := s.w.execN(ctx, finishEpurseLoad, status, nanos(at), id)
	return n == 1, fail("finish e-purse load", "load", err)
}

func scanTerminal(row scanner) (purse.Terminal, error) {
	var t purse.Terminal
	var cur string
	err := row.Scan(&t.ID, &t.MerchantID, &t.Name, &cur, at{&t.CreatedAt})
	t.Currency = money.Currency(cur)
	return t, err
}

// CreateTerminal implements purse.Store.
func (s *Store) CreateTerminal(ctx context.Context, t purse.Terminal) error {
	_, err := s.w.exec(ctx, insertTerminal, t.ID, t.MerchantID, t.Name, string(t.Currency), nanos(t.CreatedAt))
	return fail("create terminal", "terminal", err)
}

// Terminal implements purse.Store.
func (s *Store) Terminal(ctx context.Context, id string) (purse.Terminal, error) {
	t, err := scanTerminal(s.r.queryRow(ctx, selectTerminal, id))
	return t, fail("read terminal", "terminal", err)
}

// Terminals implements purse.Store.
func (s *Store) Terminals(ctx context.Context, merchantID string) ([]purse.Terminal, error) {
	ts, err := queryAll(ctx, s.r, scanTerminal, listTerminals, merchantID)
	return ts, fail("list terminals", "terminal", err)
}
