package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// ErrNoPgbench is returned by Pgbench when pgbench is not on PATH.
var ErrNoPgbench = errors.New("pgbench is not installed")

// Pgbench measures the PostgreSQL server's TPC-B-like throughput, the
// context BENCH.md asks for: on a scratch database it runs
// `pgbench -i -s 10`, then `pgbench -c clients -j 2 -T seconds -n`, and
// returns the reported TPS. The scratch database is dropped and a CHECKPOINT
// issued afterwards, so its dirty pages are not written during the next run.
func Pgbench(ctx context.Context, serverURL string, clients int, d time.Duration) (float64, error) {
	bin, err := exec.LookPath("pgbench")
	if err != nil {
		return 0, ErrNoPgbench
	}
	dbURL, drop, err := scratchDB(ctx, serverURL, "ewallet_pgbench_")
	if err != nil {
		return 0, err
	}
	tps, err := runPgbench(ctx, bin, dbURL, clients, d)
	if derr := drop(); err == nil {
		err = derr
	}
	if err == nil {
		err = adminExec(ctx, serverURL, "CHECKPOINT")
	}
	return tps, err
}

func runPgbench(ctx context.Context, bin, dbURL string, clients int, d time.Duration) (float64, error) {
	if _, err := pgbenchCmd(ctx, bin, "-i", "-s", "10", "-q", dbURL); err != nil {
		return 0, err
	}
	secs := strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
	out, err := pgbenchCmd(ctx, bin, "-c", strconv.Itoa(clients), "-j", "2", "-T", secs, "-n", dbURL)
	if err != nil {
		return 0, err
	}
	return parseTPS(out)
}

func pgbenchCmd(ctx context.Context, bin string, args ...string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("pgbench %s: %w: %s", args[0], err, lastLine(stderr.Bytes()))
	}
	return stdout.Bytes(), nil
}

var tpsLine = regexp.MustCompile(`(?m)^tps = ([0-9]+(?:\.[0-9]+)?)`)

// parseTPS reads "tps = 1859.856214 (without initial connection time)" from
// pgbench's report.
func parseTPS(out []byte) (float64, error) {
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench: no tps line in its output: %s", lastLine(out))
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func lastLine(b []byte) string {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[i+1:]
	}
	return string(b)
}
