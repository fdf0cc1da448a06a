package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/ewallet/ewallet/money"
)

// runTerminal is `ewallet terminal new|tap|upload|denylist|show`: a
// software terminal with its SAM, whose state is a file (see
// epurse_state.go). It taps cards offline and talks to the server only to
// register, upload and download the deny list, as a gate or a bus does.
func runTerminal(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "terminal", []command{
		{"new", "register a terminal of your merchant and write its file", runTerminalNew},
		{"tap", "an offline purchase between a terminal file and a card file", runTerminalTap},
		{"upload", "upload the terminal's purchase records for clearing", runTerminalUpload},
		{"denylist", "download the deny list into the terminal file", runTerminalDenyList},
		{"show", "show the terminal file: records waiting, deny list (offline)", runTerminalShow},
	}, args)
}

// merchantFlags are the flags of a terminal command that calls the server.
func merchantFlags(e *env, name, usage string) (sf *serverFlags, path *string, parse func([]string) error) {
	fs := newFlagSet(e, "terminal "+name, usage)
	sf = merchantKeyFlags(fs, e.getenv)
	path = fs.String("file", "terminal.json", "the terminal file")
	return sf, path, func(args []string) error { return parseFlags(fs, args) }
}

// registered is the answer to POST /v1/epurse/terminals.
type registered struct {
	ID         string `json:"id"`
	TerminalID string `json:"terminal_id"`
	Name       string `json:"name"`
	Currency   string `json:"currency"`
	SAMKey     string `json:"sam_key"`
}

func runTerminalNew(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "terminal new", `--server URL --key sk_... --name "Gate 1" --file gate.json`)
	sf := merchantKeyFlags(fs, e.getenv)
	name := fs.String("name", "", "the terminal's name, like \"Gate 1\"")
	path := fs.String("file", "terminal.json", "the terminal file to create")
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
	var reg registered
	if err := c.call(ctx, "POST", "/v1/epurse/terminals", "", map[string]string{"name": *name}, &reg); err != nil {
		return fmt.Errorf("register the terminal: %w", err)
	}
	cur, err := money.ParseCurrency(reg.Currency)
	if err != nil {
		return err
	}
	if _, err := parseKey(reg.SAMKey); err != nil {
		return fmt.Errorf("the server's sam_key is %v", err)
	}
	// Sequence numbers start at 1, so 0 never names a purchase.
	t := &terminalFile{Version: fileVersion, ID: reg.ID, TerminalID: reg.TerminalID, Name: reg.Name, Currency: cur,
		SAMKey: reg.SAMKey, NextSeq: 1, InFlight: []inFlight{}, Records: []string{}, DenyList: []deniedCard{}}
	if err := saveTerminal(*path, t); err != nil {
		return fmt.Errorf("terminal %s registered but its file not written (register another): %w", reg.ID, err)
	}
	fmt.Fprintf(e.stdout, "terminal %s %q registered, written to %s\n", reg.ID, reg.Name, *path)
	return nil
}

func runTerminalDenyList(ctx context.Context, e *env, args []string) error {
	sf, path, parse := merchantFlags(e, "denylist", "--server URL --key sk_... --file gate.json")
	if err := parse(args); err != nil {
		return err
	}
	t, err := readTerminal(*path)
	if err != nil {
		return err
	}
	c, err := sf.client()
	if err != nil {
		return err
	}
	var list struct {
		Data []deniedCard `json:"data"`
	}
	if err := c.callRetrying(ctx, "GET", "/v1/epurse/denylist", "", nil, &list); err != nil {
		return fmt.Errorf("download the deny list: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	t.DenyList, t.DenyListAt = list.Data, &now
	if err := saveTerminal(*path, t); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "deny list: %d cards\n", len(list.Data))
	for _, d := range list.Data {
		fmt.Fprintf(e.stdout, "  %s since %s\n", d.CardID, d.Since.UTC().Format(time.RFC3339))
	}
	return nil
}

func runTerminalShow(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "terminal show", "--file gate.json")
	path := fs.String("file", "terminal.json", "the terminal file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := readTerminal(*path)
	if err != nil {
		return err
	}
	recs, err := t.records()
	if err != nil {
		return err
	}
	var total int64
	for _, r := range recs {
		total += r.Amount
	}
	w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "terminal\t%s %q\n", t.ID, t.Name)
	fmt.Fprintf(w, "next sequence\t%d\n", t.NextSeq)
	fmt.Fprintf(w, "to upload\t%d records, %s %s\n", len(recs), money.Format(total, t.Currency), t.Currency)
	fmt.Fprintf(w, "torn purchases\t%d (recovered at the card's next tap here)\n", len(t.InFlight))
	list := "never downloaded"
	if t.DenyListAt != nil {
		list = fmt.Sprintf("%d cards, downloaded %s", len(t.DenyList), t.DenyListAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(w, "deny list\t%s\n", list)
	return w.Flush()
}
