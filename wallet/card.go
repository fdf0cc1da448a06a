package wallet

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/vault"
)

// AddCard validates a card, seals its number in the vault and binds it.
func (s *Service) AddCard(ctx context.Context, u User, number string, expMonth, expYear int, holder string, c Client) (Card, error) {
	n, err := vault.NormalizeNumber(number)
	if err != nil {
		return Card{}, Errorf(CodeInvalidCardNumber, "the card number is not valid")
	}
	if err := vault.CheckExpiry(expMonth, expYear, s.now()); err != nil {
		if errors.Is(err, vault.ErrCardExpired) {
			return Card{}, Errorf(CodeCardExpired, "the card has expired")
		}
		return Card{}, Errorf(CodeInvalidRequest, "exp_month must be 1-12 and exp_year a four-digit year")
	}
	holder = strings.TrimSpace(holder)
	if len(holder) > 100 {
		return Card{}, Errorf(CodeInvalidRequest, "holder must be at most 100 characters")
	}
	sealed, err := s.Vault.Seal(n)
	if err != nil {
		return Card{}, err
	}
	card := Card{ID: auth.NewID("crd_"), UserID: u.ID, Brand: sealed.Brand, Last4: sealed.Last4, ExpMonth: expMonth, ExpYear: expYear,
		Holder: holder, Fingerprint: sealed.Fingerprint, Ciphertext: sealed.Ciphertext, WrappedKey: sealed.WrappedKey, KeyID: sealed.KeyID,
		CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	if err := s.Store.CreateCard(ctx, card); err != nil {
		return Card{}, err
	}
	s.audit(ctx, u.ID, "card_added", card.Brand+" "+card.Last4, c)
	return card, nil
}

// Cards lists the user's bound cards.
func (s *Service) Cards(ctx context.Context, u User) ([]Card, error) { return s.Store.Cards(ctx, u.ID) }

// CheckCard answers card_not_found when u has no such card: the contract
// gives that answer before it looks at the idempotency key.
func (s *Service) CheckCard(ctx context.Context, u User, id string) error {
	_, err := s.Store.Card(ctx, u.ID, id)
	if ErrorCode(err) == CodeNotFound {
		return Errorf(CodeCardNotFound, "no such card")
	}
	return err
}

// RemoveCard unbinds a card.
func (s *Service) RemoveCard(ctx context.Context, u User, id string, c Client) error {
	if err := s.Store.DeleteCard(ctx, u.ID, id); err != nil {
		if ErrorCode(err) == CodeNotFound {
			return Errorf(CodeCardNotFound, "no such card")
		}
		return err
	}
	s.audit(ctx, u.ID, "card_removed", id, c)
	return nil
}

// cardNumber opens a card's number for the bank; it never leaves memory.
func (s *Service) cardNumber(card Card) (string, error) {
	return s.Vault.Open(vault.Sealed{Ciphertext: card.Ciphertext, WrappedKey: card.WrappedKey, KeyID: card.KeyID,
		Fingerprint: card.Fingerprint, Brand: card.Brand, Last4: card.Last4})
}
