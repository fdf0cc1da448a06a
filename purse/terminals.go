package purse

import (
	"context"
	"crypto/rand"
	"strings"
	"unicode/utf8"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/wallet"
)

// Registered is a new terminal with its SAM's personalisation: the
// purchase master key, shown once. It stands in for the tamper-resistant
// SAM an issuer ships; with it a terminal can authorise a card's debit,
// but not make a record clearing accepts (that takes the card's TAC key).
type Registered struct {
	Terminal   Terminal
	SAMKey     epurse.Key
	TerminalID epurse.TerminalID
}

// TerminalID is the API ID of a terminal.
func TerminalID(t epurse.TerminalID) string { return "trm_" + t.String() }

// ParseTerminalID is the terminal id of an API ID.
func ParseTerminalID(id string) (epurse.TerminalID, error) {
	h, ok := strings.CutPrefix(id, "trm_")
	t, err := epurse.ParseTerminalID(h)
	if !ok || err != nil {
		return t, wallet.Errorf(wallet.CodeNotFound, "terminal not found")
	}
	return t, nil
}

// RegisterTerminal gives a merchant a new terminal.
func (s *Service) RegisterTerminal(ctx context.Context, merchantID, name string) (Registered, error) {
	if name == "" || len(name) > 100 || !utf8.ValidString(name) {
		return Registered{}, wallet.Errorf(wallet.CodeInvalidRequest, "name must be 1-100 bytes of UTF-8")
	}
	var tid epurse.TerminalID
	if _, err := rand.Read(tid[:]); err != nil {
		return Registered{}, err
	}
	t := Terminal{ID: TerminalID(tid), MerchantID: merchantID, Name: name, Currency: s.cfg.Currency, CreatedAt: s.now().UTC()}
	if err := s.Store.CreateTerminal(ctx, t); err != nil {
		return Registered{}, err
	}
	return Registered{Terminal: t, SAMKey: s.issuer.PurchaseMasterKey(), TerminalID: tid}, nil
}

// Terminals lists a merchant's terminals.
func (s *Service) Terminals(ctx context.Context, merchantID string) ([]Terminal, error) {
	return s.Store.Terminals(ctx, merchantID)
}
