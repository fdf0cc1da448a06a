package sqlite

import (
	"encoding/binary"
	"errors"
	"hash/crc32"

	"github.com/ewallet/ewallet/ledger"
)

// A journal record is one Write of the ledger's writer: everything SQLite
// would store for it, in a compact binary form. On disk it is framed as
//
//	magic (4) | payload length (4) | CRC-32C of the payload (4) | payload
//
// so that a record torn by a crash fails its checksum and ends the replay.
const (
	recordMagic  = 0x314a5745 // "EWJ1"
	recordHeader = 12
	maxRecord    = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// record is a decoded journal record: its number (1, 2, … over the life of
// the database) and the batch it carries. A replayed batch has Encoded in
// place of decoded postings and metadata, which is all Write needs.
type record struct {
	no    uint64
	batch *ledger.Batch
}

// appendRecord appends record no, carrying b, framed, to buf.
func appendRecord(buf []byte, no uint64, b *ledger.Batch) []byte {
	start := len(buf)
	buf = append(buf, make([]byte, recordHeader)...)
	p := binary.AppendUvarint(buf, no)
	p = appendHead(p, b.Head)
	encoded := len(b.Encoded) == len(b.Transfers)
	p = binary.AppendUvarint(p, uint64(len(b.Transfers)))
	for i, t := range b.Transfers {
		postings, metadata := "", ""
		if encoded {
			postings, metadata = b.Encoded[i].Postings, b.Encoded[i].Metadata
		} else {
			postings, metadata = ledger.EncodePostings(t.Postings), ledger.EncodeMetadata(t.Metadata)
		}
		p = binary.AppendVarint(p, t.Seq)
		p = appendString(p, t.ID)
		p = binary.AppendUvarint(p, uint64(t.Type))
		p = appendString(p, t.Kind)
		p = appendString(p, t.HoldID)
		p = binary.AppendVarint(p, nanos(t.ExpiresAt))
		p = appendString(p, postings)
		p = appendString(p, metadata)
		p = binary.AppendVarint(p, nanos(t.Time))
		p = append(p, t.RequestHash[:]...)
		p = append(p, t.Hash[:]...)
	}
	p = binary.AppendUvarint(p, uint64(len(b.Entries)))
	for _, e := range b.Entries {
		for _, v := range [...]int64{int64(e.Account), e.Seq, e.Amount, e.HeldDelta, e.Balance, e.HeldAfter} {
			p = binary.AppendVarint(p, v)
		}
	}
	p = binary.AppendUvarint(p, uint64(len(b.Rejections)))
	for _, r := range b.Rejections {
		p = appendString(p, r.ID)
		p = append(p, r.Fingerprint[:]...)
		p = appendString(p, string(r.Code))
		p = appendString(p, r.Message)
		p = binary.AppendVarint(p, nanos(r.Time))
	}
	p = appendHolds(p, b.NewHolds, false)
	p = appendHolds(p, b.Resolved, true)
	payload := p[start+recordHeader:]
	binary.LittleEndian.PutUint32(p[start:], recordMagic)
	binary.LittleEndian.PutUint32(p[start+4:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(p[start+8:], crc32.Checksum(payload, castagnoli))
	return p
}

func appendHead(p []byte, h ledger.Head) []byte {
	p = binary.AppendVarint(p, h.Seq)
	p = append(p, h.Hash[:]...)
	return binary.AppendVarint(p, nanos(h.Time))
}

// appendHolds writes what Write stores of each hold: for new holds their
// sequence, status and deadline, for resolved ones their status and the
// resolving sequence.
func appendHolds(p []byte, hs []ledger.HoldState, resolved bool) []byte {
	p = binary.AppendUvarint(p, uint64(len(hs)))
	for _, h := range hs {
		p = appendString(p, h.ID)
		p = binary.AppendUvarint(p, uint64(h.Status))
		if resolved {
			p = binary.AppendVarint(p, h.ResolvedBy)
		} else {
			p = binary.AppendVarint(p, h.Seq)
			p = binary.AppendVarint(p, nanos(h.ExpiresAt))
		}
	}
	return p
}

func appendString(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

// errTorn reports a record that is incomplete or fails its checksum: the
// end of what a crash left readable.
var errTorn = errors.New("torn journal record")

// readRecord decodes the record at the start of buf and returns it with its
// framed length. A short or corrupt frame is errTorn.
func readRecord(buf []byte) (record, int, error) {
	if len(buf) < recordHeader || binary.LittleEndian.Uint32(buf) != recordMagic {
		return record{}, 0, errTorn
	}
	n := int(binary.LittleEndian.Uint32(buf[4:]))
	if n > maxRecord || len(buf)-recordHeader < n {
		return record{}, 0, errTorn
	}
	payload := buf[recordHeader : recordHeader+n]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(buf[8:]) {
		return record{}, 0, errTorn
	}
	d := decoder{buf: payload}
	rec := d.record()
	if d.err != nil || len(d.buf) != 0 {
		// The checksum matched, so this is not a torn write but a record
		// this code cannot read: refuse to guess.
		return record{}, 0, errors.New("journal record with a valid checksum does not decode")
	}
	return rec, recordHeader + n, nil
}

// decoder reads a payload; the first problem sticks in err.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errTorn
	}
	d.buf = nil
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if uint64(len(d.buf)) < n {
		d.fail()
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) str() string { return string(d.bytes(d.uvarint())) }

func (d *decoder) hash() (h [32]byte) {
	copy(h[:], d.bytes(32))
	return h
}

// count reads a length and bounds it by what is left, so that a corrupt
// length cannot allocate without limit.
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.buf)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) record() record {
	rec := record{no: d.uvarint(), batch: &ledger.Batch{}}
	b := rec.batch
	b.Head = ledger.Head{Seq: d.varint(), Hash: d.hash(), Time: fromNanos(d.varint())}
	n := d.count()
	b.Transfers = make([]*ledger.Transfer, n)
	b.Encoded = make([]ledger.EncodedTransfer, n)
	for i := range n {
		t := &ledger.Transfer{Seq: d.varint(), ID: d.str(), Type: ledger.Type(d.uvarint()), Kind: d.str(), HoldID: d.str(), ExpiresAt: fromNanos(d.varint())}
		b.Encoded[i] = ledger.EncodedTransfer{Postings: d.str(), Metadata: d.str()}
		t.Time = fromNanos(d.varint())
		t.RequestHash, t.Hash = d.hash(), d.hash()
		b.Transfers[i] = t
	}
	b.Entries = make([]ledger.Entry, d.count())
	for i := range b.Entries {
		b.Entries[i] = ledger.Entry{Account: ledger.AccountID(d.varint()), Seq: d.varint(), Amount: d.varint(), HeldDelta: d.varint(), Balance: d.varint(), HeldAfter: d.varint()}
	}
	b.Rejections = make([]ledger.Rejection, d.count())
	for i := range b.Rejections {
		b.Rejections[i] = ledger.Rejection{ID: d.str(), Fingerprint: d.hash(), Code: ledger.Code(d.str()), Message: d.str(), Time: fromNanos(d.varint())}
	}
	b.NewHolds = make([]ledger.HoldState, d.count())
	for i := range b.NewHolds {
		b.NewHolds[i] = ledger.HoldState{ID: d.str(), Status: ledger.HoldStatus(d.uvarint()), Seq: d.varint(), ExpiresAt: fromNanos(d.varint())}
	}
	b.Resolved = make([]ledger.HoldState, d.count())
	for i := range b.Resolved {
		b.Resolved[i] = ledger.HoldState{ID: d.str(), Status: ledger.HoldStatus(d.uvarint()), ResolvedBy: d.varint()}
	}
	return rec
}
