package httpbank

import (
	"context"
	"fmt"
	"net/http"

	"github.com/ewallet/ewallet/wallet"
)

// Resolve asks the bank about an operation now, whatever the backoff, and
// settles it through s by the answer: what reconciliation does with a
// statement line the wallet has not booked.
func (c *Client) Resolve(ctx context.Context, s Settler, id string) (wallet.BankOp, error) {
	res, err := c.Refresh(ctx, id)
	if err != nil {
		return wallet.BankOp{}, err
	}
	return s.SettleBankOp(ctx, id, res)
}

// maxStatement bounds a statement file (the parsers read 64 MiB at most).
const maxStatement = 64 << 20

// Statement fetches the bank's statement file of a day: date is
// YYYY-MM-DD, ext "xml" (camt.053) or "csv".
func (c *Client) Statement(ctx context.Context, date, ext string) ([]byte, error) {
	status, body, err := c.do(ctx, http.MethodGet, "/v1/statements/"+date+"."+ext, "", nil, maxStatement)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("httpbank: statement %s.%s: the bank answered %d", date, ext, status)
	}
	return body, nil
}
