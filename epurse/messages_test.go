package epurse_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ewallet/ewallet/epurse"
)

// reencode decodes b with dec and encodes the result again.
func reencode[M interface{ Encode() ([]byte, error) }](dec func([]byte) (M, error)) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		m, err := dec(b)
		if err != nil {
			return nil, err
		}
		return m.Encode()
	}
}

// decoders maps each message's vector name (without "msg_") to decode+encode.
var decoders = map[string]func([]byte) ([]byte, error){
	"init_load_command":       reencode(epurse.DecodeInitLoadCommand),
	"init_load_response":      reencode(epurse.DecodeInitLoadResponse),
	"credit_load_command":     reencode(epurse.DecodeCreditLoadCommand),
	"credit_load_response":    reencode(epurse.DecodeCreditLoadResponse),
	"init_purchase_command":   reencode(epurse.DecodeInitPurchaseCommand),
	"init_purchase_response":  reencode(epurse.DecodeInitPurchaseResponse),
	"debit_purchase_command":  reencode(epurse.DecodeDebitPurchaseCommand),
	"debit_purchase_response": reencode(epurse.DecodeDebitPurchaseResponse),
	"proof_command":           reencode(epurse.DecodeProofCommand),
	"proof_response":          reencode(epurse.DecodeProofResponse),
	"record":                  reencode(epurse.DecodeRecord),
}

func seq(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

func mac8(start byte) (m epurse.MAC)          { copy(m[:], seq(8, start)); return }
func cardN(start byte) (n epurse.CardNumber)  { copy(n[:], seq(8, start)); return }
func termID(start byte) (t epurse.TerminalID) { copy(t[:], seq(6, start)); return }

// roundTrip encodes m, checks the length, decodes and compares.
func roundTrip[M comparable](t *testing.T, m M, enc func(M) ([]byte, error), dec func([]byte) (M, error), size int) {
	t.Helper()
	b, err := enc(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != size {
		t.Fatalf("encoded %d bytes, want %d", len(b), size)
	}
	got, err := dec(b)
	if err != nil {
		t.Fatal(err)
	}
	if got != m {
		t.Fatalf("decode(encode(m)) = %+v, want %+v", got, m)
	}
	// Every shorter and longer slice is refused.
	for _, bad := range [][]byte{nil, b[:len(b)-1], append(append([]byte{}, b...), 0)} {
		if _, err := dec(bad); !errors.Is(err, epurse.ErrMalformed) {
			t.Errorf("decode of %d bytes: err %v, want ErrMalformed", len(bad), err)
		}
	}
}

func TestMessageRoundTrip(t *testing.T) {
	t.Run("InitLoadCommand", func(t *testing.T) {
		roundTrip(t, epurse.InitLoadCommand{KeyIndex: 1, Amount: 0xFFFFFFFF, Terminal: termID(1)},
			epurse.InitLoadCommand.Encode, epurse.DecodeInitLoadCommand, 17)
	})
	t.Run("InitLoadResponse", func(t *testing.T) {
		roundTrip(t, epurse.InitLoadResponse{Card: cardN(9), Balance: 100000, OnlineCounter: 0xFFFE,
			KeyVersion: 1, AlgorithmID: 0x10, Random: [4]byte{1, 2, 3, 4}, MAC1: mac8(0x40)},
			epurse.InitLoadResponse.Encode, epurse.DecodeInitLoadResponse, 30)
	})
	t.Run("CreditLoadCommand", func(t *testing.T) {
		roundTrip(t, epurse.CreditLoadCommand{Time: 0xFFFFFFFF, MAC2: mac8(3)},
			epurse.CreditLoadCommand.Encode, epurse.DecodeCreditLoadCommand, 18)
	})
	t.Run("CreditLoadResponse", func(t *testing.T) {
		roundTrip(t, epurse.CreditLoadResponse{TAC: mac8(0xF0)},
			epurse.CreditLoadResponse.Encode, epurse.DecodeCreditLoadResponse, 10)
	})
	t.Run("InitPurchaseCommand", func(t *testing.T) {
		roundTrip(t, epurse.InitPurchaseCommand{KeyIndex: 1, Amount: 250, Terminal: termID(7)},
			epurse.InitPurchaseCommand.Encode, epurse.DecodeInitPurchaseCommand, 17)
	})
	t.Run("InitPurchaseResponse", func(t *testing.T) {
		roundTrip(t, epurse.InitPurchaseResponse{Card: cardN(2), Balance: 12345, OfflineCounter: 3,
			KeyVersion: 1, AlgorithmID: 0x10, Random: [4]byte{9, 8, 7, 6}},
			epurse.InitPurchaseResponse.Encode, epurse.DecodeInitPurchaseResponse, 22)
	})
	t.Run("DebitPurchaseCommand", func(t *testing.T) {
		roundTrip(t, epurse.DebitPurchaseCommand{TerminalSeq: 77, Time: 1767225600, MAC1: mac8(0x80)},
			epurse.DebitPurchaseCommand.Encode, epurse.DecodeDebitPurchaseCommand, 22)
	})
	t.Run("DebitPurchaseResponse", func(t *testing.T) {
		roundTrip(t, epurse.DebitPurchaseResponse{TAC: mac8(1), MAC2: mac8(0x11)},
			epurse.DebitPurchaseResponse.Encode, epurse.DecodeDebitPurchaseResponse, 18)
	})
	t.Run("ProofCommand", func(t *testing.T) {
		for _, typ := range []byte{epurse.TypeLoad, epurse.TypePurchase} {
			roundTrip(t, epurse.ProofCommand{Type: typ, Counter: 513},
				epurse.ProofCommand.Encode, epurse.DecodeProofCommand, 8)
		}
	})
	t.Run("ProofResponse", func(t *testing.T) {
		roundTrip(t, epurse.ProofResponse{MAC2: mac8(5), TAC: mac8(0x55)},
			epurse.ProofResponse.Encode, epurse.DecodeProofResponse, 18)
	})
	t.Run("Record", func(t *testing.T) {
		roundTrip(t, epurse.Record{Card: cardN(1), OfflineCounter: 9, Amount: 250, Terminal: termID(3),
			TerminalSeq: 1 << 31, Time: 1767229200, TAC: mac8(0xA0)},
			epurse.Record.Encode, epurse.DecodeRecord, epurse.RecordSize)
	})
}

// TestDecodeRejects flips the header, tag, status word and length bytes of
// valid encodings; every variant is refused with ErrMalformed.
func TestDecodeRejects(t *testing.T) {
	ilc, _ := epurse.InitLoadCommand{KeyIndex: 1, Amount: 1, Terminal: termID(1)}.Encode()
	ipc, _ := epurse.InitPurchaseCommand{KeyIndex: 1, Amount: 1, Terminal: termID(1)}.Encode()
	dpr, _ := epurse.DebitPurchaseResponse{}.Encode()
	pc, _ := epurse.ProofCommand{Type: epurse.TypePurchase, Counter: 1}.Encode()
	rec, _ := epurse.Record{Amount: 1}.Encode()
	with := func(b []byte, i int, v byte) []byte {
		c := append([]byte{}, b...)
		c[i] = v
		return c
	}
	tests := []struct {
		name string
		dec  func([]byte) ([]byte, error)
		b    []byte
	}{
		{"InitLoad/CLA", decoders["init_load_command"], with(ilc, 0, 0x00)},
		{"InitLoad/INS", decoders["init_load_command"], with(ilc, 1, 0x52)},
		{"InitLoad/P1IsPurchase", decoders["init_load_command"], ipc},
		{"InitPurchase/P1IsLoad", decoders["init_purchase_command"], ilc},
		{"InitLoad/P2", decoders["init_load_command"], with(ilc, 3, 0x01)},
		{"InitLoad/Lc", decoders["init_load_command"], with(ilc, 4, 0x0C)},
		{"InitLoad/Le", decoders["init_load_command"], with(ilc, 16, 0x00)},
		{"DebitResponse/SW", decoders["debit_purchase_response"], with(dpr, 16, 0x93)},
		{"DebitResponse/StatusOnly", decoders["debit_purchase_response"], []byte{0x93, 0x02}},
		{"Proof/Type", decoders["proof_command"], with(pc, 3, 0x05)},
		{"Record/Tag", decoders["record"], with(rec, 0, 0x02)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.dec(tt.b); !errors.Is(err, epurse.ErrMalformed) {
				t.Fatalf("err %v, want ErrMalformed", err)
			}
		})
	}
}

func TestEncodeRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		enc  func() ([]byte, error)
	}{
		{"NegativeAmount", epurse.InitLoadCommand{Amount: -1}.Encode},
		{"AmountOver32Bits", epurse.InitPurchaseCommand{Amount: 1 << 32}.Encode},
		{"BalanceOver32Bits", epurse.InitLoadResponse{Balance: 1 << 32}.Encode},
		{"RecordNegative", epurse.Record{Amount: -5}.Encode},
		{"ProofType", epurse.ProofCommand{Type: 0x01}.Encode},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.enc(); !errors.Is(err, epurse.ErrMalformed) {
				t.Fatalf("err %v, want ErrMalformed", err)
			}
		})
	}
}

// fuzzDecoder: a decoder never panics, and what it accepts encodes back to
// the same bytes (every field is fixed, so the encoding is canonical).
func fuzzDecoder(f *testing.F, name string) {
	dec := decoders[name]
	f.Add([]byte{})
	f.Add(make([]byte, 37))
	for _, v := range fixedVectorMessages(f) {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		re, err := dec(b)
		if err != nil {
			if !errors.Is(err, epurse.ErrMalformed) {
				t.Fatalf("decode error %v is not ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(re, b) {
			t.Fatalf("re-encoded %x, input %x", re, b)
		}
	})
}

// fixedVectorMessages are the encoded messages of testdata/vectors.txt, as seeds.
func fixedVectorMessages(tb testing.TB) [][]byte {
	var out [][]byte
	for name, v := range readVectors(tb) {
		if strings.HasPrefix(name, "msg_") {
			out = append(out, mustHex(tb, v))
		}
	}
	return out
}

func FuzzDecodeInitLoadCommand(f *testing.F)      { fuzzDecoder(f, "init_load_command") }
func FuzzDecodeInitLoadResponse(f *testing.F)     { fuzzDecoder(f, "init_load_response") }
func FuzzDecodeCreditLoadCommand(f *testing.F)    { fuzzDecoder(f, "credit_load_command") }
func FuzzDecodeCreditLoadResponse(f *testing.F)   { fuzzDecoder(f, "credit_load_response") }
func FuzzDecodeInitPurchaseCommand(f *testing.F)  { fuzzDecoder(f, "init_purchase_command") }
func FuzzDecodeInitPurchaseResponse(f *testing.F) { fuzzDecoder(f, "init_purchase_response") }
func FuzzDecodeDebitPurchaseCommand(f *testing.F) { fuzzDecoder(f, "debit_purchase_command") }
func FuzzDecodeDebitPurchaseResponse(f *testing.F) {
	fuzzDecoder(f, "debit_purchase_response")
}
func FuzzDecodeProofCommand(f *testing.F)  { fuzzDecoder(f, "proof_command") }
func FuzzDecodeProofResponse(f *testing.F) { fuzzDecoder(f, "proof_response") }
func FuzzDecodeRecord(f *testing.F)        { fuzzDecoder(f, "record") }
