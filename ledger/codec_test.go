package ledger_test

import (
	"slices"
	"testing"

	"github.com/ewallet/ewallet/ledger"
)

func TestPostingsCodec(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []ledger.Posting
		ok   bool
	}{
		{"Empty", "", nil, true},
		{"Two", "1:-100,2:100", []ledger.Posting{{1, -100}, {2, 100}}, true},
		{"NoColon", "1-100", nil, false},
		{"NotANumber", "a:1", nil, false},
		{"TrailingComma", "1:1,", nil, false},
		{"TooBig", "1:99999999999999999999", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ledger.DecodePostings(tt.in)
			if (err == nil) != tt.ok || !slices.Equal(got, tt.want) {
				t.Fatalf("DecodePostings(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
}

// FuzzDecodePostings: decoding stored postings never panics, and whatever
// decodes encodes back to postings that decode the same.
func FuzzDecodePostings(f *testing.F) {
	for _, s := range []string{"", "1:-100,2:100", "1:1,", ":", "-9223372036854775808:9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ledger.DecodePostings(s)
		if err != nil {
			return
		}
		again, err := ledger.DecodePostings(ledger.EncodePostings(ps))
		if err != nil || !slices.Equal(ps, again) {
			t.Fatalf("round trip of %q: %v then %v, %v", s, ps, again, err)
		}
	})
}

// FuzzDecodeMetadata: stored metadata never panics the decoder, and valid
// metadata round-trips exactly.
func FuzzDecodeMetadata(f *testing.F) {
	for _, s := range []string{"", `{"note":"lunch"}`, `{"a":"1","b":"2"}`, `{`, `[]`, `{"a":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ledger.DecodeMetadata(s)
		if err != nil {
			return
		}
		back, err := ledger.DecodeMetadata(ledger.EncodeMetadata(m))
		if err != nil || len(back) != len(m) {
			t.Fatalf("round trip of %q: %v then %v, %v", s, m, back, err)
		}
		for k, v := range m {
			if back[k] != v {
				t.Fatalf("round trip of %q: %q=%q became %q", s, k, v, back[k])
			}
		}
	})
}
