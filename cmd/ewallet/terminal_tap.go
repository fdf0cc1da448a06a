package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
)

func runTerminalTap(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "terminal tap", "--file gate.json --card card.json --amount 2.00 [--at RFC3339]")
	path := fs.String("file", "terminal.json", "the terminal file")
	cardPath := fs.String("card", "card.json", "the card's chip file")
	amount := fs.String("amount", "", "the price or fare, like 2.00")
	at := fs.String("at", "", "the terminal's clock for this purchase, RFC 3339 (default now)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	when := time.Now()
	if *at != "" {
		var err error
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			return fmt.Errorf("--at: %w", err)
		}
	}
	tp := &tap{termPath: *path, cardPath: *cardPath, saveTerminal: saveTerminal, saveCard: saveCard}
	return tp.run(e, *amount, when)
}

// tap is one offline purchase between a terminal file and a card file; no
// network. saveTerminal and saveCard write the files; tests replace them
// to tear a purchase as a terminal or a card losing power would.
type tap struct {
	termPath, cardPath string
	saveTerminal       func(path string, t *terminalFile) error
	saveCard           func(path string, c *cardFile) error
}

// run reads both files, recovers this card's torn purchase at this
// terminal if there is one, refuses a card on the deny list, and makes the
// purchase. The order of writes is the protocol's: the terminal saves the
// session before DEBIT (so it can ask for the proof later), the card saves
// the debit, then the terminal saves the record. A crash between the last
// two leaves a debited card and a session without a record, which the
// card's next tap here turns into the record.
func (tp *tap) run(e *env, amountText string, at time.Time) error {
	t, err := readTerminal(tp.termPath)
	if err != nil {
		return err
	}
	cf, err := readCard(tp.cardPath)
	if err != nil {
		return err
	}
	if cf.Currency != t.Currency {
		return fmt.Errorf("the card holds %s, the terminal takes %s", cf.Currency, t.Currency)
	}
	amount, err := money.ParsePositive(amountText, t.Currency)
	if err != nil {
		return fmt.Errorf("--amount: %w", err)
	}
	if at.Unix() < 0 || at.Unix() > math.MaxUint32 {
		return errors.New("--at is outside the card's clock (1970 to 2106)")
	}
	chip := epurse.LoadCard(cf.Chip, nil)
	sam, err := t.sam()
	if err != nil {
		return fmt.Errorf("%s: %w", tp.termPath, err)
	}
	if err := tp.recover(e, t, chip, sam); err != nil {
		return err
	}
	if since, ok := t.denied(cf.CardID); ok {
		return fmt.Errorf("card %s refused: on the deny list since %s", cf.CardID, since.UTC().Format(time.RFC3339))
	}
	return tp.purchase(e, t, cf, chip, sam, amount, uint32(at.Unix()))
}

// purchase runs INITIALIZE, DEBIT and the SAM's check of the card's MAC2.
func (tp *tap) purchase(e *env, t *terminalFile, cf *cardFile, chip *epurse.Card, sam *epurse.SAM, amount int64, at uint32) error {
	resp, err := chip.InitializeForPurchase(sam.InitPurchase(amount))
	if err != nil {
		return fmt.Errorf("card %s refused %s %s: %w", cf.CardID, money.Format(amount, t.Currency), t.Currency, err)
	}
	sess, debit, err := sam.Authorize(resp, amount, at)
	if err != nil {
		return fmt.Errorf("the SAM refused the purchase: %w", err)
	}
	// Before DEBIT: the sequence number is used up and the session kept,
	// whatever happens next.
	t.NextSeq = sam.NextSeq()
	t.InFlight = append(t.InFlight, toInFlight(sess))
	if err := tp.saveTerminal(tp.termPath, t); err != nil {
		return fmt.Errorf("terminal file not written, purchase not made: %w", err)
	}
	dr, err := chip.DebitForPurchase(debit)
	if err != nil {
		t.InFlight = slices.DeleteFunc(t.InFlight, func(f inFlight) bool { return f.Card == sess.Card.String() })
		return errors.Join(fmt.Errorf("card %s refused the debit, no value moved: %w", cf.CardID, err), tp.saveTerminal(tp.termPath, t))
	}
	cf.Chip = chip.State()
	if err := tp.saveCard(tp.cardPath, cf); err != nil {
		return fmt.Errorf("the card file may not hold the debit: %w\nthe card's next tap here settles it", err)
	}
	rec, err := sam.Complete(sess, dr)
	if err != nil {
		return fmt.Errorf("the card did not prove the debit (%w): do not deliver; its next tap here settles it", err)
	}
	if err := t.addRecord(rec); err != nil {
		return err
	}
	t.InFlight = slices.DeleteFunc(t.InFlight, func(f inFlight) bool { return f.Card == sess.Card.String() })
	if err := tp.saveTerminal(tp.termPath, t); err != nil {
		return fmt.Errorf("card %s paid %s %s, but the terminal file was not updated: %w\n"+
			"the card's next tap at this terminal recovers the record from the card", cf.CardID, money.Format(amount, t.Currency), t.Currency, err)
	}
	fmt.Fprintf(e.stdout, "paid %s %s: card %s balance %s %s (counter %d, seq %d); %d records to upload\n",
		money.Format(amount, t.Currency), t.Currency, cf.CardID, money.Format(cf.Chip.Balance, t.Currency), t.Currency,
		rec.OfflineCounter, rec.TerminalSeq, len(t.Records))
	return nil
}

// recover settles this card's torn purchase at this terminal: the card's
// GET LAST TRANSACTION PROOF with a MAC2 that verifies under the session
// means the card did debit, and the record is kept; anything else means
// it did not (or the proof has left the card's short log), and the session
// is dropped. It changes nothing on the card.
func (tp *tap) recover(e *env, t *terminalFile, chip *epurse.Card, sam *epurse.SAM) error {
	i := t.inFlightOf(chip.Number())
	if i < 0 {
		return nil
	}
	sess, err := t.InFlight[i].session()
	if err != nil {
		return err
	}
	what := fmt.Sprintf("torn purchase of %s %s (seq %d)", money.Format(sess.Amount, t.Currency), t.Currency, sess.TerminalSeq)
	proof, err := chip.GetTransactionProof(sess.ProofCommand())
	switch {
	case err == nil:
		rec, rerr := sam.Recover(sess, proof)
		if rerr == nil {
			if err := t.addRecord(rec); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "recovered the %s from the card's proof\n", what)
			break
		}
		if !errors.Is(rerr, epurse.ErrBadMAC) {
			return rerr
		}
		// The card's purchase under that counter was made elsewhere.
		fmt.Fprintf(e.stdout, "the card never took the %s; dropped\n", what)
	case errors.Is(err, epurse.ErrNotFound) && chip.State().OfflineCounter <= sess.OfflineCounter:
		fmt.Fprintf(e.stdout, "the card never took the %s; dropped\n", what)
	case errors.Is(err, epurse.ErrNotFound):
		// Ten purchases elsewhere pushed it out of the card's log. If the
		// card did take it, the value stays in the card account: a gap
		// clearing reports, refunded to the holder if the card is lost.
		fmt.Fprintf(e.stderr, "the card's log no longer tells whether it took the %s; dropped\n", what)
	default:
		return err
	}
	t.InFlight = slices.Delete(t.InFlight, i, i+1)
	return tp.saveTerminal(tp.termPath, t)
}

// records decodes the records waiting for upload.
func (t *terminalFile) records() ([]epurse.Record, error) {
	out := make([]epurse.Record, 0, len(t.Records))
	for _, h := range t.Records {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("record %q is not hex", h)
		}
		r, err := epurse.DecodeRecord(b)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
