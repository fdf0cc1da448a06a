package crashtest_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

const (
	minRun       = 50 * time.Millisecond  // the child runs this long at least after its first ack
	maxRun       = 400 * time.Millisecond // and at most this long
	firstAckWait = 30 * time.Second       // time the child has to open the store and commit something
	minTotalAcks = 1000                   // acks over all rounds that count as substantial progress
)

// roundResult is what one child said before it was killed.
type roundResult struct {
	acks, rejs []record
	torn       int           // 1 if the kill cut off a final line
	ran        time.Duration // from the first ack to the kill
}

// runCrashRounds runs n rounds of start child, kill it, check the store, all
// on the same database, then checks every round's acks once more.
func runCrashRounds(t *testing.T, backend, dsn string, n int) {
	if testing.Short() {
		n = 5
	}
	start := time.Now()
	var all []record
	var counts []string
	torn := 0 // lines cut off by a kill
	for round := 1; round <= n; round++ {
		res := runChild(t, backend, dsn, round)
		if len(res.acks) == 0 {
			t.Fatalf("round %d: the child acknowledged nothing in %s", round, res.ran)
		}
		checkRound(t, backend, dsn, round, res)
		all = append(all, res.acks...)
		counts = append(counts, fmt.Sprintf("%d/%d@%dms", len(res.acks), len(res.rejs), res.ran.Milliseconds()))
		torn += res.torn
	}
	checkAll(t, backend, dsn, all)
	t.Logf("%s: %d kills in %s; acks/refusals@ms run per round: %s; %d acks in all, %d torn lines",
		backend, n, time.Since(start).Round(time.Millisecond), strings.Join(counts, " "), len(all), torn)
	if !testing.Short() && len(all) < minTotalAcks {
		t.Errorf("only %d transfers acknowledged over %d rounds, want at least %d", len(all), n, minTotalAcks)
	}
}

// runChild starts the child on dsn, lets it run for a random 50-400 ms after
// its first ack, kills it with SIGKILL and returns every complete record it
// wrote.
func runChild(t *testing.T, backend, dsn string, round int) roundResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envChild+"="+backend, envDSN+"="+dsn, envRun+"="+strconv.Itoa(round))
	stdin, err := cmd.StdinPipe() // held open until the child is dead; see TestCrashChild
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // read only after wait
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Whatever happens to this test, the child dies with it. Kill after a
	// normal end only fails with "process already finished".
	var waitOnce sync.Once
	var waitErr error
	wait := func() error {
		waitOnce.Do(func() { waitErr = cmd.Wait(); stdin.Close() })
		return waitErr
	}
	t.Cleanup(func() { cmd.Process.Kill(); wait() })

	// Read lines until the pipe closes; a final fragment without its
	// newline was torn by the kill and is not a record.
	lines := make(chan string, 4096)
	var torn int
	go func() {
		defer close(lines)
		r := bufio.NewReaderSize(stdout, 64<<10)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				if line != "" {
					torn = 1
				}
				return
			}
			lines <- strings.TrimSuffix(line, "\n")
		}
	}()

	var res roundResult
	var noise []string
	take := func(line string) {
		rec, ack, ok, err := parseLine(line)
		switch {
		case err != nil:
			t.Errorf("round %d: %v", round, err)
		case !ok:
			noise = append(noise, line)
		case ack:
			res.acks = append(res.acks, rec)
		default:
			res.rejs = append(res.rejs, rec)
		}
	}
	failf := func(format string, args ...any) {
		// SIGQUIT first: the Go runtime prints every goroutine's stack,
		// which shows where a stuck child is stuck.
		cmd.Process.Signal(syscall.SIGQUIT)
		time.AfterFunc(2*time.Second, func() { cmd.Process.Kill() })
		for line := range lines {
			take(line)
		}
		wait()
		errs := stderr.String()
		if len(errs) > 32<<10 {
			errs = errs[:32<<10] + "\n[...]"
		}
		t.Fatalf("round %d: "+format+"\nchild stdout:\n%s\nchild stderr:\n%s", append([]any{round}, append(args, strings.Join(noise, "\n"), errs)...)...)
	}

	noAck := time.NewTimer(firstAckWait)
	defer noAck.Stop()
	var kill <-chan time.Time
	var firstAck time.Time
loop:
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				failf("the child exited before it was killed (%v)", wait())
			}
			take(line)
			if kill == nil && len(res.acks) > 0 {
				firstAck = time.Now()
				kill = time.After(minRun + rand.N(maxRun-minRun))
				noAck.Stop()
			}
		case <-noAck.C:
			failf("no ack within %s", firstAckWait)
		case <-kill:
			break loop
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("round %d: kill: %v", round, err)
	}
	res.ran = time.Since(firstAck)
	for line := range lines { // what the child wrote before it died is acknowledged
		take(line)
	}
	res.torn = torn
	var exit *exec.ExitError
	if err := wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: the child did not die of SIGKILL: %v\nchild stderr:\n%s", round, err, stderr.String())
	}
	if len(noise) > 0 {
		t.Logf("round %d: child stdout besides records:\n%s", round, strings.Join(noise, "\n"))
	}
	return res
}

// checkRound opens the store the child was killed on and checks: every ack
// is stored exactly as acknowledged, with its entries; no refusal is stored;
// each request submitted again gets its first answer (so its idempotency
// record survived too); and Verify passes.
func checkRound(t *testing.T, backend, dsn string, round int, res roundResult) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, closeLedger := openLedger(t, backend, dsn)
	defer closeLedger()

	err := forEach(res.acks, func(rec record) error { return checkAck(ctx, l, rec, true) })
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}
	err = forEach(res.rejs, func(rec record) error {
		if got, err := l.GetTransfer(ctx, rec.ID); ledger.ErrorCode(err) != ledger.CodeNotFound {
			return fmt.Errorf("refused transfer %s: GetTransfer = seq %d, %v; want not_found", rec.ID, got.Seq, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("round %d: %v", round, err)
	}

	recs := append(append([]record(nil), res.acks...), res.rejs...)
	reqs := make([]ledger.Transfer, len(recs))
	for i, rec := range recs {
		var err error
		if reqs[i], err = rec.request(); err != nil {
			t.Fatalf("round %d: %s: %v", round, rec.ID, err)
		}
	}
	for i, o := range l.Submit(ctx, reqs) {
		rec := recs[i]
		switch {
		case rec.Code == "" && (o.Err != nil || !o.Result.Replayed || o.Result.Transfer.Seq != rec.Seq):
			t.Fatalf("round %d: acknowledged %s submitted again: replayed %v seq %d err %v; want a replay of seq %d",
				round, rec.ID, o.Result.Replayed, o.Result.Transfer.Seq, o.Err, rec.Seq)
		case rec.Code != "" && ledger.ErrorCode(o.Err) != rec.Code:
			t.Fatalf("round %d: refused %s submitted again: seq %d err %v; want %s again", round, rec.ID, o.Result.Transfer.Seq, o.Err, rec.Code)
		}
	}

	verify(t, ctx, l, fmt.Sprintf("round %d", round))
}

// checkAck checks that an acknowledged transfer is stored exactly as the
// child was told it committed and, with entries set, that the entries of
// every account it moved money on were written with it: a transfer is all
// there or not at all.
func checkAck(ctx context.Context, l *ledger.Ledger, rec record, entries bool) error {
	tr, err := l.GetTransfer(ctx, rec.ID)
	if err != nil {
		return fmt.Errorf("acknowledged transfer %s (seq %d) is missing: %w", rec.ID, rec.Seq, err)
	}
	if d := rec.mismatch(tr); d != "" {
		return fmt.Errorf("transfer %s is not what was acknowledged: %s", rec.ID, d)
	}
	if !entries {
		return nil
	}
	for _, p := range tr.Postings {
		if tr.Type == ledger.Hold && p.Amount > 0 {
			continue // a hold's credits stay invisible until it is posted
		}
		es, err := l.History(ctx, p.Account, tr.Seq+1, 1)
		if err != nil {
			return fmt.Errorf("history of account %d: %w", p.Account, err)
		}
		if len(es) == 0 || es[0].Seq != tr.Seq {
			return fmt.Errorf("transfer %s (seq %d) is half-written: account %d has no entry for it", tr.ID, tr.Seq, p.Account)
		}
		e := es[0]
		switch {
		case tr.Type == ledger.Hold && (e.Amount != 0 || e.HeldDelta != -p.Amount):
			return fmt.Errorf("hold %s (seq %d): account %d entry moves %d and holds %d, want 0 and %d", tr.ID, tr.Seq, p.Account, e.Amount, e.HeldDelta, -p.Amount)
		case tr.Type != ledger.Hold && e.Amount != p.Amount:
			return fmt.Errorf("transfer %s (seq %d): account %d entry moves %d, want %d", tr.ID, tr.Seq, p.Account, e.Amount, p.Amount)
		}
	}
	return nil
}

// checkers is how many records are checked at once: the checks are reads,
// and on PostgreSQL each is a round trip worth overlapping.
const checkers = 4

// forEach calls fn on every record from several goroutines and returns the
// first error.
func forEach(recs []record, fn func(record) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan record)
	)
	for range checkers {
		wg.Go(func() {
			for rec := range next {
				if err := fn(rec); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, rec := range recs {
		next <- rec
	}
	close(next)
	wg.Wait()
	return first
}

// checkAll checks once more, after the last kill, that every transfer
// acknowledged in any round is still stored as it was acknowledged.
func checkAll(t *testing.T, backend, dsn string, all []record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	l, closeLedger := openLedger(t, backend, dsn)
	defer closeLedger()
	if err := forEach(all, func(rec record) error { return checkAck(ctx, l, rec, false) }); err != nil {
		t.Fatalf("after the last kill: %v", err)
	}
	verify(t, ctx, l, "after the last kill")
}

func verify(t *testing.T, ctx context.Context, l *ledger.Ledger, when string) {
	t.Helper()
	rep, err := l.Verify(ctx)
	if err != nil {
		t.Fatalf("%s: verify: %v", when, err)
	}
	if !rep.OK {
		t.Fatalf("%s: verify found %s (after %d transfers)", when, rep.Problem, rep.TransfersChecked)
	}
}

func openLedger(t *testing.T, backend, dsn string) (*ledger.Ledger, func()) {
	t.Helper()
	store, err := openStore(context.Background(), backend, dsn)
	if err != nil {
		t.Fatalf("open %s after the kill: %v", backend, err)
	}
	l := ledger.New(store, ledger.Options{})
	return l, func() {
		l.Close()
		if err := store.Close(); err != nil {
			t.Errorf("close %s: %v", backend, err)
		}
	}
}
