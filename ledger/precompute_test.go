package ledger

import (
	"testing"
	"time"

	"github.com/ewallet/ewallet/money"
)

// What callers precompute hashes to exactly the bytes the chain and the
// fingerprint always covered: existing journals keep verifying.
func TestPrecomputedHashes(t *testing.T) {
	deadline := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	cases := map[string]Transfer{
		"Move":     Move("p2p-1", "p2p", 1, 2, 100),
		"Metadata": {ID: "m", Type: Posted, Kind: "payment", Postings: []Posting{{3, -5}, {4, 2}, {5, 3}}, Metadata: map[string]string{"order": "42", "b": "x", "a": "é"}},
		"Hold":     {ID: "h", Type: Hold, Kind: "auth", Postings: []Posting{{1, -7}, {2, 7}}, ExpiresAt: deadline},
		"PostAll":  {ID: "p", Type: Post, Kind: "capture", HoldID: "h"},
		"PostPart": {ID: "pp", Type: Post, Kind: "capture", HoldID: "h", Postings: []Posting{{1, -3}, {2, 3}}},
		"Void":     {ID: "v", Type: Void, HoldID: "h", Metadata: map[string]string{"why": "customer"}},
		"LongID":   Move(string(make([]byte, 300)), "", 9, 10, 1),
	}
	currency := func(id AccountID) money.Currency {
		if id%2 == 0 {
			return money.USD
		}
		return money.CNY
	}
	for name, tr := range cases {
		t.Run(name, func(t *testing.T) {
			pre := tr.precompute()
			if pre.fp != tr.Fingerprint() {
				t.Fatal("fingerprint differs")
			}
			if pre.postings != EncodePostings(tr.Postings) || pre.metadata != EncodeMetadata(tr.Metadata) {
				t.Fatal("stored forms differ")
			}
			// As the writer fills it in: a post of the whole hold gets the
			// hold's postings after the caller precomputed.
			tr.Seq, tr.Time, tr.RequestHash = 77, deadline.Add(-time.Hour), pre.fp
			if tr.Type == Post && tr.Postings == nil {
				tr.Postings = []Posting{{1, -7}, {2, 7}}
			}
			prev := [32]byte{1, 2, 3}
			if pre.chainHash(prev, &tr, currency) != ChainHash(prev, &tr, currency) {
				t.Fatal("chain hash differs")
			}
		})
	}
}
