package epurse

import (
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Key is an AES-128 key.
type Key [16]byte

// MAC is a MAC1, MAC2 or TAC on the wire: the first 8 bytes of an AES-CMAC
// (64 bits, the shortest tag NIST SP 800-38B recommends without a limit on
// verification attempts; PBOC's DES MACs are 4 bytes).
type MAC [8]byte

// CardNumber is the card's 8-byte application serial number. Issuers write
// it as 16 BCD digits, so its hex form is the printed number.
type CardNumber [8]byte

// String is the 16 hex digits of the number.
func (n CardNumber) String() string { return hex.EncodeToString(n[:]) }

// ParseCardNumber reads 16 hex digits.
func ParseCardNumber(s string) (CardNumber, error) {
	var n CardNumber
	if len(s) != 2*len(n) {
		return n, fail(ErrMalformed, fmt.Sprintf("card number %q: want 16 hex digits", s))
	}
	if _, err := hex.Decode(n[:], []byte(s)); err != nil {
		return n, fail(ErrMalformed, fmt.Sprintf("card number %q: want 16 hex digits", s))
	}
	return n, nil
}

// TerminalID is a terminal's 6-byte number (PBOC's terminal machine number).
type TerminalID [6]byte

// String is the 12 hex digits of the id.
func (t TerminalID) String() string { return hex.EncodeToString(t[:]) }

// ParseTerminalID reads 12 hex digits.
func ParseTerminalID(s string) (TerminalID, error) {
	var t TerminalID
	if len(s) != 2*len(t) {
		return t, fail(ErrMalformed, fmt.Sprintf("terminal id %q: want 12 hex digits", s))
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return t, fail(ErrMalformed, fmt.Sprintf("terminal id %q: want 12 hex digits", s))
	}
	return t, nil
}

// MasterKeys are the issuer's three AES-128 master keys. The load and TAC
// master keys never leave the issuer; the purchase master key is also put in
// every terminal's SAM so it can derive a card's purchase key offline.
type MasterKeys struct {
	Load     Key // MLK: derives each card's DLK
	Purchase Key // MPK: derives each card's DPK
	TAC      Key // MTK: derives each card's DTK
}

// CardKeys are one card's keys, written into the card at personalisation.
type CardKeys struct {
	DLK Key // load key: MAC1/MAC2 of loads
	DPK Key // purchase key: MAC1/MAC2 of purchases
	DTK Key // TAC key: TACs of loads and purchases, checked only by the issuer
}

// KeyVersion and AlgorithmID are what a card answers in its INITIALIZE
// responses: the version of the master keys its keys were derived from and
// the algorithm (0x10: AES-128 CMAC with the derivations below). They leave
// room for key rotation; this version knows one of each.
const (
	KeyVersion  byte = 0x01
	AlgorithmID byte = 0x10
	// KeyIndex is the only key index a terminal may ask for.
	KeyIndex byte = 0x01
)

// Labels of the key derivations, all distinct so no derived key can stand in
// for another.
const (
	labelDLK         = "EPURSE DLK"
	labelDPK         = "EPURSE DPK"
	labelDTK         = "EPURSE DTK"
	labelLoadSession = "EPURSE LOAD SESSION"
	labelBuySession  = "EPURSE PURCHASE SESSION"
)

// kdf is the NIST SP 800-108r1 KDF in counter mode with AES-CMAC as the PRF,
// producing L = 128 bits, which is one PRF block, so i = 1 only:
//
//	K_out = AES-CMAC(K_in, [1]_1 || Label || 0x00 || Context || [128]_2)
//
// The counter is 1 byte, L is 2 bytes big-endian.
func kdf(k Key, label string, context []byte) Key {
	in := make([]byte, 0, 1+len(label)+1+len(context)+2)
	in = append(in, 0x01)
	in = append(in, label...)
	in = append(in, 0x00)
	in = append(in, context...)
	in = append(in, 0x00, 0x80)
	return Key(CMAC(k, in))
}

// DeriveCardKeys derives a card's keys from the master keys and its number:
//
//	DLK = KDF(MLK, "EPURSE DLK", card number)
//	DPK = KDF(MPK, "EPURSE DPK", card number)
//	DTK = KDF(MTK, "EPURSE DTK", card number)
func DeriveCardKeys(m MasterKeys, n CardNumber) CardKeys {
	return CardKeys{
		DLK: deriveDLK(m.Load, n),
		DPK: deriveDPK(m.Purchase, n),
		DTK: deriveDTK(m.TAC, n),
	}
}

func deriveDLK(mlk Key, n CardNumber) Key { return kdf(mlk, labelDLK, n[:]) }
func deriveDPK(mpk Key, n CardNumber) Key { return kdf(mpk, labelDPK, n[:]) }
func deriveDTK(mtk Key, n CardNumber) Key { return kdf(mtk, labelDTK, n[:]) }

// LoadSessionKey is the session key of one load, fresh per card random and
// online counter:
//
//	SK = KDF(DLK, "EPURSE LOAD SESSION", random(4) || online counter(2))
func LoadSessionKey(dlk Key, random [4]byte, onlineCounter uint16) Key {
	var c [6]byte
	copy(c[:], random[:])
	binary.BigEndian.PutUint16(c[4:], onlineCounter)
	return kdf(dlk, labelLoadSession, c[:])
}

// PurchaseSessionKey is the session key of one purchase, fresh per card
// random, offline counter and terminal sequence number:
//
//	SK = KDF(DPK, "EPURSE PURCHASE SESSION",
//	         random(4) || offline counter(2) || terminal sequence(4))
func PurchaseSessionKey(dpk Key, random [4]byte, offlineCounter uint16, terminalSeq uint32) Key {
	var c [10]byte
	copy(c[:], random[:])
	binary.BigEndian.PutUint16(c[4:], offlineCounter)
	binary.BigEndian.PutUint32(c[6:], terminalSeq)
	return kdf(dpk, labelBuySession, c[:])
}

// Transaction types, as PBOC numbers them; they are inside every MAC input.
const (
	TypeLoad     byte = 0x02
	TypePurchase byte = 0x06
)

func mac(k Key, parts ...[]byte) MAC {
	var in []byte
	for _, p := range parts {
		in = append(in, p...)
	}
	full := CMAC(k, in)
	var m MAC
	copy(m[:], full[:8])
	return m
}

func macEqual(a, b MAC) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// The MAC and TAC inputs. Amounts and balances are 4 bytes, counters 2,
// terminal sequence numbers and times 4, all big-endian.
//
//	load MAC1     = CMAC(SK_load, balance before || amount || 02 || terminal id)
//	load MAC2     = CMAC(SK_load, amount || 02 || terminal id || time)
//	load TAC      = CMAC(DTK, card number || online counter || amount || 02 ||
//	                     terminal id || time || balance after)
//	purchase MAC1 = CMAC(SK_buy, amount || 06 || terminal id || time)
//	purchase MAC2 = CMAC(SK_buy, amount)
//	purchase TAC  = CMAC(DTK, card number || offline counter || amount || 06 ||
//	                     terminal id || terminal sequence || time)
//
// The purchase TAC covers every field of the Record but the tag, so one
// changed byte of an uploaded record fails it. Callers have already checked
// that amounts fit in 32 bits.

func loadMAC1(sk Key, balance, amount int64, term TerminalID) MAC {
	return mac(sk, u32(uint32(balance)), u32(uint32(amount)), []byte{TypeLoad}, term[:])
}

func loadMAC2(sk Key, amount int64, term TerminalID, t uint32) MAC {
	return mac(sk, u32(uint32(amount)), []byte{TypeLoad}, term[:], u32(t))
}

func loadTAC(dtk Key, n CardNumber, counter uint16, amount int64, term TerminalID, t uint32, after int64) MAC {
	return mac(dtk, n[:], u16(counter), u32(uint32(amount)), []byte{TypeLoad}, term[:], u32(t), u32(uint32(after)))
}

func purchaseMAC1(sk Key, amount int64, term TerminalID, t uint32) MAC {
	return mac(sk, u32(uint32(amount)), []byte{TypePurchase}, term[:], u32(t))
}

func purchaseMAC2(sk Key, amount int64) MAC {
	return mac(sk, u32(uint32(amount)))
}

func purchaseTAC(dtk Key, n CardNumber, counter uint16, amount int64, term TerminalID, seq, t uint32) MAC {
	return mac(dtk, n[:], u16(counter), u32(uint32(amount)), []byte{TypePurchase}, term[:], u32(seq), u32(t))
}
