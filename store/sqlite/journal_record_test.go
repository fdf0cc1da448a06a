package sqlite

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/ewallet/ewallet/ledger"
)

func sampleBatch() *ledger.Batch {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123000, time.UTC)
	hold := &ledger.Transfer{Seq: 7, ID: "hold-1", Type: ledger.Hold, Kind: "payment", ExpiresAt: at.Add(time.Hour),
		Postings: []ledger.Posting{{Account: 1, Amount: -500}, {Account: 2, Amount: 500}}, Time: at,
		Metadata: map[string]string{"order": "A-1 ✓"}, RequestHash: [32]byte{1}, Hash: [32]byte{2}}
	post := &ledger.Transfer{Seq: 8, ID: "post-0", Type: ledger.Post, Kind: "capture", HoldID: "hold-0", Time: at, RequestHash: [32]byte{3}, Hash: [32]byte{4}}
	return &ledger.Batch{
		Transfers: []*ledger.Transfer{hold, post},
		Entries: []ledger.Entry{{Account: 1, Seq: 7, HeldDelta: 500, Balance: 1000, HeldAfter: 500},
			{Account: 2, Seq: 8, Amount: -1 << 40, Balance: -1 << 40}},
		Rejections: []ledger.Rejection{{ID: "nope", Fingerprint: [32]byte{9}, Code: ledger.CodeInsufficientFunds, Message: "not enough", Time: at}},
		NewHolds:   []ledger.HoldState{{ID: "hold-1", Seq: 7, Status: ledger.HoldPending, ExpiresAt: at.Add(time.Hour)}},
		Resolved:   []ledger.HoldState{{ID: "hold-0", Status: ledger.HoldPosted, ResolvedBy: 8}},
		Head:       ledger.Head{Seq: 8, Hash: [32]byte{4}, Time: at},
	}
}

// TestRecordRoundTrip: a record decodes to what Write needs of the batch.
func TestRecordRoundTrip(t *testing.T) {
	b := sampleBatch()
	buf := appendRecord([]byte("prefix"), 42, b)
	rec, n, err := readRecord(buf[len("prefix"):])
	if err != nil || n != len(buf)-len("prefix") || rec.no != 42 {
		t.Fatalf("read: no %d, %d bytes of %d, %v", rec.no, n, len(buf)-len("prefix"), err)
	}
	got := rec.batch
	for i, tr := range b.Transfers {
		g := *got.Transfers[i]
		want := *tr
		want.Postings, want.Metadata = nil, nil
		if !reflect.DeepEqual(g, want) {
			t.Errorf("transfer %d: %+v, want %+v", i, g, want)
		}
		if e := got.Encoded[i]; e.Postings != ledger.EncodePostings(tr.Postings) || e.Metadata != ledger.EncodeMetadata(tr.Metadata) {
			t.Errorf("transfer %d encoded: %+v", i, e)
		}
	}
	for name, pair := range map[string][2]any{
		"entries":    {got.Entries, b.Entries},
		"rejections": {got.Rejections, b.Rejections},
		"new holds":  {got.NewHolds, b.NewHolds},
		"resolved":   {got.Resolved, b.Resolved},
		"head":       {got.Head, b.Head},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: %+v, want %+v", name, pair[0], pair[1])
		}
	}
	if again := appendRecord(nil, 42, got); !bytes.Equal(again, buf[len("prefix"):]) {
		t.Error("the decoded record encodes to other bytes")
	}
}

// TestRecordTorn: every prefix of a record, and any flipped byte, is torn,
// never a record.
func TestRecordTorn(t *testing.T) {
	buf := appendRecord(nil, 1, sampleBatch())
	for n := range len(buf) {
		if _, _, err := readRecord(buf[:n]); err != errTorn {
			t.Fatalf("prefix of %d bytes: %v, want torn", n, err)
		}
	}
	for i := range buf {
		c := bytes.Clone(buf)
		c[i] ^= 0x10
		if _, _, err := readRecord(c); err == nil {
			t.Fatalf("byte %d flipped: read as a record", i)
		}
	}
}

// FuzzReadRecord: reading never panics, and whatever reads as a record
// writes back to the same bytes.
func FuzzReadRecord(f *testing.F) {
	f.Add(appendRecord(nil, 1, sampleBatch()))
	f.Add(appendRecord(nil, 2, &ledger.Batch{}))
	f.Add([]byte{0x45, 0x57, 0x4a, 0x31, 3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		rec, n, err := readRecord(data)
		if err != nil {
			return
		}
		if again := appendRecord(nil, rec.no, rec.batch); !bytes.Equal(again, data[:n]) {
			t.Fatalf("record %x writes back as %x", data[:n], again)
		}
	})
}
