package epurse

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The messages between terminal (or server) and card are ISO 7816-4 case 4
// command APDUs, CLA INS P1 P2 Lc data Le, and responses data SW1 SW2; a
// refusal is the bare status word (see StatusWord). Every field is fixed
// length and big-endian; amounts and balances are unsigned 32-bit minor
// units (up to 42,949,672.95 CNY, far above any cap), counters 16-bit,
// times 32-bit Unix seconds (UTC). Decoders accept exactly one length and
// one header per message and refuse everything else with ErrMalformed, so
// Decode(Encode(m)) == m and Encode(Decode(b)) == b.
//
// Compared with the PBOC e-purse: MACs and TACs are 8 bytes (AES-CMAC, not
// 4-byte DES MACs); times are Unix seconds, not BCD date and time; the card
// number is in the INITIALIZE responses instead of a separate READ BINARY;
// and GET TRANSACTION PROOF returns MAC2 and TAC for both kinds.

// Instruction bytes (CLA is 0x80 throughout, as PBOC's proprietary class).
const (
	claEPurse     byte = 0x80
	insInitialize byte = 0x50
	insCredit     byte = 0x52
	insDebit      byte = 0x54
	insProof      byte = 0x5A
	p1Load        byte = 0x00
	p1Purchase    byte = 0x01
	p2EPurse      byte = 0x02
	recordTagV1   byte = 0x01
	maxWireAmount      = math.MaxUint32
)

// header is the fixed part of one command.
type header struct {
	name        string
	ins, p1, p2 byte
	lc, le      int
}

func (h header) encode(data []byte) []byte {
	b := make([]byte, 0, 5+len(data)+1)
	b = append(b, claEPurse, h.ins, h.p1, h.p2, byte(h.lc))
	b = append(b, data...)
	return append(b, byte(h.le))
}

// decode checks everything but P2 when anyP2 and returns the data field.
func (h header) decode(b []byte, anyP2 bool) ([]byte, error) {
	if len(b) != 5+h.lc+1 {
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: %d bytes, want %d", h.name, len(b), 5+h.lc+1))
	}
	if b[0] != claEPurse || b[1] != h.ins || b[2] != h.p1 || (!anyP2 && b[3] != h.p2) {
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: header %x, want %02x%02x%02x%02x", h.name, b[:4], claEPurse, h.ins, h.p1, h.p2))
	}
	if int(b[4]) != h.lc || int(b[len(b)-1]) != h.le {
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: Lc %02x Le %02x, want %02x %02x", h.name, b[4], b[len(b)-1], h.lc, h.le))
	}
	return b[5 : 5+h.lc], nil
}

func encodeResponse(data []byte) []byte { return binary.BigEndian.AppendUint16(data, SWOK) }

func decodeResponse(name string, b []byte, n int) ([]byte, error) {
	if len(b) != n+2 {
		if len(b) == 2 {
			return nil, fail(ErrMalformed, fmt.Sprintf("%s: card answered status %04x", name, binary.BigEndian.Uint16(b)))
		}
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: %d bytes, want %d", name, len(b), n+2))
	}
	if sw := binary.BigEndian.Uint16(b[n:]); sw != SWOK {
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: status %04x, want 9000", name, sw))
	}
	return b[:n], nil
}

func checkAmount(name, field string, v int64) error {
	if v < 0 || v > maxWireAmount {
		return fail(ErrMalformed, fmt.Sprintf("%s: %s %d outside 0..%d", name, field, v, int64(maxWireAmount)))
	}
	return nil
}

// reader takes fixed-size fields off a slice whose length was checked.
type reader struct{ b []byte }

func (r *reader) next(n int) []byte { p := r.b[:n]; r.b = r.b[n:]; return p }
func (r *reader) u8() byte          { return r.next(1)[0] }
func (r *reader) u16() uint16       { return binary.BigEndian.Uint16(r.next(2)) }
func (r *reader) u32() uint32       { return binary.BigEndian.Uint32(r.next(4)) }
func (r *reader) amount() int64     { return int64(r.u32()) }

var (
	hdrInitLoad     = header{"INITIALIZE FOR LOAD", insInitialize, p1Load, p2EPurse, 11, 28}
	hdrCreditLoad   = header{"CREDIT FOR LOAD", insCredit, 0x00, 0x00, 12, 8}
	hdrInitPurchase = header{"INITIALIZE FOR PURCHASE", insInitialize, p1Purchase, p2EPurse, 11, 20}
	hdrDebit        = header{"DEBIT FOR PURCHASE", insDebit, p1Purchase, 0x00, 16, 16}
	hdrProof        = header{"GET LAST TRANSACTION PROOF", insProof, 0x00, 0x00, 2, 16}
)

// InitLoadCommand is INITIALIZE FOR LOAD, sent by the server through the
// terminal to start a load.
//
//	offset len field
//	0      4   80 50 00 02 (CLA INS P1=load P2=e-purse)
//	4      1   Lc = 0B
//	5      1   key index (KeyIndex)
//	6      4   amount to load, minor units
//	10     6   terminal id
//	16     1   Le = 1C
//	total 17
type InitLoadCommand struct {
	KeyIndex byte
	Amount   int64
	Terminal TerminalID
}

// Encode returns the 17-byte command.
func (m InitLoadCommand) Encode() ([]byte, error) {
	if err := checkAmount(hdrInitLoad.name, "amount", m.Amount); err != nil {
		return nil, err
	}
	d := []byte{m.KeyIndex}
	d = binary.BigEndian.AppendUint32(d, uint32(m.Amount))
	d = append(d, m.Terminal[:]...)
	return hdrInitLoad.encode(d), nil
}

// DecodeInitLoadCommand parses the 17-byte command.
func DecodeInitLoadCommand(b []byte) (InitLoadCommand, error) {
	var m InitLoadCommand
	d, err := hdrInitLoad.decode(b, false)
	if err != nil {
		return m, err
	}
	r := reader{d}
	m.KeyIndex = r.u8()
	m.Amount = r.amount()
	copy(m.Terminal[:], r.next(6))
	return m, nil
}

// InitLoadResponse is the card's answer to INITIALIZE FOR LOAD.
//
//	offset len field
//	0      8   card number
//	8      4   balance before the load
//	12     2   online counter (of this load; incremented by CREDIT)
//	14     1   key version
//	15     1   algorithm id
//	16     4   card random
//	20     8   MAC1
//	28     2   SW 90 00
//	total 30
type InitLoadResponse struct {
	Card          CardNumber
	Balance       int64
	OnlineCounter uint16
	KeyVersion    byte
	AlgorithmID   byte
	Random        [4]byte
	MAC1          MAC
}

// Encode returns the 30-byte response.
func (m InitLoadResponse) Encode() ([]byte, error) {
	if err := checkAmount("INITIALIZE FOR LOAD response", "balance", m.Balance); err != nil {
		return nil, err
	}
	d := append([]byte{}, m.Card[:]...)
	d = binary.BigEndian.AppendUint32(d, uint32(m.Balance))
	d = binary.BigEndian.AppendUint16(d, m.OnlineCounter)
	d = append(d, m.KeyVersion, m.AlgorithmID)
	d = append(d, m.Random[:]...)
	d = append(d, m.MAC1[:]...)
	return encodeResponse(d), nil
}

// DecodeInitLoadResponse parses the 30-byte response.
func DecodeInitLoadResponse(b []byte) (InitLoadResponse, error) {
	var m InitLoadResponse
	d, err := decodeResponse("INITIALIZE FOR LOAD response", b, 28)
	if err != nil {
		return m, err
	}
	r := reader{d}
	copy(m.Card[:], r.next(8))
	m.Balance = r.amount()
	m.OnlineCounter = r.u16()
	m.KeyVersion = r.u8()
	m.AlgorithmID = r.u8()
	copy(m.Random[:], r.next(4))
	copy(m.MAC1[:], r.next(8))
	return m, nil
}

// CreditLoadCommand is CREDIT FOR LOAD: the issuer's MAC2 authorising the
// load the card initialised.
//
//	offset len field
//	0      4   80 52 00 00
//	4      1   Lc = 0C
//	5      4   time, Unix seconds
//	9      8   MAC2
//	17     1   Le = 08
//	total 18
type CreditLoadCommand struct {
	Time uint32
	MAC2 MAC
}

// Encode returns the 18-byte command.
func (m CreditLoadCommand) Encode() ([]byte, error) {
	d := binary.BigEndian.AppendUint32(nil, m.Time)
	d = append(d, m.MAC2[:]...)
	return hdrCreditLoad.encode(d), nil
}

// DecodeCreditLoadCommand parses the 18-byte command.
func DecodeCreditLoadCommand(b []byte) (CreditLoadCommand, error) {
	var m CreditLoadCommand
	d, err := hdrCreditLoad.decode(b, false)
	if err != nil {
		return m, err
	}
	r := reader{d}
	m.Time = r.u32()
	copy(m.MAC2[:], r.next(8))
	return m, nil
}

// CreditLoadResponse is the card's TAC for a completed load.
//
//	offset len field
//	0      8   TAC
//	8      2   SW 90 00
//	total 10
type CreditLoadResponse struct {
	TAC MAC
}

// Encode returns the 10-byte response.
func (m CreditLoadResponse) Encode() ([]byte, error) {
	return encodeResponse(append([]byte{}, m.TAC[:]...)), nil
}

// DecodeCreditLoadResponse parses the 10-byte response.
func DecodeCreditLoadResponse(b []byte) (CreditLoadResponse, error) {
	var m CreditLoadResponse
	d, err := decodeResponse("CREDIT FOR LOAD response", b, 8)
	if err != nil {
		return m, err
	}
	copy(m.TAC[:], d)
	return m, nil
}

// InitPurchaseCommand is INITIALIZE FOR PURCHASE, sent by a terminal.
//
//	offset len field
//	0      4   80 50 01 02 (P1=purchase)
//	4      1   Lc = 0B
//	5      1   key index (KeyIndex)
//	6      4   amount, minor units
//	10     6   terminal id
//	16     1   Le = 14
//	total 17
type InitPurchaseCommand struct {
	KeyIndex byte
	Amount   int64
	Terminal TerminalID
}

// Encode returns the 17-byte command.
func (m InitPurchaseCommand) Encode() ([]byte, error) {
	if err := checkAmount(hdrInitPurchase.name, "amount", m.Amount); err != nil {
		return nil, err
	}
	d := []byte{m.KeyIndex}
	d = binary.BigEndian.AppendUint32(d, uint32(m.Amount))
	d = append(d, m.Terminal[:]...)
	return hdrInitPurchase.encode(d), nil
}

// DecodeInitPurchaseCommand parses the 17-byte command.
func DecodeInitPurchaseCommand(b []byte) (InitPurchaseCommand, error) {
	var m InitPurchaseCommand
	d, err := hdrInitPurchase.decode(b, false)
	if err != nil {
		return m, err
	}
	r := reader{d}
	m.KeyIndex = r.u8()
	m.Amount = r.amount()
	copy(m.Terminal[:], r.next(6))
	return m, nil
}

// InitPurchaseResponse is the card's answer to INITIALIZE FOR PURCHASE.
//
//	offset len field
//	0      8   card number
//	8      4   balance before the purchase
//	12     2   offline counter (of this purchase; incremented by DEBIT)
//	14     1   key version
//	15     1   algorithm id
//	16     4   card random
//	20     2   SW 90 00
//	total 22
type InitPurchaseResponse struct {
	Card           CardNumber
	Balance        int64
	OfflineCounter uint16
	KeyVersion     byte
	AlgorithmID    byte
	Random         [4]byte
}

// Encode returns the 22-byte response.
func (m InitPurchaseResponse) Encode() ([]byte, error) {
	if err := checkAmount("INITIALIZE FOR PURCHASE response", "balance", m.Balance); err != nil {
		return nil, err
	}
	d := append([]byte{}, m.Card[:]...)
	d = binary.BigEndian.AppendUint32(d, uint32(m.Balance))
	d = binary.BigEndian.AppendUint16(d, m.OfflineCounter)
	d = append(d, m.KeyVersion, m.AlgorithmID)
	d = append(d, m.Random[:]...)
	return encodeResponse(d), nil
}

// DecodeInitPurchaseResponse parses the 22-byte response.
func DecodeInitPurchaseResponse(b []byte) (InitPurchaseResponse, error) {
	var m InitPurchaseResponse
	d, err := decodeResponse("INITIALIZE FOR PURCHASE response", b, 20)
	if err != nil {
		return m, err
	}
	r := reader{d}
	copy(m.Card[:], r.next(8))
	m.Balance = r.amount()
	m.OfflineCounter = r.u16()
	m.KeyVersion = r.u8()
	m.AlgorithmID = r.u8()
	copy(m.Random[:], r.next(4))
	return m, nil
}

// DebitPurchaseCommand is DEBIT FOR PURCHASE: the SAM's MAC1 authorising the
// purchase the card initialised.
//
//	offset len field
//	0      4   80 54 01 00
//	4      1   Lc = 10
//	5      4   terminal sequence number
//	9      4   time, Unix seconds
//	13     8   MAC1
//	21     1   Le = 10
//	total 22
type DebitPurchaseCommand struct {
	TerminalSeq uint32
	Time        uint32
	MAC1        MAC
}

// Encode returns the 22-byte command.
func (m DebitPurchaseCommand) Encode() ([]byte, error) {
	d := binary.BigEndian.AppendUint32(nil, m.TerminalSeq)
	d = binary.BigEndian.AppendUint32(d, m.Time)
	d = append(d, m.MAC1[:]...)
	return hdrDebit.encode(d), nil
}

// DecodeDebitPurchaseCommand parses the 22-byte command.
func DecodeDebitPurchaseCommand(b []byte) (DebitPurchaseCommand, error) {
	var m DebitPurchaseCommand
	d, err := hdrDebit.decode(b, false)
	if err != nil {
		return m, err
	}
	r := reader{d}
	m.TerminalSeq = r.u32()
	m.Time = r.u32()
	copy(m.MAC1[:], r.next(8))
	return m, nil
}

// DebitPurchaseResponse is the card's proof of a debit: the TAC for the
// issuer and MAC2 for the SAM.
//
//	offset len field
//	0      8   TAC
//	8      8   MAC2
//	16     2   SW 90 00
//	total 18
type DebitPurchaseResponse struct {
	TAC  MAC
	MAC2 MAC
}

// Encode returns the 18-byte response.
func (m DebitPurchaseResponse) Encode() ([]byte, error) {
	d := append(append([]byte{}, m.TAC[:]...), m.MAC2[:]...)
	return encodeResponse(d), nil
}

// DecodeDebitPurchaseResponse parses the 18-byte response.
func DecodeDebitPurchaseResponse(b []byte) (DebitPurchaseResponse, error) {
	var m DebitPurchaseResponse
	d, err := decodeResponse("DEBIT FOR PURCHASE response", b, 16)
	if err != nil {
		return m, err
	}
	copy(m.TAC[:], d[:8])
	copy(m.MAC2[:], d[8:])
	return m, nil
}

// ProofCommand is GET LAST TRANSACTION PROOF: after a torn transaction the
// terminal (or server) asks the card for the MAC2 and TAC of the transaction
// of the given type and counter, if the card completed it.
//
//	offset len field
//	0      4   80 5A 00 tt (P2 = transaction type: 02 load, 06 purchase)
//	4      1   Lc = 02
//	5      2   counter of the transaction (online for loads, offline for purchases)
//	7      1   Le = 10
//	total 8
type ProofCommand struct {
	Type    byte // TypeLoad or TypePurchase
	Counter uint16
}

// Encode returns the 8-byte command.
func (m ProofCommand) Encode() ([]byte, error) {
	if m.Type != TypeLoad && m.Type != TypePurchase {
		return nil, fail(ErrMalformed, fmt.Sprintf("%s: type %02x", hdrProof.name, m.Type))
	}
	h := hdrProof
	h.p2 = m.Type
	return h.encode(binary.BigEndian.AppendUint16(nil, m.Counter)), nil
}

// DecodeProofCommand parses the 8-byte command.
func DecodeProofCommand(b []byte) (ProofCommand, error) {
	var m ProofCommand
	d, err := hdrProof.decode(b, true)
	if err != nil {
		return m, err
	}
	if b[3] != TypeLoad && b[3] != TypePurchase {
		return m, fail(ErrMalformed, fmt.Sprintf("%s: type %02x", hdrProof.name, b[3]))
	}
	m.Type = b[3]
	m.Counter = binary.BigEndian.Uint16(d)
	return m, nil
}

// ProofResponse is the card's proof of a past transaction. For a purchase it
// is the MAC2 and TAC the card answered to DEBIT; for a load MAC2 is the
// issuer's MAC2 the card accepted, and TAC the card's load TAC.
//
//	offset len field
//	0      8   MAC2
//	8      8   TAC
//	16     2   SW 90 00
//	total 18
type ProofResponse struct {
	MAC2 MAC
	TAC  MAC
}

// Encode returns the 18-byte response.
func (m ProofResponse) Encode() ([]byte, error) {
	d := append(append([]byte{}, m.MAC2[:]...), m.TAC[:]...)
	return encodeResponse(d), nil
}

// DecodeProofResponse parses the 18-byte response.
func DecodeProofResponse(b []byte) (ProofResponse, error) {
	var m ProofResponse
	d, err := decodeResponse("GET LAST TRANSACTION PROOF response", b, 16)
	if err != nil {
		return m, err
	}
	copy(m.MAC2[:], d[:8])
	copy(m.TAC[:], d[8:])
	return m, nil
}

// Record is one purchase as a terminal uploads it for clearing. Everything
// but the tag is covered by the TAC, which only the issuer can check.
//
//	offset len field
//	0      1   tag 01 (record format version 1, a purchase)
//	1      8   card number
//	9      2   offline counter
//	11     4   amount, minor units
//	15     6   terminal id
//	21     4   terminal sequence number
//	25     4   time, Unix seconds
//	29     8   TAC
//	total 37
type Record struct {
	Card           CardNumber
	OfflineCounter uint16
	Amount         int64
	Terminal       TerminalID
	TerminalSeq    uint32
	Time           uint32
	TAC            MAC
}

// RecordSize is the length of an encoded Record; a batch is records back to back.
const RecordSize = 37

// Encode returns the 37-byte record.
func (m Record) Encode() ([]byte, error) {
	if err := checkAmount("record", "amount", m.Amount); err != nil {
		return nil, err
	}
	d := make([]byte, 0, RecordSize)
	d = append(d, recordTagV1)
	d = append(d, m.Card[:]...)
	d = binary.BigEndian.AppendUint16(d, m.OfflineCounter)
	d = binary.BigEndian.AppendUint32(d, uint32(m.Amount))
	d = append(d, m.Terminal[:]...)
	d = binary.BigEndian.AppendUint32(d, m.TerminalSeq)
	d = binary.BigEndian.AppendUint32(d, m.Time)
	d = append(d, m.TAC[:]...)
	return d, nil
}

// DecodeRecord parses a 37-byte record.
func DecodeRecord(b []byte) (Record, error) {
	var m Record
	if len(b) != RecordSize {
		return m, fail(ErrMalformed, fmt.Sprintf("record: %d bytes, want %d", len(b), RecordSize))
	}
	if b[0] != recordTagV1 {
		return m, fail(ErrMalformed, fmt.Sprintf("record: tag %02x, want %02x", b[0], recordTagV1))
	}
	r := reader{b[1:]}
	copy(m.Card[:], r.next(8))
	m.OfflineCounter = r.u16()
	m.Amount = r.amount()
	copy(m.Terminal[:], r.next(6))
	m.TerminalSeq = r.u32()
	m.Time = r.u32()
	copy(m.TAC[:], r.next(8))
	return m, nil
}
