package api

import (
	"net/http"
	"time"

	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/wallet"
)

type cardMoneyReq struct {
	CardID   string `json:"card_id"`
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
	PIN      string `json:"pin"`
}

type bankOpBody struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Amount      string    `json:"amount"`
	Currency    string    `json:"currency"`
	CardID      string    `json:"card_id"`
	FailureCode string    `json:"failure_code,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

type recipientRef struct {
	Phone    string `json:"phone,omitempty"`
	WalletID string `json:"wallet_id,omitempty"`
}

type transferReq struct {
	To       recipientRef `json:"to"`
	Amount   Amount       `json:"amount"`
	Currency string       `json:"currency"`
	Note     string       `json:"note,omitempty"`
	PIN      string       `json:"pin"`
}

type userRef struct {
	UserID string `json:"user_id"`
}

type transferBody struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Amount    string    `json:"amount"`
	Currency  string    `json:"currency"`
	From      userRef   `json:"from"`
	To        userRef   `json:"to"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
}

func toBankOp(op wallet.BankOp) bankOpBody {
	st := string(op.Status)
	if op.Status == wallet.OpCreated {
		st = string(wallet.OpPending)
	}
	return bankOpBody{ID: op.ID, Status: st, Amount: money.Format(op.Amount, money.Currency(op.Currency)), Currency: op.Currency,
		CardID: op.CardID, FailureCode: op.FailureCode, CreatedAt: op.CreatedAt.UTC()}
}

// moneyRequest decodes a money-moving body and checks its amount and key,
// in the contract's order (body, amount, currency, key).
func moneyRequest(c *call, body any, amount *Amount, currency *string) (int64, money.Currency, string, error) {
	if err := decode(c.r, body, false); err != nil {
		return 0, "", "", err
	}
	n, cur, err := parseMoney(*amount, *currency)
	if err != nil {
		return 0, "", "", err
	}
	key, err := requireKey(c)
	return n, cur, key, err
}

func (a *API) cardMoney(c *call, op func(wallet.Idem, wallet.CardMoneyRequest) (wallet.BankOp, bool, error)) {
	var req cardMoneyReq
	n, cur, key, err := moneyRequest(c, &req, &req.Amount, &req.Currency)
	if err != nil {
		a.fail(c, err)
		return
	}
	if err := a.Wallet.CheckCard(c.ctx(), c.user, req.CardID); err != nil {
		a.fail(c, err) // 404 comes before the key's 409 (contract order)
		return
	}
	pin := req.PIN
	req.PIN = a.Wallet.PINs.Redact(c.user.ID, pin)
	a.idempotent(c, key, fingerprint(c, req), func(idem wallet.Idem) (answer, error) {
		o, replayed, err := op(idem, wallet.CardMoneyRequest{CardID: req.CardID, Amount: n, Currency: cur, PIN: pin})
		return answer{status: http.StatusCreated, body: toBankOp(o), replayed: replayed, keep: true}, err
	})
}

func (a *API) topup(c *call) {
	a.cardMoney(c, func(idem wallet.Idem, r wallet.CardMoneyRequest) (wallet.BankOp, bool, error) {
		return a.Wallet.Topup(c.ctx(), c.user, r, idem, c.client())
	})
}

func (a *API) withdraw(c *call) {
	a.cardMoney(c, func(idem wallet.Idem, r wallet.CardMoneyRequest) (wallet.BankOp, bool, error) {
		return a.Wallet.Withdraw(c.ctx(), c.user, r, idem, c.client())
	})
}

func (a *API) getBankOp(c *call, kind wallet.OpKind) {
	op, err := a.Wallet.GetBankOp(c.ctx(), c.user, kind, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toBankOp(op))
}

func (a *API) getTopup(c *call)      { a.getBankOp(c, wallet.OpTopup) }
func (a *API) getWithdrawal(c *call) { a.getBankOp(c, wallet.OpWithdrawal) }

func (a *API) transfer(c *call) {
	var req transferReq
	n, cur, key, err := moneyRequest(c, &req, &req.Amount, &req.Currency)
	if err != nil {
		a.fail(c, err)
		return
	}
	if (req.To.Phone == "") == (req.To.WalletID == "") {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "to needs exactly one of phone and wallet_id"))
		return
	}
	if len(req.Note) > 500 {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "note must be at most 500 bytes"))
		return
	}
	// 404 and self_transfer come before the key's 409 (contract order).
	to, err := a.Wallet.Recipient(c.ctx(), c.user, req.To.Phone, req.To.WalletID)
	if err != nil {
		a.fail(c, err)
		return
	}
	pin := req.PIN
	req.PIN = a.Wallet.PINs.Redact(c.user.ID, pin)
	a.idempotent(c, key, fingerprint(c, req), func(idem wallet.Idem) (answer, error) {
		t, replayed, err := a.Wallet.Transfer(c.ctx(), c.user, wallet.TransferRequest{To: to,
			Amount: n, Currency: cur, Note: req.Note, PIN: pin}, idem, c.client())
		return answer{status: http.StatusCreated, body: toTransfer(t), replayed: replayed}, err
	})
}

func toTransfer(t wallet.TransferResult) transferBody {
	return transferBody{ID: t.ID, Status: t.Status, Amount: money.Format(t.Amount, t.Currency), Currency: string(t.Currency),
		From: userRef{t.From}, To: userRef{t.To}, Note: t.Note, CreatedAt: t.CreatedAt.UTC()}
}
