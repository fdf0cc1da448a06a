package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// journalFixture is a ledger on a journaling database whose applier only
// applies when a read asks it to, so a test decides what SQLite holds.
type journalFixture struct {
	path         string
	db           *sqlite.DB
	l            *ledger.Ledger
	world, alice ledger.AccountID
}

func lazyApplier(t *testing.T) {
	every, atLeast := sqlite.SetApplyPace(time.Hour, 1<<30)
	t.Cleanup(func() { sqlite.SetApplyPace(every, atLeast) })
}

func openJournalFixture(t *testing.T, path string) *journalFixture {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	f := &journalFixture{path: path, db: db, l: ledger.New(db, ledger.Options{})}
	as, err := f.l.CreateAccounts(context.Background(), []ledger.AccountSpec{
		{Name: "world", Currency: money.CNY, Flags: ledger.NoPositive},
		{Name: "alice", Currency: money.CNY, Flags: ledger.NoNegative},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.world, f.alice = as[0].ID, as[1].ID
	return f
}

func (f *journalFixture) move(t *testing.T, id string, from, to ledger.AccountID, amount int64) error {
	t.Helper()
	_, err := f.l.Transfer(context.Background(), ledger.Move(id, "test", from, to, amount))
	return err
}

// crash closes the ledger (every answer given) and cuts the power.
func (f *journalFixture) crash() {
	f.l.Close()
	sqlite.Crash(f.db)
}

func sqliteCount(t *testing.T, path, table string) int {
	var n int
	rawQuery(t, path, `SELECT count(*) FROM `+table, &n)
	return n
}

// TestJournalReplay acknowledges transfers SQLite does not hold yet, cuts
// the power, tears the journal's last record, and checks that opening the
// database again brings back every acknowledged transfer and refusal.
func TestJournalReplay(t *testing.T) {
	lazyApplier(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	for i := range 20 {
		if err := f.move(t, fmt.Sprint("in-", i), f.world, f.alice, 100); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.l.GetTransfer(ctx, "in-19"); err != nil { // a read: the applier catches up
		t.Fatal(err)
	}
	for i := range 15 {
		if err := f.move(t, fmt.Sprint("out-", i), f.alice, f.world, 10); err != nil {
			t.Fatal(err)
		}
	}
	refused := f.move(t, "too-much", f.alice, f.world, 1_000_000)
	if ledger.ErrorCode(refused) != ledger.CodeInsufficientFunds {
		t.Fatalf("overdraft: %v, want insufficient_funds", refused)
	}
	f.crash()

	if n := sqliteCount(t, path, "transfers"); n != 20 {
		t.Fatalf("SQLite holds %d transfers before the replay, want the 20 applied", n)
	}
	segs := sqlite.JournalSegments(path)
	if len(segs) != 1 {
		t.Fatalf("journal segments after the crash: %v", segs)
	}
	torn, err := os.OpenFile(segs[0], os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn.Write([]byte{0x45, 0x57, 0x4a, 0x31, 200, 0, 0, 0, 1, 2, 3}) // a record cut short by the crash
	torn.Close()

	db := MustOpenDB(t, path)
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	if got := sqlite.JournalSegments(path); len(got) != 1 || got[0] == segs[0] {
		t.Errorf("segments after the replay: %v, want only a new one", got)
	}
	a, err := l.Account(ctx, f.alice)
	if err != nil || a.Posted != 20*100-15*10 {
		t.Fatalf("alice after the replay: %+v, %v; want posted %d", a, err, 20*100-15*10)
	}
	_, err = l.Transfer(ctx, ledger.Move("too-much", "test", f.alice, f.world, 1_000_000))
	if ledger.ErrorCode(err) != ledger.CodeInsufficientFunds {
		t.Errorf("retrying the refused transfer: %v, want the remembered insufficient_funds", err)
	}
	res, err := l.Transfer(ctx, ledger.Move("out-14", "test", f.alice, f.world, 10))
	if err != nil || !res.Replayed || res.Transfer.Seq != 35 {
		t.Errorf("retrying out-14: %+v, %v; want a replay of seq 35", res, err)
	}
	next, err := l.Transfer(ctx, ledger.Move("after", "test", f.world, f.alice, 1))
	if err != nil || next.Transfer.Seq != 36 {
		t.Fatalf("first transfer after the replay: seq %d, %v; want 36", next.Transfer.Seq, err)
	}
	if r, err := l.Verify(ctx); err != nil || !r.OK || r.TransfersChecked != 36 {
		t.Fatalf("verify: %+v, %v", r, err)
	}
}

// TestJournalSegments rotates through many small segments, deletes them
// once SQLite holds their records durably, and replays several at once.
func TestJournalSegments(t *testing.T) {
	lazyApplier(t)
	old := sqlite.SetSegmentBytes(2048)
	defer sqlite.SetSegmentBytes(old)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	for i := range 60 {
		if err := f.move(t, fmt.Sprint("a-", i), f.world, f.alice, 1); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(sqlite.JournalSegments(path)); n < 5 {
		t.Fatalf("%d segments for 60 transfers of 2 KiB segments, want several", n)
	}
	if _, err := f.l.Account(ctx, f.alice); err != nil { // applies everything, durably past the full segments
		t.Fatal(err)
	}
	if n := len(sqlite.JournalSegments(path)); n != 1 {
		t.Errorf("%d segments once everything is applied, want the open one", n)
	}
	for i := range 60 {
		if err := f.move(t, fmt.Sprint("b-", i), f.world, f.alice, 1); err != nil {
			t.Fatal(err)
		}
	}
	f.crash()
	if n := len(sqlite.JournalSegments(path)); n < 5 {
		t.Fatalf("%d segments to replay, want several", n)
	}
	db := MustOpenDB(t, path)
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	if a, err := l.Account(ctx, f.alice); err != nil || a.Posted != 120 {
		t.Fatalf("alice after replaying several segments: %+v, %v; want 120", a, err)
	}
	if r, err := l.Verify(ctx); err != nil || !r.OK || r.TransfersChecked != 120 {
		t.Fatalf("verify: %+v, %v", r, err)
	}
}

// TestJournalDamaged refuses to open a database whose journal is damaged
// before its end: opening it would lose acknowledged transfers silently.
func TestJournalDamaged(t *testing.T) {
	lazyApplier(t)
	old := sqlite.SetSegmentBytes(1024)
	defer sqlite.SetSegmentBytes(old)
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	for i := range 30 {
		if err := f.move(t, fmt.Sprint("a-", i), f.world, f.alice, 1); err != nil {
			t.Fatal(err)
		}
	}
	f.crash()
	segs := sqlite.JournalSegments(path)
	if len(segs) < 3 {
		t.Fatalf("segments: %v", segs)
	}
	buf, err := os.ReadFile(segs[1])
	if err != nil {
		t.Fatal(err)
	}
	buf[len(buf)/2] ^= 0xff
	if err := os.WriteFile(segs[1], buf, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("opened a database whose journal is damaged in the middle")
	}
	t.Log(err)
}

// TestJournalLock lets one process journal a database: another Open is
// refused, OpenShared may read beside it but not write its ledger.
func TestJournalLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	if err := f.move(t, "one", f.world, f.alice, 5); err != nil {
		t.Fatal(err)
	}
	if db, err := sqlite.Open(ctx, path); !errors.Is(err, sqlite.ErrInUse) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if _, err := f.l.Account(ctx, f.alice); err != nil { // applied: other processes see it
		t.Fatal(err)
	}
	beside := mustOpen(t, path, sqlite.OpenShared)
	lb := ledger.New(beside, ledger.Options{})
	if a, err := lb.Account(ctx, f.alice); err != nil || a.Posted != 5 {
		t.Fatalf("read beside the journal: %+v, %v", a, err)
	}
	_, err := lb.Transfer(ctx, ledger.Move("two", "test", f.world, f.alice, 5))
	if ledger.ErrorCode(err) != ledger.CodeUnavailable || !errors.Is(err, sqlite.ErrInUse) {
		t.Fatalf("write beside the journal: %v, want unavailable (in use)", err)
	}
	f.l.Close()
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := lb.Transfer(ctx, ledger.Move("two", "test", f.world, f.alice, 5)); err != nil {
		t.Fatalf("write once the journaling process closed: %v", err)
	}
	lb.Close()
	if db, err := sqlite.Open(ctx, path); !errors.Is(err, sqlite.ErrInUse) {
		if db != nil {
			db.Close()
		}
		t.Fatalf("Open while a shared writer has it: %v, want ErrInUse", err)
	}
}

// TestJournalSyncFailure: once a journal write fails nothing more is
// acknowledged; after a restart the journal has whatever it synced, and a
// retry learns each transfer's fate.
func TestJournalSyncFailure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	if err := f.move(t, "before", f.world, f.alice, 7); err != nil {
		t.Fatal(err)
	}
	sqlite.BreakJournal(f.db)
	for _, id := range []string{"lost", "after"} {
		err := f.move(t, id, f.world, f.alice, 1)
		if ledger.ErrorCode(err) != ledger.CodeUnavailable {
			t.Fatalf("%s on a broken journal: %v, want unavailable", id, err)
		}
	}
	if _, err := f.l.Account(ctx, f.alice); err == nil {
		t.Error("a read on a broken journal answered: it cannot know it is current")
	}
	f.l.Close()
	f.db.Close()

	db := MustOpenDB(t, path)
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	if a, err := l.Account(ctx, f.alice); err != nil || a.Posted != 7 {
		t.Fatalf("alice after the restart: %+v, %v; want 7", a, err)
	}
	res, err := l.Transfer(ctx, ledger.Move("lost", "test", f.world, f.alice, 1))
	if err != nil || res.Replayed {
		t.Fatalf("retrying the unacknowledged transfer: %+v, %v; want it committed now", res, err)
	}
	if r, err := l.Verify(ctx); err != nil || !r.OK {
		t.Fatalf("verify: %+v, %v", r, err)
	}
}

// TestJournalApplyFailure: when SQLite was changed beside the journal the
// applier stops, and with it the ledger, instead of forking the chain.
func TestJournalApplyFailure(t *testing.T) {
	lazyApplier(t)
	old := sqlite.SetApplyAttempts(2)
	defer sqlite.SetApplyAttempts(old)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	f := openJournalFixture(t, path)
	defer f.db.Close()
	defer f.l.Close()
	if err := f.move(t, "one", f.world, f.alice, 5); err != nil {
		t.Fatal(err)
	}
	raw := openRaw(t, path)
	if _, err := raw.Exec(`UPDATE ledger_head SET seq = seq + 3`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.Account(ctx, f.alice); err == nil || !contains(err.Error(), "changed beside the journal") {
		t.Fatalf("read after SQLite was changed beside the journal: %v", err)
	}
	if err := f.move(t, "two", f.world, f.alice, 5); ledger.ErrorCode(err) != ledger.CodeUnavailable {
		t.Fatalf("transfer after the applier stopped: %v, want unavailable", err)
	}
}

// openRaw opens the file on a connection of its own, outside the store.
func openRaw(t *testing.T, path string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
