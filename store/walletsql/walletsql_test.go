package walletsql_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ewallet/ewallet/store/postgres"
	"github.com/ewallet/ewallet/store/postgres/pgtest"
	"github.com/ewallet/ewallet/store/sqlite"
	"github.com/ewallet/ewallet/store/walletsql"
	"github.com/ewallet/ewallet/wallet"
)

// backends opens a fresh wallet store on each database.
var backends = []struct {
	name string
	open func(t *testing.T) wallet.Store
}{
	{"SQLite", func(t *testing.T) wallet.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "wallet.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.WalletStore()
	}},
	{"PostgreSQL", func(t *testing.T) wallet.Store {
		db, err := postgres.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db.WalletStore()
	}},
}

// TestDeleteAnswersInBatches checks that retention deletes every old answer
// across several batches, and stops at the newer ones.
func TestDeleteAnswersInBatches(t *testing.T) {
	walletsql.SetDeleteBatch(t, 3)
	t0 := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := t.Context()
			for i := range 11 {
				a := wallet.Answer{Principal: "usr_a", Key: fmt.Sprintf("k%02d", i), Status: 200, Body: []byte("{}"), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
				if _, err := s.PutAnswer(ctx, a); err != nil {
					t.Fatal(err)
				}
			}
			n, err := s.DeleteAnswersBefore(ctx, t0.Add(9*time.Minute)) // 9 old: three full batches, then an empty one
			if err != nil || n != 9 {
				t.Fatalf("deleted %d, %v; want 9", n, err)
			}
			for _, key := range []string{"k09", "k10"} {
				if _, err := s.Answer(ctx, "usr_a", key); err != nil {
					t.Errorf("answer %s: %v", key, err)
				}
			}
		})
	}
}

// TestClose checks that a closed store's statements are gone while the
// database stays usable for a new store.
func TestClose(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t)
			ctx := t.Context()
			if _, err := s.Counter(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if err := s.(*walletsql.Store).Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Counter(ctx, "k"); err != nil { // prepared anew
				t.Fatal(err)
			}
		})
	}
}
