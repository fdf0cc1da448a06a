package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
)

// loadAnswer is the server's answer to both steps of a load.
type loadAnswer struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	Amount        string `json:"amount"`
	OnlineCounter uint16 `json:"online_counter"`
	CreditCommand string `json:"credit_command"`
	Settled       []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"settled"`
}

func runCardLoad(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "card load", "--server URL --token TOKEN --file card.json --amount 50.00 --pin PIN")
	sf := userFlags(fs, e.getenv)
	path := fs.String("file", "card.json", "the chip file")
	amount := fs.String("amount", "", "how much to load, like 50.00")
	pin := fs.String("pin", "", "your payment PIN (env EWALLET_PIN)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cf, err := readCard(*path)
	if err != nil {
		return err
	}
	n, err := money.ParsePositive(*amount, cf.Currency)
	if err != nil {
		return fmt.Errorf("--amount: %w", err)
	}
	if *pin == "" {
		*pin = e.getenv("EWALLET_PIN") // not the flag's default: usage would print it
	}
	if *pin == "" {
		return errors.New("missing --pin (or EWALLET_PIN)")
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	return loadCard(ctx, e, c, *path, cf, n, *pin)
}

// loadCard runs the two-step load: INITIALIZE FOR LOAD on the chip, step 1
// on the server (the wallet pays into the card account, MAC2 comes back),
// CREDIT FOR LOAD on the chip, the chip file saved, then the chip's TAC to
// the server. The chip is saved before the server hears of the credit: a
// server told "completed" about value the chip file does not hold would
// be money lost. Whatever breaks in between, the server settles the load
// at the card's next load, from the online counter the chip answers then.
func loadCard(ctx context.Context, e *env, c *apiClient, path string, cf *cardFile, amount int64, pin string) error {
	cur := cf.Currency
	chip := epurse.LoadCard(cf.Chip, nil)
	resp, err := chip.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: amount})
	if err != nil {
		return fmt.Errorf("the card refused the load: %w", err)
	}
	rb, err := resp.Encode()
	if err != nil {
		return err
	}
	var ans loadAnswer
	body := map[string]string{"amount": money.Format(amount, cur), "currency": string(cur), "card_response": hex.EncodeToString(rb), "pin": pin}
	// One key for the retries: a step 1 that was done but whose answer
	// was lost answers again with the same MAC2, which this chip session
	// can still take.
	err = c.callRetrying(ctx, "POST", "/v1/epurse/cards/"+cf.CardID+"/loads", newIdempotencyKey("card-load"), body, &ans)
	if inDoubt(err) {
		return fmt.Errorf("%w\nnothing was added to the card; if the server took the money from your wallet, your next load gives it back", err)
	}
	if err != nil {
		return fmt.Errorf("load refused: %w", err)
	}
	for _, s := range ans.Settled {
		fmt.Fprintf(e.stdout, "earlier load %s settled: %s\n", s.ID, s.Status)
	}
	cr, err := credit(chip, ans.CreditCommand)
	if err != nil {
		return fmt.Errorf("the card did not take load %s: %w\nits money stays in the card account until your next load gives it back", ans.ID, err)
	}
	cf.Chip = chip.State()
	if err := saveCard(path, cf); err != nil {
		return fmt.Errorf("load %s: the chip file may not hold the credit: %w\nyour next load settles it: completed if the file holds it, the money back to your wallet if not", ans.ID, err)
	}
	fmt.Fprintf(e.stdout, "loaded %s %s onto card %s: chip balance %s %s\n", money.Format(amount, cur), cur, cf.CardID,
		money.Format(cf.Chip.Balance, cur), cur)
	return completeLoad(ctx, e, c, cf.CardID, ans.ID, cr)
}

// credit sends the server's CREDIT FOR LOAD (hex) to the chip.
func credit(chip *epurse.Card, hexCmd string) (epurse.CreditLoadResponse, error) {
	b, err := hex.DecodeString(hexCmd)
	if err != nil {
		return epurse.CreditLoadResponse{}, fmt.Errorf("credit_command is not hex")
	}
	cmd, err := epurse.DecodeCreditLoadCommand(b)
	if err != nil {
		return epurse.CreditLoadResponse{}, err
	}
	return chip.CreditForLoad(cmd)
}

// completeLoad gives the server the chip's TAC. The chip holds the value
// by now, so an error here loses nothing: the load stays pending until
// the card's next contact shows its counter past it.
func completeLoad(ctx context.Context, e *env, c *apiClient, cardID, loadID string, cr epurse.CreditLoadResponse) error {
	b, err := cr.Encode()
	if err != nil {
		return err
	}
	var done loadAnswer
	err = c.callRetrying(ctx, "POST", "/v1/epurse/cards/"+cardID+"/loads/"+loadID+"/complete", "",
		map[string]string{"card_response": hex.EncodeToString(b)}, &done)
	switch {
	case inDoubt(err):
		fmt.Fprintf(e.stderr, "the server did not confirm load %s (%v).\n"+
			"The card holds the value and the server already took it from your wallet; the load stays pending until\n"+
			"your next `ewallet card load`, whose card answer shows the online counter past it and completes it.\n", loadID, err)
		return nil
	case err != nil:
		return fmt.Errorf("the card holds the value, but the server refused its proof for load %s: %w\n"+
			"the next load settles it from the card's online counter", loadID, err)
	}
	fmt.Fprintf(e.stdout, "load %s %s\n", loadID, done.Status)
	return nil
}
