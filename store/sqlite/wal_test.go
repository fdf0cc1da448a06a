package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/sqlite"
)

// TestWALStaysBounded: under a steady stream of batches the WAL must start
// over from time to time instead of growing with every commit (it grew by
// gigabytes a minute under the benchmark before the writer restarted it).
func TestWALStaysBounded(t *testing.T) {
	sqlite.SetWALRestartFrames(256)
	defer sqlite.SetWALRestartFrames(4096)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	db := MustOpenDB(t, path)
	l := ledger.New(db, ledger.Options{})
	defer l.Close()
	world, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: "world", Currency: money.CNY, Flags: ledger.NoPositive})
	if err != nil {
		t.Fatal(err)
	}
	var accts []ledger.Account
	for i := range 200 {
		a, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: fmt.Sprintf("u%d", i), Currency: money.CNY})
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	var wg sync.WaitGroup
	var peak int64
	var mu sync.Mutex
	for g := range 16 {
		wg.Go(func() {
			for i := range 250 {
				a := accts[(g*131+i*17)%len(accts)]
				if _, err := l.Transfer(ctx, ledger.Move(fmt.Sprintf("t%d-%d", g, i), "topup", world.ID, a.ID, 1)); err != nil {
					t.Error(err)
					return
				}
				if i%25 == 0 {
					if fi, err := os.Stat(path + "-wal"); err == nil {
						mu.Lock()
						peak = max(peak, fi.Size())
						mu.Unlock()
					}
				}
			}
		})
	}
	wg.Wait()
	// 4,000 transfers dirty well over 4,000 pages: without restarts the
	// WAL would hold them all (over 16 MiB). With a restart every 256
	// frames it stays a few MiB (what the checkpointer has not copied yet
	// when the writer looks, plus one restart's worth).
	if peak > 8<<20 {
		t.Fatalf("the WAL reached %d bytes", peak)
	}
	if r, err := l.Verify(ctx); err != nil || !r.OK {
		t.Fatalf("verify: %+v %v", r, err)
	}
}
