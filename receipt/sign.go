package receipt

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
)

const signatureSize = ed25519.SignatureSize

// Signed is a receipt with our signature over Canonical(Receipt, KeyID).
// Its JSON (MarshalJSON) is {"receipt":{…},"key_id":"…","signature":"…"}.
type Signed struct {
	Receipt   Receipt
	KeyID     string // KeyID of the public key that verifies Signature
	Signature []byte // Ed25519, 64 bytes
}

// Signer signs receipts with one Ed25519 private key. It is safe for
// concurrent use.
type Signer struct {
	key   ed25519.PrivateKey
	keyID string
}

// NewSigner returns a Signer for key, which must be a whole Ed25519
// private key (seed and public half, as ed25519.NewKeyFromSeed makes).
func NewSigner(key ed25519.PrivateKey) (*Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("receipt: signing key must be an Ed25519 private key")
	}
	// A key whose public half does not belong to its seed would sign
	// receipts that never verify.
	if !bytes.Equal(ed25519.NewKeyFromSeed(key.Seed()), key) {
		return nil, errors.New("receipt: signing key's public half does not match its seed")
	}
	key = bytes.Clone(key)
	return &Signer{key: key, keyID: KeyID(key.Public().(ed25519.PublicKey))}, nil
}

// KeyID is the id of the signer's key, as receipts carry it.
func (s *Signer) KeyID() string { return s.keyID }

// PublicKey is the key that verifies the signer's receipts: publish it, and
// keep it in every Verifier for as long as its receipts matter.
func (s *Signer) PublicKey() ed25519.PublicKey {
	return bytes.Clone(s.key.Public().(ed25519.PublicKey))
}

// Sign signs r. It first puts IssuedAt in UTC and copies Items, and refuses
// (ErrInvalidReceipt) a receipt that breaks the rules of Receipt. Those
// rules make every receipt it signs survive the trip through JSON (valid
// UTF-8, amounts within money.Parse's range, 4-digit years, a bounded
// size), so everything it signs verifies.
func (s *Signer) Sign(r Receipt) (Signed, error) {
	r = normalize(r)
	if err := r.Validate(); err != nil {
		return Signed{}, err
	}
	sig := ed25519.Sign(s.key, Canonical(r, s.keyID))
	return Signed{Receipt: r, KeyID: s.keyID, Signature: sig}, nil
}

// Verify checks that s was signed by the private key of pub: s.KeyID must
// be pub's, s.Receipt valid, and the signature must cover exactly
// Canonical(s.Receipt, s.KeyID). Errors wrap ErrUnknownKey,
// ErrInvalidReceipt or ErrBadSignature.
func Verify(pub ed25519.PublicKey, s Signed) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: not an Ed25519 public key", ErrUnknownKey)
	}
	if s.KeyID != KeyID(pub) {
		return fmt.Errorf("%w: receipt names key %q, this key is %s", ErrUnknownKey, truncate(s.KeyID, 40), KeyID(pub))
	}
	if err := s.Receipt.Validate(); err != nil {
		return err
	}
	if len(s.Signature) != signatureSize || !ed25519.Verify(pub, Canonical(s.Receipt, s.KeyID), s.Signature) {
		return ErrBadSignature
	}
	return nil
}

// Verifier checks signed receipts against a set of public keys, found by
// key id: the current key and every retired one whose receipts are still
// around. It is safe for concurrent use.
type Verifier struct {
	keys map[string]ed25519.PublicKey
}

// NewVerifier returns a Verifier that accepts receipts signed by any of
// keys. Giving a key twice is harmless; two different keys with the same
// id (a 1 in 2^64 accident) are refused rather than half-trusted.
func NewVerifier(keys ...ed25519.PublicKey) (*Verifier, error) {
	v := &Verifier{keys: make(map[string]ed25519.PublicKey, len(keys))}
	for _, k := range keys {
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("receipt: verifier keys must be Ed25519 public keys")
		}
		id := KeyID(k)
		if old, ok := v.keys[id]; ok && !bytes.Equal(old, k) {
			return nil, fmt.Errorf("receipt: two different keys have the id %s", id)
		}
		v.keys[id] = bytes.Clone(k)
	}
	return v, nil
}

// KeyIDs lists the ids of the verifier's keys, sorted.
func (v *Verifier) KeyIDs() []string {
	return slices.Sorted(maps.Keys(v.keys))
}

// PublicKey returns the key with the given id (nil when the verifier has
// none), to publish it.
func (v *Verifier) PublicKey(id string) ed25519.PublicKey {
	return bytes.Clone(v.keys[id])
}

// Verify checks a signed receipt given as the JSON the server handed out
// (or any re-encoding of it): it parses data with ParseSigned, finds the
// key by the receipt's key_id, recomputes the canonical bytes and checks
// the signature. It returns the receipt only if all of that holds. Errors
// wrap ErrMalformed, ErrInvalidReceipt, ErrUnknownKey or ErrBadSignature.
func (v *Verifier) Verify(data []byte) (Signed, error) {
	s, err := ParseSigned(data)
	if err != nil {
		return Signed{}, err
	}
	pub, ok := v.keys[s.KeyID]
	if !ok {
		return Signed{}, fmt.Errorf("%w: %s", ErrUnknownKey, s.KeyID)
	}
	if err := Verify(pub, s); err != nil {
		return Signed{}, err
	}
	return s, nil
}
