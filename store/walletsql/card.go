package walletsql

import (
	"context"

	"github.com/ewallet/ewallet/wallet"
)

const cardCols = `id, user_id, brand, last4, exp_month, exp_year, holder, fingerprint, ciphertext, wrapped_key, key_id, created_at`

const (
	insertCard = `INSERT INTO cards (` + cardCols + `, deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`
	// deleted_at = 0 is a live card; a deleted one keeps its row (bank
	// operations name it) until someone decides how long to keep it.
	selectCards = `SELECT ` + cardCols + ` FROM cards WHERE user_id = ? AND deleted_at = 0 ORDER BY created_at DESC, id DESC`
	selectCard  = `SELECT ` + cardCols + ` FROM cards WHERE id = ? AND user_id = ? AND deleted_at = 0`
	deleteCard  = `UPDATE cards SET deleted_at = ? WHERE id = ? AND user_id = ? AND deleted_at = 0`
)

func scanCard(row scanner) (wallet.Card, error) {
	var c wallet.Card
	err := row.Scan(&c.ID, &c.UserID, &c.Brand, &c.Last4, &c.ExpMonth, &c.ExpYear, &c.Holder,
		&c.Fingerprint, &c.Ciphertext, &c.WrappedKey, &c.KeyID, at{&c.CreatedAt})
	return c, err
}

// CreateCard implements wallet.Store.
func (s *Store) CreateCard(ctx context.Context, c wallet.Card) error {
	_, err := s.w.exec(ctx, insertCard, c.ID, c.UserID, c.Brand, c.Last4, c.ExpMonth, c.ExpYear, c.Holder,
		blob(c.Fingerprint), blob(c.Ciphertext), blob(c.WrappedKey), c.KeyID, nanos(c.CreatedAt))
	return fail("create card", "card", err)
}

// Cards implements wallet.Store.
func (s *Store) Cards(ctx context.Context, userID string) ([]wallet.Card, error) {
	cs, err := queryAll(ctx, s.r, scanCard, selectCards, userID)
	return cs, fail("list cards", "card", err)
}

// Card implements wallet.Store.
func (s *Store) Card(ctx context.Context, userID, cardID string) (wallet.Card, error) {
	c, err := scanCard(s.r.queryRow(ctx, selectCard, cardID, userID))
	return c, fail("read card", "card", err)
}

// DeleteCard implements wallet.Store. The interface passes no clock, so
// deleted_at is the store's own time; nothing reads it back.
func (s *Store) DeleteCard(ctx context.Context, userID, cardID string) error {
	n, err := s.w.execN(ctx, deleteCard, nanos(s.now()), cardID, userID)
	if err == nil && n == 0 {
		return notFound("card")
	}
	return fail("delete card", "card", err)
}
