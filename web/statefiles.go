package web

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
)

// The files a stored-value card and a terminal keep their state in, as
// `ewallet card` and `ewallet terminal` read and write them
// (cmd/ewallet/epurse_state.go): the web app hands out a new card's chip
// file and a new terminal's file, so that a person can go on with the
// command line (load the card, tap it at the terminal, upload).
//
// The API shows a card's keys and a terminal's SAM key once, in the answer
// that creates them. The page that shows that answer carries the keys in
// the form that downloads the file; the download builds the file from the
// posted keys and what the API says about the card or terminal, and
// nothing is stored on the server.

// stateFileVersion is the layout of both files (cmd/ewallet's fileVersion);
// the command line refuses another.
const stateFileVersion = 1

// cardFile is a software card: the chip's state as epurse keeps it, with
// the API's card ID and the currency of its amounts. It is
// cmd/ewallet's cardFile field for field.
type cardFile struct {
	Version  int              `json:"version"`
	CardID   string           `json:"card_id"`
	Currency money.Currency   `json:"currency"`
	Chip     epurse.CardState `json:"chip"`
}

// terminalFile is a new software terminal: cmd/ewallet's terminalFile as
// `ewallet terminal new` writes it, with nothing in flight, no records and
// no deny list yet (`ewallet terminal denylist` fetches it).
type terminalFile struct {
	Version    int            `json:"version"`
	ID         string         `json:"id"`
	TerminalID string         `json:"terminal_id"`
	Name       string         `json:"name"`
	Currency   money.Currency `json:"currency"`
	SAMKey     string         `json:"sam_key"`
	NextSeq    uint32         `json:"next_seq"`
	InFlight   []struct{}     `json:"in_flight"`
	Records    []string       `json:"records"`
	DenyList   []denied       `json:"deny_list"`
	DenyListAt *time.Time     `json:"deny_list_at,omitempty"`
}

// errBadKeys is a download whose posted keys are not keys.
var errBadKeys = errors.New("a key is not 32 hex digits")

// newCardFile is what a personalisation bureau writes into a new chip
// (cmd/ewallet's personalize): the number, the three keys, zero balance
// and counters, the caps the API gave.
func newCardFile(c epurseCard, loadKey, purchaseKey, tacKey string) ([]byte, error) {
	n, err := epurse.ParseCardNumber(c.Number)
	if err != nil {
		return nil, fmt.Errorf("card number: %w", err)
	}
	cur, err := money.ParseCurrency(c.Currency)
	if err != nil {
		return nil, err
	}
	st := epurse.CardState{Number: n}
	for _, k := range []struct {
		hex string
		dst *epurse.Key
	}{{loadKey, &st.Keys.DLK}, {purchaseKey, &st.Keys.DPK}, {tacKey, &st.Keys.DTK}} {
		if *k.dst, err = parseKey(k.hex); err != nil {
			return nil, err
		}
	}
	if st.BalanceCap, err = money.ParsePositive(c.BalanceCap, cur); err != nil {
		return nil, fmt.Errorf("balance_cap: %w", err)
	}
	if st.PurchaseCap, err = money.ParsePositive(c.PurchaseCap, cur); err != nil {
		return nil, fmt.Errorf("purchase_cap: %w", err)
	}
	return stateJSON(cardFile{Version: stateFileVersion, CardID: c.ID, Currency: cur, Chip: st})
}

// newTerminalFile is the file of a terminal just registered. Sequence
// numbers start at 1, so 0 never names a purchase.
func newTerminalFile(t terminal, samKey string) ([]byte, error) {
	if _, err := epurse.ParseTerminalID(t.TerminalID); err != nil {
		return nil, fmt.Errorf("terminal_id: %w", err)
	}
	cur, err := money.ParseCurrency(t.Currency)
	if err != nil {
		return nil, err
	}
	if _, err := parseKey(samKey); err != nil {
		return nil, err
	}
	return stateJSON(terminalFile{Version: stateFileVersion, ID: t.ID, TerminalID: t.TerminalID, Name: t.Name, Currency: cur,
		SAMKey: samKey, NextSeq: 1, InFlight: []struct{}{}, Records: []string{}, DenyList: []denied{}})
}

func parseKey(s string) (epurse.Key, error) {
	var k epurse.Key
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(k) {
		return k, errBadKeys
	}
	copy(k[:], b)
	return k, nil
}

// stateJSON is the file as the command line writes it: indented, with a
// final newline.
func stateJSON(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// attachment answers with a file the browser saves under name. Files that
// hold keys are never cached.
func (q *req) attachment(name string, body []byte) {
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "private, no-store")
	q.w.Write(body)
}
