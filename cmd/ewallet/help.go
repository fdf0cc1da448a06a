package main

import (
	"context"
	"fmt"
	"io"
)

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ewallet <subcommand> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "subcommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `"ewallet help <subcommand>" or "ewallet <subcommand> -h" shows its flags.`)
}

// runHelp prints the subcommands, or with one argument that subcommand's flags.
func runHelp(ctx context.Context, e *env, args []string) error {
	switch {
	case len(args) > 1:
		return fmt.Errorf("help: want at most one subcommand, got %d arguments", len(args))
	case len(args) == 0, args[0] == "help", args[0] == "-h", args[0] == "--help":
		printUsage(e.stdout)
		return nil
	}
	// Each subcommand prints its own flags when asked with -h.
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, &env{getenv: e.getenv, stdin: e.stdin, stdout: e.stdout, stderr: e.stdout}, []string{"-h"})
		}
	}
	return fmt.Errorf("help: unknown subcommand %q", args[0])
}
