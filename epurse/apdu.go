package epurse

import (
	"encoding/binary"
	"fmt"
)

// Process is the card as a reader sees it: one command APDU in, the response
// APDU out, either the response data with SW 9000 or a bare status word
// (StatusWord of the refusal). A command that does not decode closes any
// open transaction, as every other command does.
func (c *Card) Process(cmd []byte) []byte {
	resp, err := c.process(cmd)
	if err != nil {
		return binary.BigEndian.AppendUint16(nil, StatusWord(err))
	}
	return resp
}

func (c *Card) process(cmd []byte) ([]byte, error) {
	if len(cmd) < 4 || cmd[0] != claEPurse {
		c.pending = nil
		return nil, fail(ErrMalformed, "not an e-purse command")
	}
	switch ins, p1 := cmd[1], cmd[2]; {
	case ins == insInitialize && p1 == p1Load:
		return run(c, cmd, DecodeInitLoadCommand, c.InitializeForLoad)
	case ins == insCredit:
		return run(c, cmd, DecodeCreditLoadCommand, c.CreditForLoad)
	case ins == insInitialize && p1 == p1Purchase:
		return run(c, cmd, DecodeInitPurchaseCommand, c.InitializeForPurchase)
	case ins == insDebit:
		return run(c, cmd, DecodeDebitPurchaseCommand, c.DebitForPurchase)
	case ins == insProof:
		return run(c, cmd, DecodeProofCommand, c.GetTransactionProof)
	}
	c.pending = nil
	return nil, fail(ErrMalformed, fmt.Sprintf("instruction %02x %02x", cmd[1], cmd[2]))
}

func run[C any, R interface{ Encode() ([]byte, error) }](c *Card, b []byte, dec func([]byte) (C, error), do func(C) (R, error)) ([]byte, error) {
	m, err := dec(b)
	if err != nil {
		c.pending = nil
		return nil, err
	}
	r, err := do(m)
	if err != nil {
		return nil, err
	}
	return r.Encode()
}

// Status is the status word at the end of a response APDU, 0 when there is
// none; a terminal reads it to tell a refusal (see StatusWord) from data.
func Status(resp []byte) uint16 {
	if len(resp) < 2 {
		return 0
	}
	return binary.BigEndian.Uint16(resp[len(resp)-2:])
}
