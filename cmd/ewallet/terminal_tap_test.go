package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ewallet/ewallet/epurse"
	"github.com/ewallet/ewallet/money"
	"github.com/ewallet/ewallet/purse"
)

// The offline half of the software terminal: taps between files, torn at
// each write, and what the next tap makes of it. No server: the card and
// the terminals are personalised here from test master keys, and every
// record is checked with the issuer's TAC key.

var testIssuer = epurse.NewIssuer(purse.MasterKeys([]byte("ewallet test issuer seed, 32 B..")))

// offlineCard writes a card file holding balance.
func offlineCard(t *testing.T, dir string, balance int64) string {
	t.Helper()
	n := epurse.CardNumber{0x62, 0x10, 0, 0, 0, 0, 0, 0x42}
	st := epurse.CardState{Number: n, Keys: testIssuer.CardKeys(n), Balance: balance,
		BalanceCap: epurse.DefaultBalanceCap, PurchaseCap: epurse.DefaultPurchaseCap}
	path := filepath.Join(dir, "card.json")
	if err := saveCard(path, &cardFile{Version: fileVersion, CardID: purse.CardID(n), Currency: money.CNY, Chip: st}); err != nil {
		t.Fatal(err)
	}
	return path
}

// offlineGate writes the file of terminal number id.
func offlineGate(t *testing.T, dir string, id byte) string {
	t.Helper()
	tid := epurse.TerminalID{0, 0, 0, 0, 0, id}
	k := testIssuer.PurchaseMasterKey()
	path := filepath.Join(dir, "gate"+tid.String()+".json")
	if err := saveTerminal(path, &terminalFile{Version: fileVersion, ID: purse.TerminalID(tid), TerminalID: tid.String(), Name: "Gate",
		Currency: money.CNY, SAMKey: hex.EncodeToString(k[:]), NextSeq: 1}); err != nil {
		t.Fatal(err)
	}
	return path
}

// failing is a save that fails on its nth call (0: never).
func failing[F any](n int, save func(string, F) error) func(string, F) error {
	calls := 0
	return func(p string, f F) error {
		if calls++; calls == n {
			return errors.New("power cut")
		}
		return save(p, f)
	}
}

// tapFiles taps and returns what it printed.
func tapFiles(t *testing.T, tp *tap, amount string, at time.Time) (string, error) {
	t.Helper()
	if tp.saveTerminal == nil {
		tp.saveTerminal = saveTerminal
	}
	if tp.saveCard == nil {
		tp.saveCard = saveCard
	}
	var out bytes.Buffer
	err := tp.run(&env{getenv: noEnv, stdout: &out, stderr: &out}, amount, at)
	return out.String(), err
}

// records are a terminal file's records, each checked by the issuer.
func checkedRecords(t *testing.T, path string) []epurse.Record {
	t.Helper()
	recs, err := mustReadTerminal(t, path).records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := testIssuer.VerifyRecord(r); err != nil {
			t.Fatalf("record of counter %d: %v", r.OfflineCounter, err)
		}
	}
	return recs
}

func TestTerminalTapTorn(t *testing.T) {
	at := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name               string
		failTerm, failCard int // which call of each save fails; 0 none
		err                string
		balance            int64 // the card's after the first tap
		inFlight, records  int   // the terminal's after the first tap
		next               string
	}{
		{name: "Whole", balance: 4800, records: 1},
		{name: "TerminalDiesBeforeDebit", failTerm: 1, err: "purchase not made", balance: 5000},
		{name: "TerminalDiesAfterDebit", failTerm: 2, err: "recovers the record from the card", balance: 4800, inFlight: 1,
			next: "recovered the torn purchase of 2.00 CNY (seq 1) from the card's proof"},
		{name: "CardNotWritten", failCard: 1, err: "may not hold the debit", balance: 5000, inFlight: 1,
			next: "the card never took the torn purchase of 2.00 CNY (seq 1); dropped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			card, gate := offlineCard(t, dir, 5000), offlineGate(t, dir, 1)
			_, err := tapFiles(t, &tap{termPath: gate, cardPath: card, saveTerminal: failing(tc.failTerm, saveTerminal),
				saveCard: failing(tc.failCard, saveCard)}, "2.00", at)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("first tap: %v, want %q", err, tc.err)
			}
			f := mustReadTerminal(t, gate)
			if got := mustReadCard(t, card).Chip.Balance; got != tc.balance || len(f.InFlight) != tc.inFlight || len(f.Records) != tc.records {
				t.Fatalf("after the first tap: card %d, %d in flight, %d records; want %d, %d, %d",
					got, len(f.InFlight), len(f.Records), tc.balance, tc.inFlight, tc.records)
			}
			out, err := tapFiles(t, &tap{termPath: gate, cardPath: card}, "3.00", at.Add(time.Hour))
			if err != nil || !strings.Contains(out, tc.next) {
				t.Fatalf("next tap: %v\n%s\nwant %q", err, out, tc.next)
			}
			// Every fen that left the card is in a record, once.
			chip := mustReadCard(t, card).Chip.Balance
			sum := chip
			for _, r := range checkedRecords(t, gate) {
				sum += r.Amount
			}
			if sum != 5000 || len(mustReadTerminal(t, gate).InFlight) != 0 {
				t.Fatalf("card %d + records = %d, want 5000", chip, sum)
			}
		})
	}
}

func TestTerminalTapRecovery(t *testing.T) {
	at := time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC)
	tornAt := func(t *testing.T, gate, card string) {
		t.Helper()
		if _, err := tapFiles(t, &tap{termPath: gate, cardPath: card, saveTerminal: failing(2, saveTerminal)}, "2.00", at); err == nil {
			t.Fatal("the torn tap did not fail")
		}
	}
	t.Run("ProofLeftTheLog", func(t *testing.T) {
		dir := t.TempDir()
		card, gateA, gateB := offlineCard(t, dir, 5000), offlineGate(t, dir, 1), offlineGate(t, dir, 2)
		tornAt(t, gateA, card)
		for i := range epurse.LogSize {
			if _, err := tapFiles(t, &tap{termPath: gateB, cardPath: card}, "1.00", at.Add(time.Duration(i+1)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		out, err := tapFiles(t, &tap{termPath: gateA, cardPath: card}, "1.00", at.Add(time.Hour))
		if err != nil || !strings.Contains(out, "no longer tells whether it took the torn purchase") {
			t.Fatalf("%v\n%s", err, out)
		}
		if f := mustReadTerminal(t, gateA); len(f.InFlight) != 0 || len(f.Records) != 1 {
			t.Fatalf("gate A: %d in flight, %d records", len(f.InFlight), len(f.Records))
		}
	})
	t.Run("OtherTerminalUsedTheCounter", func(t *testing.T) {
		dir := t.TempDir()
		card, gateA, gateB := offlineCard(t, dir, 5000), offlineGate(t, dir, 1), offlineGate(t, dir, 2)
		// A's DEBIT never reached the card; B's purchase took its counter.
		if _, err := tapFiles(t, &tap{termPath: gateA, cardPath: card, saveCard: failing(1, saveCard)}, "2.00", at); err == nil {
			t.Fatal("the torn tap did not fail")
		}
		if _, err := tapFiles(t, &tap{termPath: gateB, cardPath: card}, "1.00", at.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		out, err := tapFiles(t, &tap{termPath: gateA, cardPath: card}, "1.00", at.Add(time.Hour))
		if err != nil || !strings.Contains(out, "the card never took the torn purchase") || len(checkedRecords(t, gateA)) != 1 {
			t.Fatalf("%v\n%s", err, out)
		}
	})
	t.Run("DeniedCardStillRecovered", func(t *testing.T) {
		dir := t.TempDir()
		card, gate := offlineCard(t, dir, 5000), offlineGate(t, dir, 1)
		tornAt(t, gate, card)
		f := mustReadTerminal(t, gate)
		f.DenyList = []deniedCard{{CardID: mustReadCard(t, card).CardID, Since: at.Add(time.Minute)}}
		if err := saveTerminal(gate, f); err != nil {
			t.Fatal(err)
		}
		out, err := tapFiles(t, &tap{termPath: gate, cardPath: card}, "2.00", at.Add(time.Hour))
		if err == nil || !strings.Contains(err.Error(), "on the deny list since 2025-06-02T08:01:00Z") || !strings.Contains(out, "recovered") {
			t.Fatalf("%v\n%s", err, out)
		}
		if got := mustReadCard(t, card).Chip.Balance; got != 4800 || len(checkedRecords(t, gate)) != 1 {
			t.Fatalf("card %d after a refused tap", got)
		}
	})
	t.Run("CardRefuses", func(t *testing.T) {
		dir := t.TempDir()
		card, gate := offlineCard(t, dir, 150), offlineGate(t, dir, 1)
		for _, tc := range []struct{ amount, err string }{
			{"2.00", "insufficient balance"},
			{"0.00", "--amount"},
			{"1.001", "--amount"},
			{"1e2", "--amount"},
		} {
			if _, err := tapFiles(t, &tap{termPath: gate, cardPath: card}, tc.amount, at); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("tap of %s: %v, want %q", tc.amount, err, tc.err)
			}
		}
		if f := mustReadTerminal(t, gate); f.NextSeq != 1 || len(f.InFlight) != 0 || mustReadCard(t, card).Chip.Balance != 150 {
			t.Fatalf("a refused tap changed the files: next seq %d, %d in flight", f.NextSeq, len(f.InFlight))
		}
	})
}
