package epurse_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ewallet/ewallet/epurse"
)

// clearWorld is an issuer, its clearing state, cards and terminals.
type clearWorld struct {
	issuer *epurse.Issuer
	state  *epurse.MemClearingState
	cl     *epurse.Clearer
	sams   map[byte]*epurse.SAM
}

func newClearWorld(tb testing.TB) *clearWorld {
	tb.Helper()
	is := epurse.NewIssuer(fixedInputs(tb).keys)
	st := epurse.NewMemClearingState()
	return &clearWorld{issuer: is, state: st, cl: epurse.NewClearer(is, st), sams: map[byte]*epurse.SAM{}}
}

// card returns a card i holding 1,000.00, its counters at 0.
func (w *clearWorld) card(i byte) *epurse.Card {
	n := epurse.CardNumber{0x88, 0x88, 0, 0, 0, 0, 0, i}
	return epurse.LoadCard(epurse.CardState{
		Number: n, Keys: w.issuer.CardKeys(n), Balance: 100_000,
		BalanceCap: epurse.DefaultBalanceCap, PurchaseCap: epurse.DefaultPurchaseCap,
	}, nil)
}

func (w *clearWorld) term(i byte) epurse.TerminalID { return epurse.TerminalID{0x11, 0x22, 0, 0, 0, i} }

func (w *clearWorld) sam(i byte) *epurse.SAM {
	if w.sams[i] == nil {
		w.sams[i] = epurse.NewSAM(w.issuer.PurchaseMasterKey(), w.term(i), 1)
	}
	return w.sams[i]
}

// buy has card c pay amount at terminal i at t0+dt seconds.
func (w *clearWorld) buy(tb testing.TB, c *epurse.Card, i byte, amount int64, dt uint32) epurse.Record {
	tb.Helper()
	s := w.sam(i)
	resp, err := c.InitializeForPurchase(s.InitPurchase(amount))
	if err != nil {
		tb.Fatal(err)
	}
	sess, debit, err := s.Authorize(resp, amount, t0+dt)
	if err != nil {
		tb.Fatal(err)
	}
	dr, err := c.DebitForPurchase(debit)
	if err != nil {
		tb.Fatal(err)
	}
	rec, err := s.Complete(sess, dr)
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

// upload clears recs as terminal i and commits the result.
func (w *clearWorld) upload(tb testing.TB, i byte, recs ...epurse.Record) epurse.BatchResult {
	tb.Helper()
	res, err := w.cl.Clear(w.term(i), recs)
	if err != nil {
		tb.Fatal(err)
	}
	checkResult(tb, res, len(recs))
	w.state.Commit(res)
	return res
}

// checkResult checks what must hold of every result: one result per
// record, Accepted exactly the accepted ones, totals their sums.
func checkResult(tb testing.TB, res epurse.BatchResult, n int) {
	tb.Helper()
	if len(res.Results) != n {
		tb.Fatalf("%d results for %d records", len(res.Results), n)
	}
	var acc []epurse.Record
	var sum int64
	for i, r := range res.Results {
		if r.Index != i {
			tb.Fatalf("result %d has index %d", i, r.Index)
		}
		if r.Reason == epurse.ReasonAccepted {
			acc = append(acc, r.Record)
			sum += r.Record.Amount
		} else if r.Late {
			tb.Fatalf("result %d: %s and late", i, r.Reason)
		}
	}
	if !slices.Equal(acc, res.Accepted) {
		tb.Fatalf("accepted %v, results say %v", res.Accepted, acc)
	}
	var st, ct int64
	for _, s := range res.Settlements {
		st += s.Amount
	}
	for _, c := range res.Cards {
		ct += c.Amount
	}
	if res.Total != sum || st != sum || ct != sum {
		tb.Fatalf("total %d, settlements %d, cards %d, accepted records %d", res.Total, st, ct, sum)
	}
}

func reasons(res epurse.BatchResult) []epurse.Reason {
	var out []epurse.Reason
	for _, r := range res.Results {
		out = append(out, r.Reason)
	}
	return out
}

func wantReasons(tb testing.TB, res epurse.BatchResult, want ...epurse.Reason) {
	tb.Helper()
	if got := reasons(res); !slices.Equal(got, want) {
		tb.Fatalf("reasons %v, want %v (%+v)", got, want, res.Results)
	}
}

// TestClearReasons: each reason, from the last record of a batch after a
// setup; a refused record moves no money.
func TestClearReasons(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup returns the uploading terminal and the batch whose last
		// record is judged.
		setup func(t *testing.T, w *clearWorld) (byte, []epurse.Record)
		want  epurse.Reason
	}{
		{"Accepted", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			return 1, []epurse.Record{w.buy(t, w.card(1), 1, 250, 0)}
		}, epurse.ReasonAccepted},
		{"ForgedTAC", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 1, 250, 0)
			r.TAC[3] ^= 0x40
			return 1, []epurse.Record{r}
		}, epurse.ReasonForged},
		{"MadeUp", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			return 1, []epurse.Record{{Card: w.card(1).Number(), Amount: 250, Terminal: w.term(1), Time: t0}}
		}, epurse.ReasonForged},
		{"AlteredAmount", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 1, 250, 0)
			r.Amount = 25_000
			return 1, []epurse.Record{r}
		}, epurse.ReasonForged},
		{"AlteredCounter", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 1, 250, 0)
			r.OfflineCounter++
			return 1, []epurse.Record{r}
		}, epurse.ReasonForged},
		{"AlteredTerminal", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 2, 250, 0)
			r.Terminal = w.term(1) // claim terminal 2's record as terminal 1's
			return 1, []epurse.Record{r}
		}, epurse.ReasonForged},
		{"ZeroAmount", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 1, 250, 0)
			r.Amount = 0
			return 1, []epurse.Record{r}
		}, epurse.ReasonMalformed},
		{"WrongTerminal", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			return 1, []epurse.Record{w.buy(t, w.card(1), 2, 250, 0)}
		}, epurse.ReasonWrongTerminal},
		{"Duplicate", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			r := w.buy(t, w.card(1), 1, 250, 0)
			w.upload(t, 1, r)
			return 1, []epurse.Record{r}
		}, epurse.ReasonDuplicate},
		{"Replayed", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			// The card's state is copied, it pays, the copy is restored
			// and pays again under the same counter.
			c := w.card(1)
			saved := c.State()
			r1 := w.buy(t, c, 1, 250, 0)
			w.upload(t, 1, r1)
			r2 := w.buy(t, epurse.LoadCard(saved, nil), 1, 300, 60)
			if r2.OfflineCounter != r1.OfflineCounter {
				t.Fatal("restored card did not reuse the counter")
			}
			return 1, []epurse.Record{r2}
		}, epurse.ReasonReplayed},
		{"ReplayedInBatch", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			c := w.card(1)
			saved := c.State()
			r1 := w.buy(t, c, 1, 250, 0)
			r2 := w.buy(t, epurse.LoadCard(saved, nil), 2, 300, 60)
			w.upload(t, 2, r2) // the copy's record, from another terminal, first
			return 1, []epurse.Record{r1}
		}, epurse.ReasonReplayed},
		{"DeniedAfter", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			c := w.card(1)
			w.state.Deny(c.Number(), time.Unix(int64(t0)+100, 0))
			return 1, []epurse.Record{w.buy(t, c, 1, 250, 100)}
		}, epurse.ReasonDenied},
		{"DeniedBeforeIsCleared", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			c := w.card(1)
			w.state.Deny(c.Number(), time.Unix(int64(t0)+100, 0))
			return 1, []epurse.Record{w.buy(t, c, 1, 250, 99)}
		}, epurse.ReasonAccepted},
		{"CounterRollback", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			// Counter 0 is spent at terminal 1 but never uploaded; the card
			// pays counter 1 there, which clears; then it is rolled back to
			// counter 0 and pays at the same terminal again.
			c := w.card(1)
			saved := c.State()
			w.buy(t, c, 1, 250, 0)
			r1 := w.buy(t, c, 1, 250, 10)
			w.upload(t, 1, r1)
			r2 := w.buy(t, epurse.LoadCard(saved, nil), 1, 400, 20)
			return 1, []epurse.Record{r2}
		}, epurse.ReasonCounterRollback},
		{"LateIsAccepted", func(t *testing.T, w *clearWorld) (byte, []epurse.Record) {
			c := w.card(1)
			r0 := w.buy(t, c, 1, 250, 0)
			r1 := w.buy(t, c, 2, 250, 10)
			w.upload(t, 2, r1)
			return 1, []epurse.Record{r0}
		}, epurse.ReasonAccepted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newClearWorld(t)
			term, recs := tc.setup(t, w)
			res, err := w.cl.Clear(w.term(term), recs)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res, len(recs))
			last := res.Results[len(recs)-1]
			if last.Reason != tc.want {
				t.Fatalf("reason %s (%s), want %s", last.Reason, last.Detail, tc.want)
			}
			if tc.want != epurse.ReasonAccepted && (res.Total != 0 || len(res.Accepted) != 0 || len(res.Settlements) != 0) {
				t.Fatalf("refused record moved money: %+v", res)
			}
			if last.Detail == "" && tc.want != epurse.ReasonAccepted {
				t.Fatal("no detail")
			}
		})
	}
}

func TestClearMalformedBytes(t *testing.T) {
	w := newClearWorld(t)
	good, err := w.buy(t, w.card(1), 1, 250, 0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	badTag := slices.Clone(good)
	badTag[0] = 0x02
	batch := slices.Concat(badTag, good, good[:10])
	res, err := w.cl.ClearBatch(w.term(1), batch)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 3)
	wantReasons(t, res, epurse.ReasonMalformed, epurse.ReasonAccepted, epurse.ReasonMalformed)
	if res.Total != 250 {
		t.Fatalf("total %d", res.Total)
	}
}

func TestClearDuplicatesInBatch(t *testing.T) {
	w := newClearWorld(t)
	c := w.card(1)
	r0, r1 := w.buy(t, c, 1, 250, 0), w.buy(t, c, 1, 300, 10)
	res := w.upload(t, 1, r0, r1, r0, r1, r1)
	wantReasons(t, res, epurse.ReasonAccepted, epurse.ReasonAccepted,
		epurse.ReasonDuplicate, epurse.ReasonDuplicate, epurse.ReasonDuplicate)
	if res.Total != 550 || len(res.Accepted) != 2 {
		t.Fatalf("total %d, accepted %d", res.Total, len(res.Accepted))
	}
	if want := []epurse.Settlement{{Terminal: w.term(1), Amount: 550, Records: 2}}; !slices.Equal(res.Settlements, want) {
		t.Fatalf("settlements %+v, want %+v", res.Settlements, want)
	}
	if res.Count(epurse.ReasonDuplicate) != 3 {
		t.Fatalf("count %d", res.Count(epurse.ReasonDuplicate))
	}
}

func TestClearSameBatchTwice(t *testing.T) {
	w := newClearWorld(t)
	c1, c2 := w.card(1), w.card(2)
	var batch []byte
	for i, c := range []*epurse.Card{c1, c2, c1, c2, c1} {
		b, err := w.buy(t, c, 1, int64(100*(i+1)), uint32(i)).Encode()
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, b...)
	}
	first, err := w.cl.ClearBatch(w.term(1), batch)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, first, 5)
	if first.Total != 1500 || first.Count(epurse.ReasonAccepted) != 5 {
		t.Fatalf("first upload: total %d, %v", first.Total, reasons(first))
	}
	wantCards := []epurse.CardTotal{{Card: c1.Number(), Amount: 900, Records: 3}, {Card: c2.Number(), Amount: 600, Records: 2}}
	if !slices.Equal(first.Cards, wantCards) {
		t.Fatalf("cards %+v, want %+v", first.Cards, wantCards)
	}
	w.state.Commit(first)

	second, err := w.cl.ClearBatch(w.term(1), batch)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, second, 5)
	if second.Count(epurse.ReasonDuplicate) != 5 || second.Total != 0 ||
		second.Accepted != nil || second.Settlements != nil || second.Cards != nil || second.Gaps != nil {
		t.Fatalf("second upload changed something: %+v", second)
	}
}

func TestClearOutOfOrderTwoTerminals(t *testing.T) {
	w := newClearWorld(t)
	c := w.card(1)
	// The card taps A, B, A, B (counters 0..3).
	a0, b1, a2, b3 := w.buy(t, c, 1, 100, 0), w.buy(t, c, 2, 200, 10), w.buy(t, c, 1, 300, 20), w.buy(t, c, 2, 400, 30)

	// B uploads first: counters 0 and 2 are missing.
	rb := w.upload(t, 2, b3, b1) // and in reverse order, too
	wantReasons(t, rb, epurse.ReasonAccepted, epurse.ReasonAccepted)
	if rb.Results[0].Late || !rb.Results[1].Late {
		t.Fatalf("late flags %+v", rb.Results)
	}
	if want := []epurse.Gap{{Card: c.Number(), From: 0, To: 0}, {Card: c.Number(), From: 2, To: 2}}; !slices.Equal(rb.Gaps, want) {
		t.Fatalf("gaps %+v, want %+v", rb.Gaps, want)
	}
	if want := []epurse.Settlement{{Terminal: w.term(2), Amount: 600, Records: 2}}; !slices.Equal(rb.Settlements, want) {
		t.Fatalf("settlements %+v", rb.Settlements)
	}

	// A uploads later: both fill gaps, late, and no gap is left.
	ra := w.upload(t, 1, a0, a2)
	wantReasons(t, ra, epurse.ReasonAccepted, epurse.ReasonAccepted)
	if !ra.Results[0].Late || !ra.Results[1].Late || ra.Gaps != nil {
		t.Fatalf("second upload %+v", ra)
	}
	if want := []epurse.Settlement{{Terminal: w.term(1), Amount: 400, Records: 2}}; !slices.Equal(ra.Settlements, want) {
		t.Fatalf("settlements %+v", ra.Settlements)
	}

	// Each terminal's batch again, and the other's: nothing moves.
	for _, up := range []struct {
		term byte
		recs []epurse.Record
		want epurse.Reason
	}{{1, []epurse.Record{a0, a2}, epurse.ReasonDuplicate}, {2, []epurse.Record{a0, a2}, epurse.ReasonWrongTerminal}} {
		res := w.upload(t, up.term, up.recs...)
		wantReasons(t, res, up.want, up.want)
		if res.Total != 0 {
			t.Fatal("money moved")
		}
	}
}

func TestClearGap(t *testing.T) {
	w := newClearWorld(t)
	c := w.card(1)
	var rs []epurse.Record
	for i := range 6 {
		rs = append(rs, w.buy(t, c, 1, 100, uint32(i)))
	}
	res := w.upload(t, 1, rs[1], rs[2], rs[5])
	if want := []epurse.Gap{{Card: c.Number(), From: 0, To: 0}, {Card: c.Number(), From: 3, To: 4}}; !slices.Equal(res.Gaps, want) {
		t.Fatalf("gaps %+v, want %+v", res.Gaps, want)
	}
	// A torn purchase recovered later and uploaded: it is below the SAM's
	// last sequence for the card, which is not a rollback.
	res = w.upload(t, 1, rs[3])
	wantReasons(t, res, epurse.ReasonAccepted)
	if !res.Results[0].Late || res.Gaps != nil {
		t.Fatalf("%+v", res)
	}
	// A new record above the highest opens no gap when it is the next one.
	res = w.upload(t, 1, w.buy(t, c, 1, 100, 9))
	if res.Gaps != nil || res.Results[0].Late {
		t.Fatalf("%+v", res)
	}
}

type failingState struct {
	epurse.ClearingState
	err error
}

func (f failingState) Denied(epurse.CardNumber) (time.Time, bool, error) {
	return time.Time{}, false, f.err
}

func TestClearStateError(t *testing.T) {
	w := newClearWorld(t)
	boom := errors.New("disk on fire")
	cl := epurse.NewClearer(w.issuer, failingState{w.state, boom})
	_, err := cl.Clear(w.term(1), []epurse.Record{w.buy(t, w.card(1), 1, 100, 0)})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
}

func TestClearOverLimit(t *testing.T) {
	w := newClearWorld(t)
	_, err := w.cl.Clear(w.term(1), make([]epurse.Record, epurse.MaxBatchRecords+1))
	wantKind(t, err, epurse.ErrOverLimit)
	_, err = w.cl.ClearBatch(w.term(1), make([]byte, (epurse.MaxBatchRecords+1)*epurse.RecordSize))
	wantKind(t, err, epurse.ErrOverLimit)
}

// FuzzClearBatch: any bytes give one result per record, money only for
// accepted records, and the same batch again moves nothing.
func FuzzClearBatch(f *testing.F) {
	w := newClearWorld(f)
	c := w.card(1)
	var recs [][]byte
	for i := range 4 {
		b, err := w.buy(f, c, 1, int64(100+i), uint32(i)).Encode()
		if err != nil {
			f.Fatal(err)
		}
		recs = append(recs, b)
	}
	f.Add([]byte{})
	f.Add(slices.Concat(recs...))
	f.Add(slices.Concat(recs[2], recs[0], recs[2], recs[1][:20]))
	f.Fuzz(func(t *testing.T, batch []byte) {
		if len(batch) > 64*epurse.RecordSize {
			return
		}
		w := newClearWorld(t)
		w.state.Deny(c.Number(), time.Unix(int64(t0)+2, 0))
		n := (len(batch) + epurse.RecordSize - 1) / epurse.RecordSize
		res, err := w.cl.ClearBatch(w.term(1), batch)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, res, n)
		w.state.Commit(res)
		again, err := w.cl.ClearBatch(w.term(1), batch)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, again, n)
		if again.Total != 0 || again.Accepted != nil {
			t.Fatalf("second upload moved %d", again.Total)
		}
	})
}
