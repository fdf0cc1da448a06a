package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ewallet/ewallet/api"
	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/reconcile"
	"github.com/ewallet/ewallet/wallet"
)

// bankFlags choose the bank: the in-process sandbox of --dev (or none)
// by default, the HTTP connector to a bank with --bank.
type bankFlags struct {
	url, secret      string
	timeout, backoff time.Duration
	backoffMax       time.Duration
	recovery         time.Duration
}

func addBankFlags(fs *flag.FlagSet, getenv func(string) string) *bankFlags {
	b := &bankFlags{}
	fs.StringVar(&b.url, "bank", getenv("EWALLET_BANK_URL"), "URL of the bank (`ewallet banksim`, or one speaking bank/bankwire); selects the HTTP connector instead of the sandbox (env EWALLET_BANK_URL)")
	fs.StringVar(&b.secret, "bank-secret", getenv("EWALLET_BANK_SECRET"), "HMAC secret shared with the bank (env EWALLET_BANK_SECRET)")
	fs.DurationVar(&b.timeout, "bank-timeout", 10*time.Second, "longest wait for the bank's answer; a request past it is in doubt, not failed")
	fs.DurationVar(&b.backoff, "bank-backoff", time.Second, "first wait between status queries about a request in doubt (it doubles per query)")
	fs.DurationVar(&b.backoffMax, "bank-backoff-max", 5*time.Minute, "longest wait between status queries about a request in doubt")
	fs.DurationVar(&b.recovery, "bank-recovery", recoveryInterval, "how often bank operations in doubt are re-asked")
	return b
}

// bankLink is the HTTP connector with its callback receiver and daily
// reconciliation.
type bankLink struct {
	client    *httpbank.Client
	callbacks *httpbank.Callbacks
	recon     *reconcile.Reconciler
	log       *slog.Logger
}

// reconciliationStore is what the wallet store must also keep for a bank
// connector (store/walletsql does).
type reconciliationStore interface {
	httpbank.Store
	reconcile.Store
	Reconciliation(ctx context.Context, day string) ([]byte, error)
}

// connect builds the HTTP connector when --bank is given and makes it the
// wallet's bank; nil without --bank.
func (b *bankFlags) connect(ws wallet.Store, svc *wallet.Service, l *ledger.Ledger, log *slog.Logger) (*bankLink, error) {
	if b.url == "" {
		return nil, nil
	}
	u, err := url.Parse(b.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--bank must be an http(s):// URL")
	}
	if b.secret == "" {
		return nil, errors.New("--bank needs --bank-secret (or EWALLET_BANK_SECRET)")
	}
	store, ok := ws.(reconciliationStore)
	if !ok {
		return nil, errors.New("the wallet store keeps no bank requests")
	}
	client := httpbank.New(store, httpbank.Options{BaseURL: b.url, Secret: []byte(b.secret), Timeout: b.timeout,
		BackoffMin: b.backoff, BackoffMax: b.backoffMax, Log: log})
	svc.Bank = client // before any worker or request runs
	link := &bankLink{client: client, callbacks: httpbank.NewCallbacks(client, svc), log: log}
	link.recon = &reconcile.Reconciler{Ledger: l, Bank: reconcile.Files{Fetch: client.Statement}, Ops: ws,
		Resolver: resolver{client, svc}, Store: store, Log: log}
	return link, nil
}

// resolver settles an operation by asking the bank now.
type resolver struct {
	c *httpbank.Client
	s httpbank.Settler
}

func (r resolver) Resolve(ctx context.Context, id string) (wallet.BankOp, error) {
	return r.c.Resolve(ctx, r.s, id)
}

// listening tells the connector where the bank should post its callbacks:
// this server's POST /v1/bank/callbacks. A wildcard address is given as
// loopback (a bank elsewhere needs a reverse proxy in front anyway).
func (k *bankLink) listening(addr net.Addr) {
	if k == nil {
		return
	}
	host := addr.String()
	if strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, "[::]:") {
		_, port, _ := net.SplitHostPort(host)
		host = net.JoinHostPort("127.0.0.1", port)
	}
	k.client.SetCallbackURL("http://" + host + "/v1/bank/callbacks")
}

// apiCallbacks is the callback receiver for api.Deps (a nil interface
// without a connector, not a typed nil).
func (k *bankLink) apiCallbacks() api.BankCallbacks {
	if k == nil {
		return nil
	}
	return k.callbacks
}

// reconcileDaily reconciles yesterday (UTC) once the day is over and
// again every interval until ctx ends: late callbacks resolved since make
// a later run know more; each run replaces the day's report.
func (k *bankLink) reconcileDaily(ctx context.Context, every time.Duration) {
	if k == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		day := time.Now().UTC().AddDate(0, 0, -1)
		rep, err := k.recon.Run(ctx, day)
		switch {
		case err != nil && ctx.Err() == nil:
			k.log.ErrorContext(ctx, "reconcile", "day", day.Format(time.DateOnly), "err", err)
		case err == nil && rep.Unexplained > 0:
			k.log.WarnContext(ctx, "reconciliation has unexplained differences", "day", rep.Date, "unexplained", rep.Unexplained)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reconcileInterval is how often serve reconciles yesterday again.
const reconcileInterval = time.Hour

// reconciliations is the store of reports for the operator endpoint (nil
// when the store keeps none).
func reconciliations(ws wallet.Store) api.Reconciliations {
	if r, ok := ws.(api.Reconciliations); ok {
		return r
	}
	return nil
}
