// Package vault keeps bank card numbers encrypted at rest (envelope
// encryption under one master key) and checks card details: Luhn, brand,
// expiry. The full number leaves the package only through Open.
package vault

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Errors from Open. Neither carries anything from the sealed card.
var (
	// ErrUnknownKey reports a card sealed under a master key this Vault
	// does not hold.
	ErrUnknownKey = errors.New("card sealed under an unknown master key")
	// ErrCorrupt reports a sealed card that fails authentication: a
	// changed byte in any field, or fields from different cards mixed.
	ErrCorrupt = errors.New("sealed card is corrupt or was tampered with")
)

// Additional data for the two AES-GCM layers, so a wrapped data key can
// never be opened as a card number or the other way round.
var (
	adCard = []byte("card-v1")
	adDEK  = []byte("dek-v1")
)

// Sealed is a card number as stored: Ciphertext and WrappedKey can only be
// read with the master key named by KeyID; Fingerprint finds the same card
// bound twice without decrypting; Brand and Last4 are for display. Nothing
// in it reveals more of the number than Last4.
type Sealed struct {
	Ciphertext  []byte // nonce || AES-256-GCM(data key, number, "card-v1")
	WrappedKey  []byte // nonce || AES-256-GCM(master key, data key, "dek-v1")
	KeyID       string // first 8 hex chars of SHA-256(master key)
	Fingerprint []byte // HMAC-SHA-256(fingerprint key, number)
	Brand       string
	Last4       string
}

// Vault seals and opens card numbers under one 32-byte master key.
type Vault struct {
	kek   cipher.AEAD // wraps the per-card data keys
	fpKey []byte
	keyID string
}

// New returns a Vault for a 32-byte master key (see LoadOrCreateKeyFile
// and ParseMasterKey).
func New(masterKey []byte) (*Vault, error) {
	if len(masterKey) != 32 {
		return nil, errors.New("vault: master key must be 32 bytes")
	}
	kek, err := newGCM(masterKey)
	if err != nil {
		return nil, err
	}
	// A separate key for fingerprints, so the master key is never used for
	// two purposes; HKDF makes it independent of the wrapping key.
	fpKey, err := hkdf.Key(sha256.New, masterKey, nil, "ewallet vault card fingerprint v1", 32)
	if err != nil {
		return nil, err
	}
	id := sha256.Sum256(masterKey)
	return &Vault{kek: kek, fpKey: fpKey, keyID: hex.EncodeToString(id[:4])}, nil
}

// KeyID names the master key, as recorded in every Sealed it makes.
func (v *Vault) KeyID() string { return v.keyID }

// Fingerprint returns the keyed hash of a normalised card number, to look
// up cards already bound without decrypting any.
func (v *Vault) Fingerprint(number string) []byte {
	m := hmac.New(sha256.New, v.fpKey)
	m.Write([]byte(number))
	return m.Sum(nil)
}

// Seal normalises number (see NormalizeNumber) and encrypts it under a
// fresh data key, itself wrapped under the master key. Two seals of one
// number share only Fingerprint, Brand, Last4 and KeyID.
func (v *Vault) Seal(number string) (Sealed, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return Sealed{}, err
	}
	dek := make([]byte, 32)
	rand.Read(dek)
	defer clear(dek) // best effort: keep the key out of later heap dumps
	aead, err := newGCM(dek)
	if err != nil {
		return Sealed{}, err
	}
	return Sealed{
		Ciphertext:  seal(aead, []byte(n), adCard),
		WrappedKey:  seal(v.kek, dek, adDEK),
		KeyID:       v.keyID,
		Fingerprint: v.Fingerprint(n),
		Brand:       Brand(n),
		Last4:       n[len(n)-4:],
	}, nil
}

// Open decrypts a Sealed back to the card number. ErrUnknownKey if it was
// sealed under another master key; ErrCorrupt if any field was changed.
func (v *Vault) Open(s Sealed) (string, error) {
	if s.KeyID != v.keyID {
		return "", ErrUnknownKey
	}
	dek, err := open(v.kek, s.WrappedKey, adDEK)
	if err != nil || len(dek) != 32 {
		return "", ErrCorrupt
	}
	defer clear(dek)
	aead, err := newGCM(dek)
	if err != nil {
		return "", ErrCorrupt
	}
	b, err := open(aead, s.Ciphertext, adCard)
	if err != nil {
		return "", ErrCorrupt
	}
	n := string(b)
	// The clear fields are not covered by GCM; check them against the
	// number so that a changed Brand, Last4 or Fingerprint is caught too.
	if !Luhn(n) || len(n) < 12 || len(n) > 19 || s.Brand != Brand(n) || s.Last4 != n[len(n)-4:] ||
		!hmac.Equal(s.Fingerprint, v.Fingerprint(n)) {
		return "", ErrCorrupt
	}
	return n, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("vault: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal returns a random nonce followed by the sealed plaintext. Random
// 96-bit nonces are safe for about 2^32 messages per key: each data key
// seals one number, and the master key wraps one data key per card.
func seal(aead cipher.AEAD, plaintext, ad []byte) []byte {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plaintext, ad)
}

func open(aead cipher.AEAD, data, ad []byte) ([]byte, error) {
	ns := aead.NonceSize()
	if len(data) < ns+aead.Overhead() {
		return nil, ErrCorrupt
	}
	return aead.Open(nil, data[:ns], data[ns:], ad)
}
