package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

// BenchmarkTransfer measures single transfers from 64 concurrent callers
// through the group-commit writer, with durable commits, on 10,000 funded
// accounts (BENCH.md's W1 shape, without the bench tool's bookkeeping).
// Each backend's BenchmarkTransfer calls it with its own open.
func BenchmarkTransfer(b *testing.B, open func(tb testing.TB) Backend) {
	ctx := context.Background()
	l := ledger.New(open(b), ledger.Options{})
	b.Cleanup(func() { l.Close() })
	const users = 10000
	bank, err := l.CreateAccount(ctx, ledger.AccountSpec{Name: "bank", Currency: money.CNY})
	if err != nil {
		b.Fatal(err)
	}
	specs := make([]ledger.AccountSpec, users)
	for i := range specs {
		specs[i] = ledger.AccountSpec{Name: fmt.Sprint("user-", i), Currency: money.CNY, Flags: ledger.NoNegative}
	}
	accts, err := l.CreateAccounts(ctx, specs)
	if err != nil {
		b.Fatal(err)
	}
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
