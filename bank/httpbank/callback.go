package httpbank

import (
	"context"
	"errors"
	"net/http"

	"github.com/ewallet/ewallet/bank/bankwire"
	"github.com/ewallet/ewallet/wallet"
)

// Settler settles a wallet operation by the bank's answer: the wallet's
// SettleBankOp, the same path its recovery worker takes.
type Settler interface {
	SettleBankOp(ctx context.Context, id string, res wallet.BankResult) (wallet.BankOp, error)
}

// Callbacks receives the bank's signed callbacks (POST /v1/bank/callbacks).
type Callbacks struct {
	c       *Client
	settler Settler
}

// NewCallbacks returns the receiver of c's callbacks, which settles what
// they report through s.
func NewCallbacks(c *Client, s Settler) *Callbacks { return &Callbacks{c: c, settler: s} }

// Receive checks a callback's signature and freshness, records what it
// says and settles the operation when the outcome is final. A duplicate or
// stale callback (lower sequence than one already seen) changes nothing
// and is acknowledged. Errors: CodeUnauthenticated for a bad signature,
// CodeInvalidRequest for a malformed body or one that contradicts the
// request (logged); anything else is internal, and the bank delivers
// again later.
func (cb *Callbacks) Receive(ctx context.Context, h http.Header, path string, body []byte) error {
	if err := bankwire.Verify(cb.c.o.Secret, h, http.MethodPost, path, body, cb.c.o.Now()); err != nil {
		return wallet.Errorf(wallet.CodeUnauthenticated, "bad or stale bank signature")
	}
	d, err := bankwire.DecodeResult(body)
	if err != nil {
		return wallet.Errorf(wallet.CodeInvalidRequest, "malformed bank callback")
	}
	r, err := cb.c.store.BankRequest(ctx, d.ID)
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		// Not one of ours (or sent before this connector kept records):
		// acknowledged so that the bank stops, and logged for a person.
		cb.c.o.Log.WarnContext(ctx, "bank callback for an unknown request", "id", d.ID)
		return nil
	}
	if err != nil {
		return err
	}
	r, err = cb.c.apply(ctx, r, d)
	if errors.Is(err, errContradiction) {
		return wallet.Errorf(wallet.CodeInvalidRequest, "the callback contradicts the request")
	}
	if err != nil || !r.State.Final() {
		return err
	}
	_, err = cb.settler.SettleBankOp(ctx, r.ID, result(r))
	if wallet.ErrorCode(err) == wallet.CodeNotFound {
		return nil
	}
	return err
}
