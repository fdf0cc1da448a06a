package epurse

import (
	"crypto/aes"
	"crypto/subtle"
)

// CMAC returns the 16-byte AES-128-CMAC of msg under key, as specified by
// RFC 4493 (NIST SP 800-38B with AES-128). It is the only MAC primitive of
// this package; every MAC and TAC on the wire is its first 8 bytes.
//
// It is written here (about forty lines) rather than imported because no
// vetted CMAC module is in the approved dependency list; the RFC 4493
// test vectors in cmac_test.go pin it.
func CMAC(key Key, msg []byte) [16]byte {
	// aes.NewCipher fails only for a key length other than 16, 24 or 32.
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("epurse: " + err.Error())
	}
	// Subkeys K1 and K2 (RFC 4493 section 2.3).
	var l, k1, k2 [16]byte
	block.Encrypt(l[:], l[:])
	k1 = dbl(l)
	k2 = dbl(k1)

	// n blocks, the last one complete or not (section 2.4).
	n := (len(msg) + 15) / 16
	complete := n > 0 && len(msg)%16 == 0
	if n == 0 {
		n = 1
	}
	var last [16]byte
	tail := msg[(n-1)*16:]
	if complete {
		copy(last[:], tail)
		subtle.XORBytes(last[:], last[:], k1[:])
	} else {
		copy(last[:], tail)
		last[len(tail)] = 0x80
		subtle.XORBytes(last[:], last[:], k2[:])
	}
	var x [16]byte
	for i := 0; i < n-1; i++ {
		subtle.XORBytes(x[:], x[:], msg[i*16:(i+1)*16])
		block.Encrypt(x[:], x[:])
	}
	subtle.XORBytes(x[:], x[:], last[:])
	block.Encrypt(x[:], x[:])
	return x
}

// dbl multiplies a block by x in GF(2^128) with the CMAC polynomial:
// shift left one bit and, if the top bit fell off, xor 0x87 into the last byte.
func dbl(in [16]byte) [16]byte {
	var out [16]byte
	for i := 0; i < 15; i++ {
		out[i] = in[i]<<1 | in[i+1]>>7
	}
	out[15] = in[15] << 1
	// Constant time: the mask is 0xff when the top bit was set.
	out[15] ^= 0x87 & byte(int8(in[0])>>7)
	return out
}
