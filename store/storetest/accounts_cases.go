package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ewallet/ewallet/ledger"
	"github.com/ewallet/ewallet/money"
)

func testAccounts(t *testing.T, open opener) {
	t.Run("Create", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.account("wal_alice:CNY", money.CNY, ledger.NoNegative)
		if a.Posted != 0 || a.Held != 0 || a.LastSeq != 0 || a.CreatedAt.IsZero() {
			t.Fatalf("new account %+v: want zero balances and a creation time", a)
		}
		for _, get := range []struct {
			name string
			get  func() (ledger.Account, error)
		}{
			{"Account", func() (ledger.Account, error) { return f.l.Account(f.ctx, a.ID) }},
			{"AccountByName", func() (ledger.Account, error) { return f.l.AccountByName(f.ctx, a.Name) }},
		} {
			got, err := get.get()
			if err != nil {
				t.Fatalf("%s: %v", get.name, err)
			}
			sameAccount(t, got, a)
		}
	})

	t.Run("CreateMany", func(t *testing.T) {
		f := newFixture(t, open)
		old := f.account("b", money.USD, 0)
		specs := []ledger.AccountSpec{
			{Name: "a", Currency: money.CNY, Flags: ledger.NoNegative},
			{Name: "b", Currency: money.USD},
			{Name: "c", Currency: money.JPY, Flags: ledger.NoPositive},
		}
		got, err := f.l.CreateAccounts(f.ctx, specs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(specs) {
			t.Fatalf("got %d accounts for %d specs", len(got), len(specs))
		}
		for i, s := range specs {
			if got[i].Name != s.Name || got[i].Currency != s.Currency || got[i].Flags != s.Flags {
				t.Errorf("account %d: got %+v for spec %+v", i, got[i], s)
			}
		}
		if got[1].ID != old.ID {
			t.Errorf("existing account b: ID %d, want %d", got[1].ID, old.ID)
		}
		if got[0].ID == got[2].ID || got[0].ID == old.ID || got[2].ID == old.ID {
			t.Errorf("IDs not distinct: %d %d %d", got[0].ID, got[1].ID, got[2].ID)
		}
	})

	t.Run("RecreateReturnsSameID", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.account("wal_alice:CNY", money.CNY, ledger.NoNegative)
		w := f.world(money.CNY)
		f.move("fund", w.ID, a.ID, 500)
		again := f.account("wal_alice:CNY", money.CNY, ledger.NoNegative)
		if again.ID != a.ID {
			t.Fatalf("re-create: ID %d, want %d", again.ID, a.ID)
		}
		if again.Posted != 500 || again.LastSeq != 1 {
			t.Errorf("re-create returned posted %d last seq %d, want the account as it stands (500, 1)", again.Posted, again.LastSeq)
		}
		f.balance(a.ID, 500, 0)
	})

	t.Run("NameTaken", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			spec ledger.AccountSpec
		}{
			{"OtherCurrency", ledger.AccountSpec{Name: "x", Currency: money.USD, Flags: ledger.NoNegative}},
			{"NoFlags", ledger.AccountSpec{Name: "x", Currency: money.CNY}},
			{"OtherFlags", ledger.AccountSpec{Name: "x", Currency: money.CNY, Flags: ledger.NoPositive}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, open)
				a := f.account("x", money.CNY, ledger.NoNegative)
				_, err := f.l.CreateAccount(f.ctx, tc.spec)
				wantCode(t, err, ledger.CodeAccountExists)
				got, err := f.l.AccountByName(f.ctx, "x")
				if err != nil {
					t.Fatal(err)
				}
				sameAccount(t, got, a)
			})
		}
	})

	t.Run("NameTakenCreatesNothing", func(t *testing.T) {
		f := newFixture(t, open)
		f.account("x", money.CNY, ledger.NoNegative)
		_, err := f.l.CreateAccounts(f.ctx, []ledger.AccountSpec{
			{Name: "new", Currency: money.CNY},
			{Name: "x", Currency: money.USD, Flags: ledger.NoNegative},
		})
		wantCode(t, err, ledger.CodeAccountExists)
		_, err = f.l.AccountByName(f.ctx, "new")
		wantCode(t, err, ledger.CodeNotFound)
	})

	t.Run("InvalidSpec", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			spec ledger.AccountSpec
		}{
			{"EmptyName", ledger.AccountSpec{Name: "", Currency: money.CNY}},
			{"LongName", ledger.AccountSpec{Name: strings.Repeat("n", ledger.MaxIDLen+1), Currency: money.CNY}},
			{"NoCurrency", ledger.AccountSpec{Name: "a"}},
			{"UnknownCurrency", ledger.AccountSpec{Name: "a", Currency: "XXX"}},
			{"LowerCaseCurrency", ledger.AccountSpec{Name: "a", Currency: "cny"}},
			{"BothFlags", ledger.AccountSpec{Name: "a", Currency: money.CNY, Flags: ledger.NoNegative | ledger.NoPositive}},
			{"UnknownFlag", ledger.AccountSpec{Name: "a", Currency: money.CNY, Flags: 4}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f := newFixture(t, open)
				// The valid spec beside the bad one is not created either.
				_, err := f.l.CreateAccounts(f.ctx, []ledger.AccountSpec{{Name: "ok", Currency: money.CNY}, tc.spec})
				wantCode(t, err, ledger.CodeInvalid)
				_, err = f.l.AccountByName(f.ctx, "ok")
				wantCode(t, err, ledger.CodeNotFound)
			})
		}
	})

	t.Run("LongestName", func(t *testing.T) {
		f := newFixture(t, open)
		name := strings.Repeat("n", ledger.MaxIDLen)
		a := f.account(name, money.CNY, 0)
		got, err := f.l.AccountByName(f.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		sameAccount(t, got, a)
	})

	// Accounts are created (people sign up) while money moves; neither may
	// wait on the other for good, and every transfer still lands.
	t.Run("CreateWhileTransferring", func(t *testing.T) {
		f := newFixture(t, open)
		w, alice := f.world(money.CNY), f.wallet("alice", money.CNY)
		const rounds = 50
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := range rounds {
				specs := make([]ledger.AccountSpec, 1+i%5)
				for j := range specs {
					specs[j] = ledger.AccountSpec{Name: fmt.Sprintf("user-%d-%d", i, j), Currency: money.CNY, Flags: ledger.NoNegative}
				}
				if _, err := f.l.CreateAccounts(f.ctx, specs); err != nil {
					t.Errorf("create accounts: %v", err)
					return
				}
			}
		})
		for c := range 4 {
			wg.Go(func() {
				for i := range rounds {
					if _, err := f.l.Transfer(f.ctx, ledger.Move(fmt.Sprintf("c%d-%d", c, i), "topup", w.ID, alice.ID, 1)); err != nil {
						t.Errorf("transfer: %v", err)
						return
					}
				}
			})
		}
		wg.Wait()
		f.balance(alice.ID, 4*rounds, 0)
		if _, err := f.l.AccountByName(f.ctx, fmt.Sprintf("user-%d-%d", rounds-1, (rounds-1)%5)); err != nil {
			t.Errorf("last account: %v", err)
		}
		f.verify()
	})

	t.Run("NotFound", func(t *testing.T) {
		f := newFixture(t, open)
		a := f.account("a", money.CNY, 0)
		_, err := f.l.AccountByName(f.ctx, "nobody")
		wantCode(t, err, ledger.CodeNotFound)
		_, err = f.l.Account(f.ctx, a.ID+1000)
		wantCode(t, err, ledger.CodeNotFound)
		_, err = f.l.GetTransfer(f.ctx, "no-such-transfer")
		wantCode(t, err, ledger.CodeNotFound)
	})
}

// sameAccount fails the test unless got and want are the same account.
func sameAccount(tb testing.TB, got, want ledger.Account) {
	tb.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Currency != want.Currency || got.Flags != want.Flags ||
		got.Posted != want.Posted || got.Held != want.Held || got.LastSeq != want.LastSeq || !got.CreatedAt.Equal(want.CreatedAt) {
		tb.Errorf("account:\n got  %+v\n want %+v", got, want)
	}
}
