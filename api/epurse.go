package api

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/wallet"
)

// maxBatchBody bounds a terminal's upload: a full batch of records in
// base64 inside JSON.
const maxBatchBody = 4 << 20

type epurseCardBody struct {
	ID              string          `json:"id"`
	Number          string          `json:"number"`
	Status          string          `json:"status"`
	Balance         string          `json:"balance"` // loaded minus cleared
	Currency        string          `json:"currency"`
	BalanceCap      string          `json:"balance_cap"`
	PurchaseCap     string          `json:"purchase_cap"`
	PendingLoad     *epurseLoadBody `json:"pending_load,omitempty"`
	MissingCounters []counterGap    `json:"missing_counters"`
	DeniedAt        *time.Time      `json:"denied_at,omitempty"`
	RefundAt        *time.Time      `json:"refund_at,omitempty"`
	Refunded        string          `json:"refunded,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	// Personalization is shown once, when the card is issued.
	Personalization *cardPersonalization `json:"personalization,omitempty"`
}

type counterGap struct {
	From uint16 `json:"from"`
	To   uint16 `json:"to"`
}

type cardPersonalization struct {
	LoadKey     string `json:"load_key"`
	PurchaseKey string `json:"purchase_key"`
	TACKey      string `json:"tac_key"`
}

type epurseCardList struct {
	Data []epurseCardBody `json:"data"`
}

type epurseLoadReq struct {
	Amount       Amount `json:"amount"`
	Currency     string `json:"currency"`
	TerminalID   string `json:"terminal_id,omitempty"`
	CardResponse string `json:"card_response"`
	PIN          string `json:"pin"`
}

type epurseCompleteReq struct {
	CardResponse string `json:"card_response"`
}

type epurseLoadBody struct {
	ID            string        `json:"id"`
	CardID        string        `json:"card_id"`
	Status        string        `json:"status"`
	Amount        string        `json:"amount"`
	Currency      string        `json:"currency"`
	OnlineCounter uint16        `json:"online_counter"`
	CreditCommand string        `json:"credit_command,omitempty"`
	Settled       []settledLoad `json:"settled,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
}

// settledLoad is an earlier load of the card that a load settled.
type settledLoad struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

type terminalReq struct {
	Name string `json:"name"`
}

type terminalBody struct {
	ID         string    `json:"id"`
	TerminalID string    `json:"terminal_id"`
	Name       string    `json:"name"`
	Currency   string    `json:"currency"`
	CreatedAt  time.Time `json:"created_at"`
	SAMKey     string    `json:"sam_key,omitempty"` // shown once
}

type terminalList struct {
	Data []terminalBody `json:"data"`
}

type batchReq struct {
	Records string `json:"records"` // base64 of records back to back
}

type recordResultBody struct {
	Index   int    `json:"index"`
	CardID  string `json:"card_id,omitempty"`
	Counter uint16 `json:"counter"`
	Amount  string `json:"amount,omitempty"`
	Reason  string `json:"reason"`
	Late    bool   `json:"late,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

type batchBody struct {
	TerminalID string             `json:"terminal_id"`
	Accepted   int                `json:"accepted"`
	Rejected   int                `json:"rejected"`
	Total      string             `json:"total"`
	Currency   string             `json:"currency"`
	Results    []recordResultBody `json:"results"`
	Gaps       []cardGap          `json:"gaps"`
}

type cardGap struct {
	CardID string `json:"card_id"`
	From   uint16 `json:"from"`
	To     uint16 `json:"to"`
}

type denyListBody struct {
	Data []deniedBody `json:"data"`
}

type deniedBody struct {
	CardID string    `json:"card_id"`
	Since  time.Time `json:"since"`
}

// purseOn answers 404 when the server runs without the e-purse.
func (a *API) purseOn(c *call) bool {
	if a.Purse == nil {
		a.fail(c, errNoRoute)
		return false
	}
	return true
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (a *API) toEpurseCard(v purse.CardView) epurseCardBody {
	cfg := a.Purse.Config()
	n, _ := purse.ParseCardID(v.ID)
	b := epurseCardBody{ID: v.ID, Number: n.String(), Status: v.Status, Balance: money.Format(v.Balance, v.Currency),
		Currency: string(v.Currency), BalanceCap: money.Format(cfg.BalanceCap, cfg.Currency),
		PurchaseCap: money.Format(cfg.PurchaseCap, cfg.Currency), MissingCounters: []counterGap{},
		DeniedAt: timePtr(v.DeniedAt), RefundAt: timePtr(v.RefundAt), CreatedAt: v.CreatedAt}
	if v.Status == purse.CardRefunded {
		b.Refunded = money.Format(v.Refunded, v.Currency)
	}
	if v.PendingLoad != nil {
		l := toEpurseLoad(*v.PendingLoad, v.Currency)
		b.PendingLoad = &l
	}
	for _, g := range v.Gaps {
		b.MissingCounters = append(b.MissingCounters, counterGap{From: g.From, To: g.To})
	}
	return b
}

func toEpurseLoad(l purse.Load, cur money.Currency) epurseLoadBody {
	return epurseLoadBody{ID: l.ID, CardID: l.CardID, Status: l.Status, Amount: money.Format(l.Amount, cur), Currency: string(cur),
		OnlineCounter: l.OnlineCounter, CreatedAt: l.CreatedAt}
}

func (a *API) issueEpurseCard(c *call) {
	if !a.purseOn(c) {
		return
	}
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	key, err := idempotencyKey(c.r)
	if err != nil {
		a.fail(c, err)
		return
	}
	is, err := a.Purse.Issue(c.ctx(), c.user, key)
	if err != nil {
		a.fail(c, err)
		return
	}
	b := a.toEpurseCard(purse.CardView{Card: is.Card})
	k := is.State.Keys
	b.Personalization = &cardPersonalization{LoadKey: hex.EncodeToString(k.DLK[:]), PurchaseKey: hex.EncodeToString(k.DPK[:]),
		TACKey: hex.EncodeToString(k.DTK[:])}
	writeJSON(c.w, http.StatusCreated, b)
}

func (a *API) epurseCards(c *call) {
	if !a.purseOn(c) {
		return
	}
	vs, err := a.Purse.Cards(c.ctx(), c.user)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := epurseCardList{Data: []epurseCardBody{}}
	for _, v := range vs {
		out.Data = append(out.Data, a.toEpurseCard(v))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) epurseCard(c *call) {
	if !a.purseOn(c) {
		return
	}
	v, err := a.Purse.Card(c.ctx(), c.user, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, a.toEpurseCard(v))
}

func (a *API) reportEpurseLost(c *call) {
	if !a.purseOn(c) {
		return
	}
	if err := decode(c.r, &struct{}{}, true); err != nil {
		a.fail(c, err)
		return
	}
	v, err := a.Purse.ReportLost(c.ctx(), c.user, c.r.PathValue("id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, a.toEpurseCard(v))
}

// cardBytes decodes a hex card message from a request field.
func cardBytes(field, s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, wallet.Errorf(purse.CodeInvalidCardMessage, "%s must be the card's answer in hex", field)
	}
	return b, nil
}

func (a *API) loadEpurse(c *call) {
	if !a.purseOn(c) {
		return
	}
	var req epurseLoadReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	// The contract's order: the amount, the key, the other fields; then
	// the card (404); the currency and the rest inside the key's claim.
	n, cur, err := parseMoney(req.Amount, req.Currency)
	if err != nil {
		a.fail(c, err)
		return
	}
	key, err := requireKey(c)
	if err != nil {
		a.fail(c, err)
		return
	}
	var term epurse.TerminalID
	if req.TerminalID != "" {
		if term, err = epurse.ParseTerminalID(req.TerminalID); err != nil {
			a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "terminal_id must be 12 hex digits"))
			return
		}
	}
	resp, err := cardBytes("card_response", req.CardResponse)
	if err != nil {
		a.fail(c, err)
		return
	}
	if _, err := a.Purse.Card(c.ctx(), c.user, c.r.PathValue("id")); err != nil {
		a.fail(c, err)
		return
	}
	pin := req.PIN
	req.PIN = a.Wallet.PINs.Redact(c.user.ID, pin)
	a.idempotent(c, key, fingerprint(c, req), func(idem wallet.Idem) (answer, error) {
		au, err := a.Purse.AuthorizeLoad(c.ctx(), c.user, c.r.PathValue("id"),
			purse.LoadRequest{Amount: n, Currency: cur, Terminal: term, Response: resp, PIN: pin}, idem, c.client())
		b := toEpurseLoad(au.Load, cur)
		b.CreditCommand = hex.EncodeToString(au.Command)
		for _, s := range au.Settled {
			b.Settled = append(b.Settled, settledLoad{ID: s.ID, Status: s.Status})
		}
		return answer{status: http.StatusCreated, body: b, keep: true}, err
	})
}

func (a *API) completeEpurseLoad(c *call) {
	if !a.purseOn(c) {
		return
	}
	var req epurseCompleteReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	resp, err := cardBytes("card_response", req.CardResponse)
	if err != nil {
		a.fail(c, err)
		return
	}
	l, err := a.Purse.CompleteLoad(c.ctx(), c.user, c.r.PathValue("id"), c.r.PathValue("load_id"), resp)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toEpurseLoad(l, a.Purse.Config().Currency))
}

func (a *API) epurseLoad(c *call) {
	if !a.purseOn(c) {
		return
	}
	l, err := a.Purse.Load(c.ctx(), c.user, c.r.PathValue("id"), c.r.PathValue("load_id"))
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toEpurseLoad(l, a.Purse.Config().Currency))
}

func toTerminal(t purse.Terminal) terminalBody {
	tid, _ := purse.ParseTerminalID(t.ID)
	return terminalBody{ID: t.ID, TerminalID: tid.String(), Name: t.Name, Currency: string(t.Currency), CreatedAt: t.CreatedAt}
}

func (a *API) registerTerminal(c *call) {
	if !a.purseOn(c) {
		return
	}
	var req terminalReq
	if err := decode(c.r, &req, false); err != nil {
		a.fail(c, err)
		return
	}
	reg, err := a.Purse.RegisterTerminal(c.ctx(), c.merchant.ID, req.Name)
	if err != nil {
		a.fail(c, err)
		return
	}
	b := toTerminal(reg.Terminal)
	b.SAMKey = hex.EncodeToString(reg.SAMKey[:])
	writeJSON(c.w, http.StatusCreated, b)
}

func (a *API) terminals(c *call) {
	if !a.purseOn(c) {
		return
	}
	ts, err := a.Purse.Terminals(c.ctx(), c.merchant.ID)
	if err != nil {
		a.fail(c, err)
		return
	}
	out := terminalList{Data: []terminalBody{}}
	for _, t := range ts {
		out.Data = append(out.Data, toTerminal(t))
	}
	writeJSON(c.w, http.StatusOK, out)
}

func (a *API) uploadBatch(c *call) {
	if !a.purseOn(c) {
		return
	}
	var req batchReq
	if err := decodeLimit(c.r, &req, false, maxBatchBody); err != nil {
		a.fail(c, err)
		return
	}
	batch, err := base64.StdEncoding.DecodeString(req.Records)
	if err != nil {
		a.fail(c, wallet.Errorf(wallet.CodeInvalidRequest, "records must be base64 of %d-byte records back to back", epurse.RecordSize))
		return
	}
	up, err := a.Purse.UploadBatch(c.ctx(), c.merchant.ID, c.r.PathValue("id"), batch)
	if err != nil {
		a.fail(c, err)
		return
	}
	writeJSON(c.w, http.StatusOK, toBatch(up))
}

func toBatch(up purse.Upload) batchBody {
	cur := up.Terminal.Currency
	tid, _ := purse.ParseTerminalID(up.Terminal.ID)
	b := batchBody{TerminalID: tid.String(), Accepted: up.Accepted, Rejected: up.Rejected, Total: money.Format(up.Total, cur),
		Currency: string(cur), Results: make([]recordResultBody, 0, len(up.Results)), Gaps: []cardGap{}}
	for _, r := range up.Results {
		rb := recordResultBody{Index: r.Index, Reason: string(r.Reason), Late: r.Late, Detail: r.Detail}
		if r.Reason != epurse.ReasonMalformed {
			rb.CardID, rb.Counter, rb.Amount = purse.CardID(r.Record.Card), r.Record.OfflineCounter, money.Format(r.Record.Amount, cur)
		}
		b.Results = append(b.Results, rb)
	}
	for _, g := range up.Gaps {
		b.Gaps = append(b.Gaps, cardGap{CardID: purse.CardID(g.Card), From: g.From, To: g.To})
	}
	return b
}

func (a *API) denyList(c *call) {
	if !a.purseOn(c) {
		return
	}
	ds, err := a.Purse.DenyList(c.ctx())
	if err != nil {
		a.fail(c, err)
		return
	}
	out := denyListBody{Data: []deniedBody{}}
	for _, d := range ds {
		out.Data = append(out.Data, deniedBody{CardID: d.CardID, Since: d.Since})
	}
	writeJSON(c.w, http.StatusOK, out)
}
