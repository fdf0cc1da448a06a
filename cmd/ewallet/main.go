// Command ewallet is the e-wallet platform in one binary: `ewallet serve`
// runs the server, `ewallet verify` checks the ledger's invariants,
// `ewallet bench` runs the workloads of shared/BENCH.md. `ewallet help`
// lists every subcommand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ewallet:", err)
		os.Exit(1)
	}
}

// env is the outside world a subcommand sees. run receives it as arguments
// so that tests can call run with their own.
type env struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order help shows them. It is a
// function, not a variable, because help's own entry refers back to it.
func commands() []command {
	return []command{
		{"serve", "run the server", runServe},
		{"verify", "check the ledger's invariants and exit non-zero on a violation", runVerify},
		{"bench", "run the benchmark workloads of shared/BENCH.md", runBench},
		{"banksim", "run the sandbox bank as its own service (issue 7)", runBanksim},
		{"reconcile", "match a day's bank statements against the ledger and report the differences", runReconcile},
		{"card", "a software stored-value card in a file: new, show, load, log", runCard},
		{"terminal", "a software offline terminal in a file: new, tap, upload, denylist, show", runTerminal},
		{"login", "log in to a server and print the session token (for card commands: EWALLET_TOKEN)", runLogin},
		{"help", "show the subcommands, or one subcommand's flags", runHelp},
	}
}

// run dispatches args[0] to its subcommand. It returns when the subcommand
// is done; serve runs until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return errors.New("no subcommand given")
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, e, args[1:])
			if errors.Is(err, flag.ErrHelp) {
				return nil // -h: the usage was asked for and printed
			}
			return err
		}
	}
	printUsage(stderr)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

// newFlagSet makes a subcommand's flag set: errors are returned, not fatal,
// and usage goes to stderr.
func newFlagSet(e *env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ewallet %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and refuses positional arguments. After -h it
// returns flag.ErrHelp, which run turns into success.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}
