package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/ewallet/ewallet/api"
	"github.com/ewallet/ewallet/auth"
	"github.com/ewallet/ewallet/bank"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/merchant"
	"github.com/ewallet/ewallet/notify"
	"github.com/ewallet/ewallet/purse"
	"github.com/ewallet/ewallet/receipt"
	"github.com/ewallet/ewallet/vault"
	"github.com/ewallet/ewallet/wallet"
	"github.com/ewallet/ewallet/web"
	"github.com/ewallet/ewallet/webhook"
)

const (
	sweepInterval       = time.Second      // how often expired holds are released
	recoveryInterval    = time.Second      // how often bank operations in doubt are re-asked
	journalInterval     = time.Second      // how often payments are mirrored from the journal (and at once after each)
	relayInterval       = time.Second      // how often due webhook deliveries are sent
	settleInterval      = time.Minute      // how often the server checks for a day to settle
	refundInterval      = time.Minute      // how often lost e-purse cards past their clearing window are refunded
	shutdownTimeout     = 10 * time.Second // for requests in flight at shutdown
	maxConcurrentHashes = 4                // argon2id costs 19 MiB and ~60 ms each
	minAdminToken       = 32               // below it serve warns: the operator token guards every user
)

// runServe is `ewallet serve`: it opens the database, starts the ledger,
// its hold sweeper and the wallet's workers, and serves HTTP until ctx
// ends, then shuts down in order: HTTP server (finishing requests in
// flight), workers, ledger (finishing queued commits), database.
func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "[--addr HOST:PORT] [--data DIR | --db postgres://...] [--dev] [--admin-token TOKEN] [--config FILE]")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	sf := addStoreFlags(fs, e.getenv)
	bf := addBankFlags(fs, e.getenv)
	dev := fs.Bool("dev", false, "sandbox mode of shared/API.md: SMS outbox at /v1/dev/sms, sandbox bank with its test cards")
	adminToken := fs.String("admin-token", e.getenv("EWALLET_ADMIN_TOKEN"), "bearer token of the operator endpoints /v1/admin/... (env EWALLET_ADMIN_TOKEN)")
	configPath := fs.String("config", e.getenv("EWALLET_CONFIG"), "JSON config file: limits, rates, time zone, keys (env EWALLET_CONFIG)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	if path := e.getenv("EWALLET_CPUPROFILE"); path != "" {
		stop, err := startCPUProfile(path)
		if err != nil {
			return err
		}
		defer stop()
	}
	conf, err := loadConfig(*configPath)
	if err != nil {
		return err
	}

	db, desc, err := sf.open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "err", err)
		}
	}()
	log.Info("database open", "db", desc)
	switch {
	case *adminToken == "":
		log.Warn("no admin token: the /v1/admin endpoints answer 401; set --admin-token or EWALLET_ADMIN_TOKEN")
	case len(*adminToken) < minAdminToken && !*dev:
		log.Warn("the admin token is short: use at least 32 random characters", "length", len(*adminToken))
	}
	sec, err := loadSecrets(sf.dataDir(), conf.keys, e.getenv)
	if err != nil {
		return err
	}

	metrics := api.NewMetrics()
	l := ledger.New(db, ledger.Options{OnCommit: metrics.ObserveCommit, OnTransfer: metrics.ObserveTransfer})
	defer l.Close()
	ws := db.WalletStore()
	ms, ok := ws.(merchant.Store)
	hs, ok2 := ws.(webhook.Store)
	if !ok || !ok2 {
		return errors.New("serve: the wallet store keeps no merchants or webhooks")
	}
	svc, vlt, outbox, err := newWallet(ws, l, sec, conf.wallet, *dev, log)
	if err != nil {
		return err
	}
	link, err := bf.connect(ws, svc, l, log) // --bank: the HTTP connector replaces the sandbox
	if err != nil {
		return err
	}
	signer, err := receipt.NewSigner(ed25519.NewKeyFromSeed(sec.receiptSeed))
	if err != nil {
		return err
	}
	receiptKeys, err := receipt.NewVerifier(signer.PublicKey())
	if err != nil {
		return err
	}
	var merchants *merchant.Service
	hooks := webhook.New(webhook.Deps{Store: hs, Log: log, Dev: *dev,
		Secret: func(ctx context.Context, id string) (string, error) { return merchants.WebhookSecret(ctx, id) }})
	merchants = merchant.New(merchant.Deps{Store: ms, Ledger: l, Wallet: svc, Vault: vlt, Events: hooks, Receipts: signer, Log: log}, conf.merchant)
	purses, err := newPurse(ws, l, svc, sec, conf.purse, log)
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(ctx)
	var workers sync.WaitGroup
	workers.Go(func() {
		l.RunSweeper(workCtx, sweepInterval, func(err error) { log.Error("expire holds", "err", err) })
	})
	workers.Go(func() { svc.RunRecovery(workCtx, bf.recovery) })
	workers.Go(func() { link.reconcileDaily(workCtx, reconcileInterval) })
	workers.Go(func() { prune(workCtx, svc, log) })
	workers.Go(func() { merchants.RunJournal(workCtx, journalInterval) })
	workers.Go(func() { hooks.Run(workCtx, relayInterval) })
	workers.Go(func() { merchants.RunSettlement(workCtx, settleInterval) })
	workers.Go(func() { purses.RunRefunds(workCtx, refundInterval) })
	defer func() { stopWork(); workers.Wait() }()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	link.listening(ln.Addr())
	apiHandler := api.New(api.Deps{Wallet: svc, Ledger: l, DB: db, AdminToken: *adminToken, Dev: *dev, Outbox: outbox,
		Log: log, Metrics: metrics, IPLimit: conf.ipLimitFor(*dev), Merchants: merchants, Webhooks: hooks, ReceiptKeys: receiptKeys, Purse: purses,
		BankCallbacks: link.apiCallbacks(), Reconciliations: reconciliations(ws)})
	// The web app (/app/) calls the API in-process, so it is built on it.
	app, err := web.New(web.Deps{API: apiHandler, Dev: *dev, Log: log})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           web.Mount(apiHandler, app),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "dev", *dev)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// newWallet builds the wallet service with the sandbox bank and SMS outbox
// under --dev.
func newWallet(store wallet.Store, l *ledger.Ledger, sec secrets, cfg wallet.Config, dev bool, log *slog.Logger) (*wallet.Service, *vault.Vault, api.Outbox, error) {
	v, err := vault.New(sec.master)
	if err != nil {
		return nil, nil, nil, err
	}
	pins, err := auth.NewPINHasher(sec.pinPepper)
	if err != nil {
		return nil, nil, nil, err
	}
	var sms wallet.SMS = notify.LogSMS{}
	var bk wallet.Bank = bank.None{}
	var outbox api.Outbox
	if dev {
		sb := &notify.SandboxSMS{}
		sms, outbox, bk = sb, sb, &bank.Sandbox{}
	}
	svc, err := wallet.New(wallet.Deps{Store: store, Ledger: l, Bank: bk, SMS: sms, Vault: v,
		Passwords: auth.NewHasher(maxConcurrentHashes), PINs: pins, CodeSecret: sec.codeSecret, Log: log}, cfg)
	return svc, v, outbox, err
}

// newPurse builds the e-purse service on the wallet's store.
func newPurse(ws wallet.Store, l *ledger.Ledger, svc *wallet.Service, sec secrets, cfg purse.Config, log *slog.Logger) (*purse.Service, error) {
	ps, ok := ws.(purse.Store)
	if !ok {
		return nil, errors.New("serve: the wallet store keeps no e-purse cards")
	}
	return purse.New(purse.Deps{Store: ps, Ledger: l, Wallet: svc, Seed: sec.epurseSeed, Log: log}, cfg)
}

// prune deletes idempotent answers past their 24 hours and expired
// sessions, codes and counters, hourly.
func prune(ctx context.Context, svc *wallet.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := svc.Prune(ctx); err != nil && ctx.Err() == nil {
				log.Error("prune answers, sessions and codes", "err", err)
			}
		}
	}
}

// startCPUProfile writes a CPU profile of the server to path until stop is
// called (EWALLET_CPUPROFILE, for finding where a benchmark's time goes).
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
