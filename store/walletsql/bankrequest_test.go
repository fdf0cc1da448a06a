package walletsql_test

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/bank/httpbank"
	"github.com/ewallet/ewallet/store/walletsql"
	"github.com/ewallet/ewallet/wallet"
)

// TestBankRequests checks the connector's request records on both
// backends: insert once, read back exactly, and a final state that no later
// update overwrites.
func TestBankRequests(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t).(httpbank.Store)
			ctx := t.Context()
			r := httpbank.Request{ID: "top_abc", Kind: "charge", Amount: 1234, Currency: "CNY", State: httpbank.StateCreated,
				NextQueryAt: t0, CreatedAt: t0, UpdatedAt: t0}
			if _, created, err := s.CreateBankRequest(ctx, r); err != nil || !created {
				t.Fatalf("create: %v, %v", created, err)
			}
			again := r
			again.Amount = 1
			got, created, err := s.CreateBankRequest(ctx, again)
			if err != nil || created || got != r {
				t.Fatalf("create again: %+v, %v, %v; want the first", got, created, err)
			}
			unknown := r
			unknown.State, unknown.Attempts, unknown.NextQueryAt, unknown.UpdatedAt = httpbank.StateUnknown, 2, t0.Add(time.Second), t0.Add(time.Millisecond)
			if ok, err := s.UpdateBankRequest(ctx, unknown); !ok || err != nil {
				t.Fatalf("to unknown: %v, %v", ok, err)
			}
			done := unknown
			done.State, done.BankSeq = httpbank.StateSucceeded, 3
			if ok, err := s.UpdateBankRequest(ctx, done); !ok || err != nil {
				t.Fatalf("to succeeded: %v, %v", ok, err)
			}
			stale := done
			stale.State, stale.FailureCode = httpbank.StateFailed, "card_declined"
			if ok, err := s.UpdateBankRequest(ctx, stale); ok || err != nil {
				t.Fatalf("overwrite of a final state: %v, %v; want false", ok, err)
			}
			if got, err := s.BankRequest(ctx, r.ID); err != nil || got != done {
				t.Fatalf("read: %+v, %v; want %+v", got, err, done)
			}
			if _, err := s.BankRequest(ctx, "top_none"); wallet.ErrorCode(err) != wallet.CodeNotFound {
				t.Fatalf("unknown id: %v", err)
			}
		})
	}
}

// TestReconciliations checks that a day's report is stored and replaced.
func TestReconciliations(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := b.open(t).(*walletsql.Store)
			ctx := t.Context()
			if _, err := s.Reconciliation(ctx, "2026-03-14"); wallet.ErrorCode(err) != wallet.CodeNotFound {
				t.Fatalf("before: %v", err)
			}
			for _, body := range []string{`{"n":1}`, `{"n":2}`} {
				if err := s.PutReconciliation(ctx, "2026-03-14", 1, []byte(body), time.Now()); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Reconciliation(ctx, "2026-03-14")
			if err != nil || string(got) != `{"n":2}` {
				t.Fatalf("got %q, %v", got, err)
			}
		})
	}
}
