package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/store/postgres/pgtest"
)

// BenchmarkTransfer measures single transfers from 64 concurrent callers
// through the group-commit writer on PostgreSQL with durable commits (W1's
// shape), as store/sqlite's benchmark of the same name does.
func BenchmarkTransfer(b *testing.B) {
	ctx := context.Background()
	db := MustOpenDB(b, pgtest.URL(b))
	l := MustNewLedger(b, db, ledger.Options{})
	const users = 10000
	bank := MustCreateAccounts(b, l, ledger.AccountSpec{Name: "bank", Currency: money.CNY})[0]
	specs := make([]ledger.AccountSpec, users)
	for i := range specs {
		specs[i] = ledger.AccountSpec{Name: fmt.Sprint("user-", i), Currency: money.CNY, Flags: ledger.NoNegative}
	}
	start := time.Now()
	accts := MustCreateAccounts(b, l, specs...)
	b.Logf("created %d accounts in %v", users, time.Since(start))
	fund := make([]ledger.Transfer, users)
	for i, a := range accts {
		fund[i] = ledger.Move(fmt.Sprint("fund-", i), "topup", bank.ID, a.ID, 1_000_000)
	}
	for _, o := range l.Submit(ctx, fund) {
		if o.Err != nil {
			b.Fatal(o.Err)
		}
	}
	var n atomic.Int64
	b.SetParallelism(32) // 64 callers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			from := accts[rand.IntN(users)].ID
			to := accts[rand.IntN(users)].ID
			if from == to {
				continue
			}
			if _, err := l.Transfer(ctx, ledger.Move(fmt.Sprint("t-", i), "p2p", from, to, 1+rand.Int64N(10000))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}
