package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ewallet/ewallet/banksim"
)

// runBanksim is `ewallet banksim`: the sandbox bank as its own service,
// with its own database under --data, until ctx ends.
func runBanksim(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "banksim", "[--addr HOST:PORT] [--data DIR] [--secret S] [--chaos-rate R] [--chaos b1,b2]")
	addr := fs.String("addr", "127.0.0.1:8090", "address to listen on (port 0 picks a free port)")
	data := fs.String("data", "./banksim-data", "data directory of the bank's database")
	secret := fs.String("secret", e.getenv("EWALLET_BANK_SECRET"), "HMAC secret shared with ewallet (env EWALLET_BANK_SECRET)")
	rate := fs.Float64("chaos-rate", 0, "share of requests (0-1) given a misbehaviour by chance")
	chaos := fs.String("chaos", "", "comma-separated misbehaviours chance picks from (default all): "+names(banksim.Misbehaviours))
	seed := fs.Uint64("seed", 0, "seed of the chance (0: from the clock)")
	opening := fs.Int64("opening", 100_000_000, "opening balance of every new card, in minor units")
	async := fs.Duration("async-delay", time.Second, "how long accepted requests (payouts) wait for their outcome")
	slow := fs.Duration("slow-delay", 30*time.Second, "longest wait of slow and timing-out requests for the caller to give up")
	cbMax := fs.Duration("callback-backoff-max", 30*time.Second, "longest wait between deliveries of a failing callback")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	if *secret == "" {
		return errors.New("banksim needs --secret (or EWALLET_BANK_SECRET)")
	}
	if *rate < 0 || *rate > 1 {
		return errors.New("--chaos-rate must be between 0 and 1")
	}
	among, err := parseBehaviours(*chaos)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	b, err := banksim.Open(ctx, *data, banksim.Config{Secret: []byte(*secret), Opening: *opening, AsyncDelay: *async, SlowDelay: *slow,
		CallbackBackoffMax: *cbMax, ChaosRate: *rate, Chaos: among, Seed: *seed, Log: log})
	if err != nil {
		return err
	}
	defer b.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	workCtx, stopWork := context.WithCancel(ctx)
	var workers sync.WaitGroup
	workers.Go(func() { b.Run(workCtx) })
	defer func() { stopWork(); workers.Wait() }()
	srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	log.Info("bank listening", "addr", ln.Addr().String(), "chaos_rate", *rate)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("banksim: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return srv.Shutdown(sctx)
}

func names(bs []banksim.Behaviour) string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	return strings.Join(s, ",")
}

func parseBehaviours(list string) ([]banksim.Behaviour, error) {
	if list == "" {
		return nil, nil
	}
	var out []banksim.Behaviour
	for _, name := range strings.Split(list, ",") {
		b, ok := banksim.ParseBehaviour(strings.TrimSpace(name))
		if !ok || b == banksim.Normal {
			return nil, fmt.Errorf("--chaos: unknown misbehaviour %q (known: %s)", name, names(banksim.Misbehaviours))
		}
		out = append(out, b)
	}
	return out, nil
}
