package purse

import (
	"errors"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/wallet"
)

// The e-purse's own error codes (the API maps them to statuses).
const (
	// CodeInvalidCardMessage: a card message that does not decode or is
	// another card's (400).
	CodeInvalidCardMessage wallet.Code = "invalid_card_message"
	// CodeCardAuthFailed: a MAC or TAC that does not verify (422).
	CodeCardAuthFailed wallet.Code = "card_authentication_failed"
	// CodeCardLost: the card is on the deny list (409).
	CodeCardLost wallet.Code = "card_lost"
	// CodeCardCounterMismatch: the card's counters contradict what the
	// issuer knows (409): a restored or cloned chip.
	CodeCardCounterMismatch wallet.Code = "card_counter_mismatch"
	// CodeLoadNotPending: a load already settled another way (409).
	CodeLoadNotPending wallet.Code = "load_not_pending"
)

// fromProtocol maps an epurse refusal to a wallet error.
func fromProtocol(err error) error {
	switch {
	case errors.Is(err, epurse.ErrBadMAC), errors.Is(err, epurse.ErrBadTAC):
		return wallet.Errorf(CodeCardAuthFailed, "%v", err)
	case errors.Is(err, epurse.ErrInvalidAmount):
		return wallet.Errorf(wallet.CodeInvalidAmount, "%v", err)
	case errors.Is(err, epurse.ErrOverLimit):
		return wallet.Errorf(wallet.CodeLimitExceeded, "%v", err)
	case errors.Is(err, epurse.ErrMalformed), errors.Is(err, epurse.ErrUnsupportedKey):
		return wallet.Errorf(CodeInvalidCardMessage, "%v", err)
	}
	return err
}
