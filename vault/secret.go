package vault

import (
	"crypto/rand"
	"encoding/binary"
)

var adSecret = []byte("secret-v1")

// SealSecret encrypts a secret the server must be able to read back (a
// merchant's webhook signing secret) under a fresh data key wrapped by the
// master key, as cards are. The result is one opaque blob:
// keyID (8 bytes) || len(wrapped key) (2 bytes) || wrapped key || ciphertext.
func (v *Vault) SealSecret(secret []byte) ([]byte, error) {
	dek := make([]byte, 32)
	rand.Read(dek)
	defer clear(dek)
	aead, err := newGCM(dek)
	if err != nil {
		return nil, err
	}
	wrapped := seal(v.kek, dek, adDEK)
	out := make([]byte, 0, 10+len(wrapped)+len(secret)+40)
	out = append(out, v.keyID...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(wrapped)))
	out = append(out, wrapped...)
	return append(out, seal(aead, secret, adSecret)...), nil
}

// OpenSecret reverses SealSecret. ErrUnknownKey if another master key
// sealed it; ErrCorrupt if any byte changed.
func (v *Vault) OpenSecret(blob []byte) ([]byte, error) {
	if len(blob) < 10 {
		return nil, ErrCorrupt
	}
	if string(blob[:8]) != v.keyID {
		return nil, ErrUnknownKey
	}
	n := int(binary.BigEndian.Uint16(blob[8:10]))
	if len(blob) < 10+n {
		return nil, ErrCorrupt
	}
	dek, err := open(v.kek, blob[10:10+n], adDEK)
	if err != nil || len(dek) != 32 {
		return nil, ErrCorrupt
	}
	defer clear(dek)
	aead, err := newGCM(dek)
	if err != nil {
		return nil, ErrCorrupt
	}
	out, err := open(aead, blob[10+n:], adSecret)
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}
