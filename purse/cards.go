package purse

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/wallet"
)

// Issued is a new card with what its chip must be personalised with. The
// keys are shown once: they stand in for the personalisation bureau that
// writes a real chip, and a software card keeps them in its file.
type Issued struct {
	Card  Card
	State epurse.CardState
}

// CardView is a card as its holder sees it.
type CardView struct {
	Card
	// Balance is the value the issuer holds for the card: loaded minus
	// cleared. The chip's own balance is this minus purchases not yet
	// uploaded.
	Balance     int64
	PendingLoad *Load
	Gaps        []epurse.Gap // offline counters no cleared record holds yet
}

// CardID is the API ID of a card number.
func CardID(n epurse.CardNumber) string { return "epc_" + n.String() }

// ParseCardID is the card number of an API ID; a card not found for anything
// else, as for an unknown card.
func ParseCardID(id string) (epurse.CardNumber, error) {
	h, ok := strings.CutPrefix(id, "epc_")
	if !ok {
		return epurse.CardNumber{}, wallet.Errorf(wallet.CodeNotFound, "e-purse card not found")
	}
	n, err := epurse.ParseCardNumber(h)
	if err != nil {
		return epurse.CardNumber{}, wallet.Errorf(wallet.CodeNotFound, "e-purse card not found")
	}
	return n, nil
}

// Issue gives the user a new card: its number, its ledger account and the
// state to write into the chip. With an idempotency key the number derives
// from the user and the key, so a retry (a double submit, a lost answer)
// gets the same card back, keys included, instead of a second one.
func (s *Service) Issue(ctx context.Context, u wallet.User, key string) (Issued, error) {
	if u.Status == wallet.StatusFrozen {
		return Issued{}, wallet.Errorf(wallet.CodeWalletFrozen, "the wallet is frozen")
	}
	n, err := newCardNumber(u.ID, key)
	if err != nil {
		return Issued{}, err
	}
	st := epurse.CardState{Number: n, Keys: s.issuer.CardKeys(n), BalanceCap: s.cfg.BalanceCap, PurchaseCap: s.cfg.PurchaseCap}
	if c, err := s.Store.EpurseCard(ctx, CardID(n)); err == nil && key != "" {
		if c.UserID != u.ID {
			return Issued{}, wallet.Errorf(wallet.CodeKeyReused, "the idempotency key was used for another card")
		}
		return Issued{Card: c, State: st}, nil
	}
	if _, err := s.Ledger.CreateAccount(ctx, ledger.AccountSpec{Name: cardAccountName(n, s.cfg.Currency),
		Currency: s.cfg.Currency, Flags: ledger.NoNegative}); err != nil { // the same account again is no error
		return Issued{}, err
	}
	now := s.now().UTC()
	c := Card{ID: CardID(n), UserID: u.ID, WalletID: u.WalletID, Currency: s.cfg.Currency, Status: CardActive,
		CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateEpurseCard(ctx, c); err != nil {
		// A retry racing the first request: the first one's row won.
		if got, rerr := s.Store.EpurseCard(ctx, c.ID); rerr == nil && key != "" && got.UserID == u.ID {
			return Issued{Card: got, State: st}, nil
		}
		return Issued{}, err
	}
	s.log.Info("e-purse card issued", "card", c.ID, "user", u.ID)
	return Issued{Card: c, State: st}, nil
}

// newCardNumber is a random card number, or with a key one derived from
// the user and the key.
func newCardNumber(userID, key string) (epurse.CardNumber, error) {
	var n epurse.CardNumber
	if key == "" {
		_, err := rand.Read(n[:])
		return n, err
	}
	h := sha256.Sum256([]byte("epurse card\x00" + userID + "\x00" + key))
	copy(n[:], h[:])
	return n, nil
}

// ownCard is the user's card id; not found for another user's card.
func (s *Service) ownCard(ctx context.Context, u wallet.User, id string) (Card, epurse.CardNumber, error) {
	n, err := ParseCardID(id)
	if err != nil {
		return Card{}, n, err
	}
	c, err := s.Store.EpurseCard(ctx, id)
	if err == nil && c.UserID != u.ID || wallet.ErrorCode(err) == wallet.CodeNotFound {
		// Another holder's card is answered as no card at all.
		return Card{}, n, wallet.Errorf(wallet.CodeNotFound, "e-purse card not found")
	}
	return c, n, err
}

// Cards lists the user's cards, newest first.
func (s *Service) Cards(ctx context.Context, u wallet.User) ([]CardView, error) {
	cs, err := s.Store.EpurseCards(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]CardView, 0, len(cs))
	for _, c := range cs {
		v, err := s.view(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Card is one of the user's cards.
func (s *Service) Card(ctx context.Context, u wallet.User, id string) (CardView, error) {
	c, _, err := s.ownCard(ctx, u, id)
	if err != nil {
		return CardView{}, err
	}
	return s.view(ctx, c)
}

func (s *Service) view(ctx context.Context, c Card) (CardView, error) {
	n, err := ParseCardID(c.ID)
	if err != nil {
		return CardView{}, err
	}
	v := CardView{Card: c}
	if v.Balance, err = s.cardBalance(ctx, n); err != nil {
		return CardView{}, err
	}
	l, ok, err := s.Store.PendingEpurseLoad(ctx, c.ID)
	if err != nil {
		return CardView{}, err
	}
	if ok {
		v.PendingLoad = &l
	}
	ctrs, err := s.Store.ClearedCounters(ctx, c.ID)
	if err != nil {
		return CardView{}, err
	}
	v.Gaps = counterGaps(n, ctrs)
	return v, nil
}

// counterGaps are the runs of counters from 0 to the highest cleared that
// no cleared record holds (ctrs ascending).
func counterGaps(n epurse.CardNumber, ctrs []uint16) []epurse.Gap {
	var out []epurse.Gap
	next := 0
	for _, c := range ctrs {
		if int(c) > next {
			out = append(out, epurse.Gap{Card: n, From: uint16(next), To: c - 1})
		}
		next = int(c) + 1
	}
	return out
}

// ReportLost puts the user's card on the deny list now and schedules the
// refund of its rest after the clearing window. Reporting again changes
// nothing. It works on a frozen wallet: a lost phone and a lost card often
// go together.
func (s *Service) ReportLost(ctx context.Context, u wallet.User, id string) (CardView, error) {
	if _, _, err := s.ownCard(ctx, u, id); err != nil {
		return CardView{}, err
	}
	now := s.now().UTC().Truncate(time.Second)
	c, changed, err := s.Store.ReportEpurseCardLost(ctx, id, now, now.Add(s.cfg.ClearingWindow))
	if err != nil {
		return CardView{}, err
	}
	if changed {
		s.log.Info("e-purse card reported lost", "card", id, "refund_at", c.RefundAt)
	}
	return s.view(ctx, c)
}

// DenyList is the list terminals download: cards and since when.
func (s *Service) DenyList(ctx context.Context) ([]Denied, error) { return s.Store.DenyList(ctx) }

func hexOf(b []byte) string { return hex.EncodeToString(b) }
