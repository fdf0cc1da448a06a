package epurse_test

import (
	"testing"

	"github.com/ewallet/ewallet/epurse"
)

// send passes an encoded command to the card's APDU interface.
func send(tb testing.TB, c *epurse.Card, m interface{ Encode() ([]byte, error) }) []byte {
	tb.Helper()
	b, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return c.Process(b)
}

// TestProcess runs a load and a purchase through Card.Process, bytes only,
// and checks the status words of refusals.
func TestProcess(t *testing.T) {
	w := newWorld(t)
	cmd := epurse.InitLoadCommand{KeyIndex: epurse.KeyIndex, Amount: 2_000, Terminal: w.sam.Terminal()}
	resp, err := epurse.DecodeInitLoadResponse(send(t, w.card, cmd))
	if err != nil {
		t.Fatal(err)
	}
	sess, credit, err := w.issuer.AuthorizeLoad(cmd, resp, t0)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := epurse.DecodeCreditLoadResponse(send(t, w.card, credit))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.issuer.VerifyLoad(sess, cr.TAC); err != nil {
		t.Fatal(err)
	}

	ipr, err := epurse.DecodeInitPurchaseResponse(send(t, w.card, w.sam.InitPurchase(300)))
	if err != nil {
		t.Fatal(err)
	}
	ps, debit, err := w.sam.Authorize(ipr, 300, t0)
	if err != nil {
		t.Fatal(err)
	}
	dr, err := epurse.DecodeDebitPurchaseResponse(send(t, w.card, debit))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := w.sam.Complete(ps, dr)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.issuer.VerifyRecord(rec); err != nil {
		t.Fatal(err)
	}
	pr, err := epurse.DecodeProofResponse(send(t, w.card, ps.ProofCommand()))
	if err != nil || pr.TAC != rec.TAC {
		t.Fatalf("proof %+v, %v", pr, err)
	}

	tests := []struct {
		name string
		cmd  []byte
		sw   uint16
	}{
		{"Empty", nil, epurse.SWWrongLength},
		{"UnknownInstruction", []byte{0x80, 0xCA, 0x00, 0x00, 0x00}, epurse.SWWrongLength},
		{"OverBalance", mustEnc(t, w.sam.InitPurchase(1_701)), epurse.SWInsufficientBalance},
		{"DebitWithoutInitialize", mustEnc(t, debit), epurse.SWConditionsNotMet},
		{"ProofNotFound", mustEnc(t, epurse.ProofCommand{Type: epurse.TypePurchase, Counter: 9}), epurse.SWRecordNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := w.card.Process(tt.cmd)
			if len(out) != 2 || epurse.Status(out) != tt.sw {
				t.Fatalf("response %x, want status %04x", out, tt.sw)
			}
		})
	}
	if w.card.Balance() != 1_700 {
		t.Fatalf("balance %d", w.card.Balance())
	}
}

func mustEnc(tb testing.TB, m interface{ Encode() ([]byte, error) }) []byte {
	tb.Helper()
	b, err := m.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// FuzzCardProcess feeds arbitrary command sequences to a loaded card: it
// never panics, answers 9000 or a bare status word, and its balance stays
// within 0..cap and never rises (no command here can forge a load's MAC2).
func FuzzCardProcess(f *testing.F) {
	for _, v := range fixedVectorMessages(f) {
		f.Add(v, v)
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		w := newWorld(t)
		w.mustLoad(t, 5_000)
		for _, cmd := range [][]byte{a, b, a} {
			out := w.card.Process(cmd)
			if len(out) < 2 || (len(out) > 2 && epurse.Status(out) != epurse.SWOK) {
				t.Fatalf("response %x", out)
			}
			if bal := w.card.Balance(); bal < 0 || bal > 5_000 {
				t.Fatalf("balance %d", bal)
			}
		}
	})
}
