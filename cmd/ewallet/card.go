package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
)

// runCard is `ewallet card new|show|load|log`: a software stored-value
// card whose chip is a file (see epurse_state.go).
func runCard(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "card", []command{
		{"new", "issue a card to your wallet and write its chip file", runCardNew},
		{"show", "show the chip's number, balance, counters and caps (offline)", runCardShow},
		{"load", "load value from your wallet onto the card (online)", runCardLoad},
		{"log", "show the chip's transaction log (offline)", runCardLog},
	}, args)
}

// dispatch runs the sub-subcommand args[0] of parent.
func dispatch(ctx context.Context, e *env, parent string, subs []command, args []string) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "usage: ewallet %s <command> [flags]\n\ncommands:\n", parent)
		for _, s := range subs {
			fmt.Fprintf(w, "  %-9s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\n\"ewallet %s <command> -h\" shows its flags.\n", parent)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return fmt.Errorf("%s: no command given", parent)
		}
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	usage(e.stderr)
	return fmt.Errorf("%s: unknown command %q", parent, args[0])
}

// issuedCard is the answer to POST /v1/epurse/cards.
type issuedCard struct {
	ID              string `json:"id"`
	Number          string `json:"number"`
	Currency        string `json:"currency"`
	BalanceCap      string `json:"balance_cap"`
	PurchaseCap     string `json:"purchase_cap"`
	Personalization struct {
		LoadKey     string `json:"load_key"`
		PurchaseKey string `json:"purchase_key"`
		TACKey      string `json:"tac_key"`
	} `json:"personalization"`
}

func runCardNew(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "card new", "--server URL --token TOKEN --file card.json")
	sf := userFlags(fs, e.getenv)
	path := fs.String("file", "card.json", "the chip file to create")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := mustNotExist(*path); err != nil {
		return err
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	var is issuedCard
	if err := c.call(ctx, "POST", "/v1/epurse/cards", "", struct{}{}, &is); err != nil {
		return fmt.Errorf("issue a card: %w", err)
	}
	cf, err := personalize(is)
	if err != nil {
		return fmt.Errorf("the issued card %s: %w", is.ID, err)
	}
	// The keys were shown once: if the file cannot be written the card is
	// useless, and the server holds no value for it yet.
	if err := saveCard(*path, cf); err != nil {
		return fmt.Errorf("card %s issued but its chip file not written (it holds no value; issue another): %w", is.ID, err)
	}
	st := cf.Chip
	fmt.Fprintf(e.stdout, "card %s issued, chip written to %s\n", cf.CardID, *path)
	fmt.Fprintf(e.stdout, "number %s, balance cap %s %s, per-purchase cap %s %s\n", groupHex(st.Number.String()),
		money.Format(st.BalanceCap, cf.Currency), cf.Currency, money.Format(st.PurchaseCap, cf.Currency), cf.Currency)
	return nil
}

// personalize is what a personalisation bureau writes into a new chip.
func personalize(is issuedCard) (*cardFile, error) {
	n, err := epurse.ParseCardNumber(is.Number)
	if err != nil {
		return nil, err
	}
	cur, err := money.ParseCurrency(is.Currency)
	if err != nil {
		return nil, err
	}
	st := epurse.CardState{Number: n}
	p := is.Personalization
	for _, k := range []struct {
		hex string
		dst *epurse.Key
	}{{p.LoadKey, &st.Keys.DLK}, {p.PurchaseKey, &st.Keys.DPK}, {p.TACKey, &st.Keys.DTK}} {
		if *k.dst, err = parseKey(k.hex); err != nil {
			return nil, fmt.Errorf("personalization key: %w", err)
		}
	}
	if st.BalanceCap, err = money.ParsePositive(is.BalanceCap, cur); err != nil {
		return nil, fmt.Errorf("balance_cap: %w", err)
	}
	if st.PurchaseCap, err = money.ParsePositive(is.PurchaseCap, cur); err != nil {
		return nil, fmt.Errorf("purchase_cap: %w", err)
	}
	return &cardFile{Version: fileVersion, CardID: is.ID, Currency: cur, Chip: st}, nil
}

func runCardShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "card show", "--file card.json")
	path := fs.String("file", "card.json", "the chip file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cf, err := readCard(*path)
	if err != nil {
		return err
	}
	st, cur := cf.Chip, cf.Currency
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "card\t%s\n", cf.CardID)
	fmt.Fprintf(w, "number\t%s\n", groupHex(st.Number.String()))
	fmt.Fprintf(w, "balance\t%s %s\n", money.Format(st.Balance, cur), cur)
	fmt.Fprintf(w, "online counter\t%d (loads made)\n", st.OnlineCounter)
	fmt.Fprintf(w, "offline counter\t%d (purchases made)\n", st.OfflineCounter)
	fmt.Fprintf(w, "balance cap\t%s %s\n", money.Format(st.BalanceCap, cur), cur)
	fmt.Fprintf(w, "purchase cap\t%s %s\n", money.Format(st.PurchaseCap, cur), cur)
	return w.Flush()
}

func runCardLog(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "card log", "--file card.json")
	path := fs.String("file", "card.json", "the chip file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cf, err := readCard(*path)
	if err != nil {
		return err
	}
	if len(cf.Chip.Log) == 0 {
		fmt.Fprintln(e.stdout, "no transactions yet")
		return nil
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "type\tcounter\tamount\tbalance\tterminal\tseq\ttime (UTC)\t")
	for _, l := range cf.Chip.Log {
		kind, term, seq := "load", "-", "-"
		if l.Type == epurse.TypePurchase {
			kind, term, seq = "purchase", l.Terminal.String(), fmt.Sprint(l.TerminalSeq)
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", kind, l.Counter, money.Format(l.Amount, cf.Currency),
			money.Format(l.Balance, cf.Currency), term, seq, time.Unix(int64(l.Time), 0).UTC().Format(time.DateTime))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "(the chip keeps its last %d transactions)\n", epurse.LogSize)
	return nil
}

// groupHex writes 16 hex digits in groups of four, as printed on a card.
func groupHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}
