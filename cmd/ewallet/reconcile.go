package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

// runReconcile is `ewallet reconcile --date D`: it matches the bank's
// statements of the UTC day D against the ledger's bank settlement
// account, settles what the bank booked and we had not (by a status
// query), stores the report (GET /v1/admin/reconciliations/D shows it)
// and prints it. It fails when a difference is left unexplained.
func runReconcile(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "reconcile", "--date YYYY-MM-DD --bank URL [--bank-secret S] [--data DIR | --db postgres://...]")
	date := fs.String("date", time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly), "the UTC day to reconcile (default yesterday)")
	sf := addStoreFlags(fs, e.getenv)
	bf := addBankFlags(fs, e.getenv)
	configPath := fs.String("config", e.getenv("EWALLET_CONFIG"), "JSON config file, as for serve (env EWALLET_CONFIG)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	day, err := time.Parse(time.DateOnly, *date)
	if err != nil {
		return fmt.Errorf("--date must be YYYY-MM-DD: %w", err)
	}
	if bf.url == "" {
		return errors.New("reconcile needs --bank (or EWALLET_BANK_URL)")
	}
	conf, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	sf.beside = true // settling an operation needs the server stopped; reading does not
	db, _, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	sec, err := loadSecrets(sf.dataDir(), conf.keys, e.getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	ws := db.WalletStore()
	svc, _, _, err := newWallet(ws, l, sec, conf.wallet, false, log)
	if err != nil {
		return err
	}
	link, err := bf.connect(ws, svc, l, log)
	if err != nil {
		return err
	}
	rep, err := link.recon.Run(ctx, day)
	if err != nil {
		return err
	}
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Fprintln(e.stdout, string(out))
	if rep.Unexplained > 0 {
		return fmt.Errorf("reconcile %s: %d unexplained differences", rep.Date, rep.Unexplained)
	}
	return nil
}
