package epurse_test

import (
	"errors"
	"testing"

	"github.com/ewallet/ewallet/epurse"
)

const t0 uint32 = 1767225600 // 2026-01-01T00:00:00Z

type world struct {
	issuer *epurse.Issuer
	card   *epurse.Card
	sam    *epurse.SAM
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	in := fixedInputs(tb)
	is := epurse.NewIssuer(in.keys)
	return &world{
		issuer: is,
		card:   epurse.NewCard(in.card, is.CardKeys(in.card), nil),
		sam:    epurse.NewSAM(is.PurchaseMasterKey(), in.terminal, 1),
	}
}

// wire sends m through its encoding and decoding, as a reader would.
func wire[M interface{ Encode() ([]byte, error) }](tb testing.TB, m M, dec func([]byte) (M, error)) M {
	tb.Helper()
	b, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := dec(b)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// mustLoad runs a whole load through the wire encodings.
func (w *world) mustLoad(tb testing.TB, amount int64) {
	tb.Helper()
	cmd := epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: amount, Terminal: w.sam.Terminal()}
	resp, err := w.card.InitializeForLoad(wire(tb, cmd, epurse.DecodeInitLoadCommand))
	if err != nil {
		tb.Fatal(err)
	}
	sess, credit, err := w.issuer.AuthorizeLoad(cmd, wire(tb, resp, epurse.DecodeInitLoadResponse), t0)
	if err != nil {
		tb.Fatal(err)
	}
	cr, err := w.card.CreditForLoad(wire(tb, credit, epurse.DecodeCreditLoadCommand))
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.issuer.VerifyLoad(sess, wire(tb, cr, epurse.DecodeCreditLoadResponse).TAC); err != nil {
		tb.Fatal(err)
	}
}

// startPurchase runs INITIALIZE and the SAM's authorisation.
func (w *world) startPurchase(tb testing.TB, amount int64, at uint32) (epurse.PurchaseSession, epurse.DebitPurchaseCommand) {
	tb.Helper()
	resp, err := w.card.InitializeForPurchase(wire(tb, w.sam.InitPurchase(amount), epurse.DecodeInitPurchaseCommand))
	if err != nil {
		tb.Fatal(err)
	}
	sess, debit, err := w.sam.Authorize(wire(tb, resp, epurse.DecodeInitPurchaseResponse), amount, at)
	if err != nil {
		tb.Fatal(err)
	}
	return sess, wire(tb, debit, epurse.DecodeDebitPurchaseCommand)
}

func (w *world) mustPurchase(tb testing.TB, amount int64, at uint32) epurse.Record {
	tb.Helper()
	sess, debit := w.startPurchase(tb, amount, at)
	dr, err := w.card.DebitForPurchase(debit)
	if err != nil {
		tb.Fatal(err)
	}
	rec, err := w.sam.Complete(sess, wire(tb, dr, epurse.DecodeDebitPurchaseResponse))
	if err != nil {
		tb.Fatal(err)
	}
	return rec
}

func wantKind(tb testing.TB, err, kind error) {
	tb.Helper()
	if !errors.Is(err, kind) {
		tb.Fatalf("err %v, want %v", err, kind)
	}
}

// TestRoundTrip loads, buys three times offline, uploads the records as
// bytes and has the issuer verify every TAC.
func TestRoundTrip(t *testing.T) {
	w := newWorld(t)
	w.mustLoad(t, 50_000)
	w.mustLoad(t, 25_000)
	var batch []byte
	for i, amt := range []int64{250, 1_000, 19_999} {
		rec := w.mustPurchase(t, amt, t0+uint32(i)*60)
		if rec.OfflineCounter != uint16(i) || rec.TerminalSeq != uint32(i+1) || rec.Amount != amt {
			t.Fatalf("record %d: %+v", i, rec)
		}
		b, err := rec.Encode()
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, b...)
	}
	var cleared int64
	for off := 0; off < len(batch); off += epurse.RecordSize {
		rec, err := epurse.DecodeRecord(batch[off : off+epurse.RecordSize])
		if err != nil {
			t.Fatal(err)
		}
		if err := w.issuer.VerifyRecord(rec); err != nil {
			t.Fatalf("record at %d: %v", off, err)
		}
		cleared += rec.Amount
	}
	st := w.card.State()
	if st.Balance != 75_000-cleared || st.OnlineCounter != 2 || st.OfflineCounter != 3 || len(st.Log) != 5 {
		t.Fatalf("card state %+v, cleared %d", st, cleared)
	}
	if w.sam.NextSeq() != 4 {
		t.Fatalf("SAM next seq %d", w.sam.NextSeq())
	}
}

// TestRecordOneByteChanged alters each byte of an uploaded record in turn:
// the tag no longer decodes, every other byte fails the TAC.
func TestRecordOneByteChanged(t *testing.T) {
	w := newWorld(t)
	w.mustLoad(t, 10_000)
	rec := w.mustPurchase(t, 250, t0)
	b, _ := rec.Encode()
	for i := range b {
		for _, x := range []byte{0x01, 0x80, 0xFF} {
			c := append([]byte{}, b...)
			c[i] ^= x
			got, err := epurse.DecodeRecord(c)
			if i == 0 {
				wantKind(t, err, epurse.ErrMalformed)
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.issuer.VerifyRecord(got); !errors.Is(err, epurse.ErrBadTAC) {
				t.Errorf("byte %d ^ %02x: err %v, want ErrBadTAC", i, x, err)
			}
		}
	}
}

// TestForgedTAC: someone holding a SAM's purchase master key (but not the
// TAC master key) clones a card; terminals accept its purchases, since MAC1
// and MAC2 verify, but the issuer rejects every record it produced.
func TestForgedTAC(t *testing.T) {
	in := fixedInputs(t)
	is := epurse.NewIssuer(in.keys)
	guess := in.keys
	guess.TAC = is.PurchaseMasterKey()
	keys := is.CardKeys(in.card)
	keys.DTK = epurse.DeriveCardKeys(guess, in.card).DTK
	clone := epurse.LoadCard(epurse.CardState{
		Number: in.card, Keys: keys, Balance: 100_000,
		BalanceCap: epurse.DefaultBalanceCap, PurchaseCap: epurse.DefaultPurchaseCap,
	}, nil)
	w := &world{issuer: is, card: clone, sam: epurse.NewSAM(is.PurchaseMasterKey(), in.terminal, 1)}
	rec := w.mustPurchase(t, 5_000, t0)
	wantKind(t, is.VerifyRecord(rec), epurse.ErrBadTAC)

	// And a record of a real card whose TAC is replaced by random bytes.
	w = newWorld(t)
	w.mustLoad(t, 1_000)
	rec = w.mustPurchase(t, 100, t0)
	rec.TAC = epurse.MAC{1, 2, 3, 4, 5, 6, 7, 8}
	wantKind(t, w.issuer.VerifyRecord(rec), epurse.ErrBadTAC)
	rec.Amount = 0
	wantKind(t, w.issuer.VerifyRecord(rec), epurse.ErrInvalidAmount)
}

// TestForgedMAC1: a terminal without the right purchase master key, or a
// MAC1 altered in flight, is refused by the card, which changes nothing and
// closes the purchase so the MAC cannot be tried again against the same
// random.
func TestForgedMAC1(t *testing.T) {
	in := fixedInputs(t)
	tests := []struct {
		name  string
		forge func(w *world, d epurse.DebitPurchaseCommand) epurse.DebitPurchaseCommand
	}{
		{"WrongMasterKey", func(w *world, d epurse.DebitPurchaseCommand) epurse.DebitPurchaseCommand {
			rogue := epurse.NewSAM(epurse.Key{0xEE}, in.terminal, d.TerminalSeq)
			resp, err := w.card.InitializeForPurchase(rogue.InitPurchase(500))
			if err != nil {
				t.Fatal(err)
			}
			_, d, err = rogue.Authorize(resp, 500, t0)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{"FlippedBit", func(_ *world, d epurse.DebitPurchaseCommand) epurse.DebitPurchaseCommand {
			d.MAC1[7] ^= 1
			return d
		}},
		{"OtherTime", func(_ *world, d epurse.DebitPurchaseCommand) epurse.DebitPurchaseCommand {
			d.Time++
			return d
		}},
		{"OtherSequence", func(_ *world, d epurse.DebitPurchaseCommand) epurse.DebitPurchaseCommand {
			d.TerminalSeq++
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.mustLoad(t, 10_000)
			_, good := w.startPurchase(t, 500, t0)
			bad := tt.forge(w, good)
			before := w.card.State()
			_, err := w.card.DebitForPurchase(bad)
			wantKind(t, err, epurse.ErrBadMAC)
			if epurse.StatusWord(err) != epurse.SWMACInvalid {
				t.Errorf("status word %04x", epurse.StatusWord(err))
			}
			after := w.card.State()
			if after.Balance != before.Balance || after.OfflineCounter != before.OfflineCounter || len(after.Log) != len(before.Log) {
				t.Fatalf("card changed: %+v -> %+v", before, after)
			}
			_, err = w.card.DebitForPurchase(good)
			wantKind(t, err, epurse.ErrNoSession)
		})
	}
}

// TestForgedLoad: the issuer refuses a MAC1 over altered data, and the card
// refuses a MAC2 that is not the issuer's.
func TestForgedLoad(t *testing.T) {
	w := newWorld(t)
	cmd := epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 5_000, Terminal: w.sam.Terminal()}
	resp, err := w.card.InitializeForLoad(cmd)
	if err != nil {
		t.Fatal(err)
	}
	bigger := cmd
	bigger.Amount++
	_, _, err = w.issuer.AuthorizeLoad(bigger, resp, t0)
	wantKind(t, err, epurse.ErrBadMAC)
	altered := resp
	altered.Balance = 1
	_, _, err = w.issuer.AuthorizeLoad(cmd, altered, t0)
	wantKind(t, err, epurse.ErrBadMAC)

	_, credit, err := w.issuer.AuthorizeLoad(cmd, resp, t0)
	if err != nil {
		t.Fatal(err)
	}
	credit.MAC2[0] ^= 0x40
	_, err = w.card.CreditForLoad(credit)
	wantKind(t, err, epurse.ErrBadMAC)
	if st := w.card.State(); st.Balance != 0 || st.OnlineCounter != 0 || len(st.Log) != 0 {
		t.Fatalf("card changed: %+v", st)
	}
}

// TestCardRefuses: the card's own limits, whatever the terminal asks.
func TestCardRefuses(t *testing.T) {
	w := newWorld(t)
	w.mustLoad(t, 30_000)
	term := w.sam.Terminal()
	tests := []struct {
		name string
		run  func() error
		kind error
		sw   uint16
	}{
		{"PurchaseOverBalance", func() error {
			w.mustPurchase(t, 15_000, t0)
			_, err := w.card.InitializeForPurchase(w.sam.InitPurchase(15_001))
			return err
		}, epurse.ErrInsufficientBalance, epurse.SWInsufficientBalance},
		{"PurchaseOverCap", func() error {
			_, err := w.card.InitializeForPurchase(w.sam.InitPurchase(epurse.DefaultPurchaseCap + 1))
			return err
		}, epurse.ErrOverLimit, epurse.SWOverLimit},
		{"PurchaseZero", func() error {
			_, err := w.card.InitializeForPurchase(w.sam.InitPurchase(0))
			return err
		}, epurse.ErrInvalidAmount, epurse.SWWrongData},
		{"LoadOverBalanceCap", func() error {
			_, err := w.card.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: epurse.DefaultBalanceCap - 15_000 + 1, Terminal: term})
			return err
		}, epurse.ErrOverLimit, epurse.SWOverLimit},
		{"WrongKeyIndex", func() error {
			_, err := w.card.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: 2, Amount: 1, Terminal: term})
			return err
		}, epurse.ErrUnsupportedKey, epurse.SWKeyNotSupported},
		{"DebitWithoutInitialize", func() error {
			_, err := w.card.DebitForPurchase(epurse.DebitPurchaseCommand{})
			return err
		}, epurse.ErrNoSession, epurse.SWConditionsNotMet},
		{"CreditAfterPurchaseInitialize", func() error {
			if _, err := w.card.InitializeForPurchase(w.sam.InitPurchase(1)); err != nil {
				t.Fatal(err)
			}
			_, err := w.card.CreditForLoad(epurse.CreditLoadCommand{})
			return err
		}, epurse.ErrNoSession, epurse.SWConditionsNotMet},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			wantKind(t, err, tt.kind)
			if sw := epurse.StatusWord(err); sw != tt.sw {
				t.Errorf("status word %04x, want %04x", sw, tt.sw)
			}
		})
	}
	// The load up to exactly the cap is fine.
	w.mustLoad(t, epurse.DefaultBalanceCap-15_000)
	if w.card.Balance() != epurse.DefaultBalanceCap {
		t.Fatalf("balance %d", w.card.Balance())
	}
}

// TestTornPurchase: the card debits but its answer is lost; at the next tap
// the terminal asks for the proof and gets the same record it would have
// had, and the card was debited once. When the DEBIT never reached the card,
// the proof is not found and there is no record.
func TestTornPurchase(t *testing.T) {
	t.Run("DebitedAnswerLost", func(t *testing.T) {
		w := newWorld(t)
		w.mustLoad(t, 10_000)
		sess, debit := w.startPurchase(t, 700, t0)
		lost, err := w.card.DebitForPurchase(debit)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := w.card.GetTransactionProof(wire(t, sess.ProofCommand(), epurse.DecodeProofCommand))
		if err != nil {
			t.Fatal(err)
		}
		rec, err := w.sam.Recover(sess, wire(t, proof, epurse.DecodeProofResponse))
		if err != nil {
			t.Fatal(err)
		}
		want, err := w.sam.Complete(sess, lost)
		if err != nil {
			t.Fatal(err)
		}
		if rec != want {
			t.Fatalf("recovered %+v, want %+v", rec, want)
		}
		if err := w.issuer.VerifyRecord(rec); err != nil {
			t.Fatal(err)
		}
		if w.card.Balance() != 9_300 {
			t.Fatalf("balance %d", w.card.Balance())
		}
		// A proof with a MAC2 that is not the card's is refused by the SAM.
		proof.MAC2[3] ^= 1
		_, err = w.sam.Recover(sess, proof)
		wantKind(t, err, epurse.ErrBadMAC)
	})
	t.Run("DebitNeverArrived", func(t *testing.T) {
		w := newWorld(t)
		w.mustLoad(t, 10_000)
		sess, _ := w.startPurchase(t, 700, t0)
		_, err := w.card.GetTransactionProof(sess.ProofCommand())
		wantKind(t, err, epurse.ErrNotFound)
		if st := w.card.State(); st.OfflineCounter != sess.OfflineCounter || st.Balance != 10_000 {
			t.Fatalf("card changed: %+v", st)
		}
	})
}

// TestTornLoad: the card credits but the TAC is lost; the server gets it
// from the proof. If CREDIT never arrived, the proof is not found and the
// online counter has not moved: the server reverses the load.
func TestTornLoad(t *testing.T) {
	w := newWorld(t)
	cmd := epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 5_000, Terminal: w.sam.Terminal()}
	resp, err := w.card.InitializeForLoad(cmd)
	if err != nil {
		t.Fatal(err)
	}
	sess, credit, err := w.issuer.AuthorizeLoad(cmd, resp, t0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.card.GetTransactionProof(sess.ProofCommand())
	wantKind(t, err, epurse.ErrNotFound)

	resp, err = w.card.InitializeForLoad(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if resp.OnlineCounter != sess.OnlineCounter {
		t.Fatalf("online counter moved to %d without a credit", resp.OnlineCounter)
	}
	sess, credit, err = w.issuer.AuthorizeLoad(cmd, resp, t0+1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.card.CreditForLoad(credit); err != nil {
		t.Fatal(err)
	}
	proof, err := w.card.GetTransactionProof(sess.ProofCommand())
	if err != nil {
		t.Fatal(err)
	}
	if proof.MAC2 != sess.MAC2 {
		t.Fatalf("proof MAC2 %x, issued %x", proof.MAC2, sess.MAC2)
	}
	if err := w.issuer.VerifyLoad(sess, proof.TAC); err != nil {
		t.Fatal(err)
	}
	proof.TAC[0] ^= 1
	wantKind(t, w.issuer.VerifyLoad(sess, proof.TAC), epurse.ErrBadTAC)
}

// TestLogAndCounters: the log keeps the last LogSize transactions, and an
// exhausted counter stops the card.
func TestLogAndCounters(t *testing.T) {
	w := newWorld(t)
	w.mustLoad(t, 10_000)
	for i := 0; i < 12; i++ {
		w.mustPurchase(t, 10, t0+uint32(i))
	}
	st := w.card.State()
	if len(st.Log) != epurse.LogSize || st.Log[len(st.Log)-1].Counter != 11 {
		t.Fatalf("log %+v", st.Log)
	}
	_, err := w.card.GetTransactionProof(epurse.ProofCommand{Type: epurse.TypePurchase, Counter: 1})
	wantKind(t, err, epurse.ErrNotFound)
	if _, err := w.card.GetTransactionProof(epurse.ProofCommand{Type: epurse.TypePurchase, Counter: 2}); err != nil {
		t.Fatal(err)
	}

	st.OfflineCounter, st.OnlineCounter = 0xFFFF, 0xFFFF
	c := epurse.LoadCard(st, nil)
	_, err = c.InitializeForPurchase(w.sam.InitPurchase(1))
	wantKind(t, err, epurse.ErrCounterExhausted)
	_, err = c.InitializeForLoad(epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 1})
	wantKind(t, err, epurse.ErrCounterExhausted)
}

func TestCardNumber(t *testing.T) {
	n, err := epurse.ParseCardNumber("8888000000000001")
	if err != nil || n.String() != "8888000000000001" {
		t.Fatalf("%v %v", n, err)
	}
	for _, bad := range []string{"", "888800000000001", "8888000000000001x", "888800000000000g"} {
		if _, err := epurse.ParseCardNumber(bad); !errors.Is(err, epurse.ErrMalformed) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}
