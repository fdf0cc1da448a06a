package web

import "time"

// The API's answers as the pages read them (shared/API.md). Only the
// fields a page shows are declared; amounts stay the API's strings.

type user struct {
	ID        string    `json:"id"`
	WalletID  string    `json:"wallet_id"`
	Phone     string    `json:"phone"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	KYCTier   int       `json:"kyc_tier"`
	PINSet    bool      `json:"pin_set"`
	CreatedAt time.Time `json:"created_at"`
	Limits    *limits   `json:"limits"`
}

type limit struct {
	Limit     string `json:"limit"`
	Remaining string `json:"remaining"`
}

type limits struct {
	PerTransaction limit `json:"per_transaction"`
	Daily          limit `json:"daily"`
	Yearly         limit `json:"yearly"`
	Lifetime       limit `json:"lifetime"`
	BalanceCap     limit `json:"balance_cap"`
}

type session struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	UserID    string    `json:"user_id"`
}

type balance struct {
	Currency  string `json:"currency"`
	Available string `json:"available"`
	Pending   string `json:"pending"`
	Total     string `json:"total"`
}

type card struct {
	ID       string `json:"id"`
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	Holder   string `json:"holder"`
}

// bankOp is a top-up or a withdrawal.
type bankOp struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Amount      string `json:"amount"`
	Currency    string `json:"currency"`
	FailureCode string `json:"failure_code"`
}

type transfer struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type counterparty struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

type txn struct {
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	Direction    string       `json:"direction"`
	Amount       string       `json:"amount"`
	Currency     string       `json:"currency"`
	Counterparty counterparty `json:"counterparty"`
	BalanceAfter string       `json:"balance_after"`
	Status       string       `json:"status"`
	Note         string       `json:"note"`
	CreatedAt    time.Time    `json:"created_at"`
}

type payment struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Amount         string    `json:"amount"`
	Currency       string    `json:"currency"`
	Reference      string    `json:"reference"`
	Description    string    `json:"description"`
	Capture        string    `json:"capture"`
	QRPayload      string    `json:"qr_payload"`
	AmountCaptured string    `json:"amount_captured"`
	Fee            string    `json:"fee"`
	Net            string    `json:"net"`
	AmountRefunded string    `json:"amount_refunded"`
	ExpiresAt      time.Time `json:"expires_at"`
	CreatedAt      time.Time `json:"created_at"`
}

type refund struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type merchantInfo struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Category      string    `json:"category"`
	SecretKey     string    `json:"secret_key"`
	WebhookSecret string    `json:"webhook_secret"`
	PayoutCard    string    `json:"payout_card"`
	CreatedAt     time.Time `json:"created_at"`
}

type payout struct {
	ID          string    `json:"id"`
	Status      string    `json:"status"`
	Day         string    `json:"day"`
	Amount      string    `json:"amount"`
	Currency    string    `json:"currency"`
	CardID      string    `json:"card_id"`
	FailureCode string    `json:"failure_code"`
	CreatedAt   time.Time `json:"created_at"`
}

type endpoint struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
}

type attempt struct {
	EventID    string     `json:"event_id"`
	EndpointID string     `json:"endpoint_id"`
	Attempt    int        `json:"attempt"`
	At         time.Time  `json:"at"`
	Status     int        `json:"status"`
	Error      string     `json:"error"`
	DurationMS int64      `json:"duration_ms"`
	NextAt     *time.Time `json:"next_at"`
	State      string     `json:"state"`
}

type event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
}

type verifyReport struct {
	OK               bool              `json:"ok"`
	TransfersChecked int64             `json:"transfers_checked"`
	AccountsChecked  int64             `json:"accounts_checked"`
	Chain            string            `json:"chain"`
	Sums             map[string]string `json:"sums"`
	Problem          *struct {
		Invariant string `json:"invariant"`
		Table     string `json:"table"`
		Row       string `json:"row"`
		Message   string `json:"message"`
	} `json:"problem"`
}

// list is the contract's page of a list.
type list[T any] struct {
	Data    []T  `json:"data"`
	HasMore bool `json:"has_more"`
}
