// Package secret encrypts recoverable secrets at rest (webhook signing
// secrets) with the keys of ONBOARDIQ_SECRET_KEY.
//
// Envelope encryption: each value gets its own random 256-bit data key; the
// value is sealed with the data key (AES-256-GCM) and the data key with the
// key-encryption key (AES-256-GCM too). The sealed bytes name the
// key-encryption key by an id derived from it, so a keyring holding several
// keys opens each value with the key that sealed it: the first key seals,
// every key opens, and a key is rotated in by putting the new one first.
//
// Every value is bound to where it is stored by associated data (for a
// webhook secret, its tenant and endpoint ids): a sealed value copied into
// another row does not open there.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// KeySize is the size of a key-encryption key: 32 bytes, for AES-256.
const KeySize = 32

const (
	version   = 1
	idSize    = 8
	nonceSize = 12
	tagSize   = 16
	// header is the version and the key id; the wrapped data key and the
	// sealed value follow, each with its nonce.
	headerSize  = 1 + idSize
	wrappedSize = nonceSize + KeySize + tagSize
	minSize     = headerSize + wrappedSize + nonceSize + tagSize
)

var (
	// ErrUnknownKey means the value was sealed with a key the keyring lacks
	// (a key removed from ONBOARDIQ_SECRET_KEY too early).
	ErrUnknownKey = errors.New("secret: sealed with a key that is not in ONBOARDIQ_SECRET_KEY")
	// ErrOpen means the value does not open: it was altered, or sealed for
	// another place (associated data).
	ErrOpen = errors.New("secret: the sealed value does not open: altered, or sealed for another record")
)

// Keyring holds the key-encryption keys: the first seals, all open.
type Keyring struct {
	keys []kek
}

type kek struct {
	id   [idSize]byte
	aead cipher.AEAD
	mac  [32]byte // the key's MAC key (mac.go), derived from it
}

// NewKeyring makes a keyring of keys, each KeySize bytes, the sealing key
// first.
func NewKeyring(keys [][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("secret: no key: set ONBOARDIQ_SECRET_KEY (onboardiq secret-key prints one)")
	}
	k := &Keyring{}
	for i, key := range keys {
		if len(key) != KeySize {
			return nil, fmt.Errorf("secret: key %d is %d bytes, want %d", i+1, len(key), KeySize)
		}
		aead, err := newGCM(key)
		if err != nil {
			return nil, err
		}
		e := kek{id: keyID(key), aead: aead, mac: macKey(key)}
		for _, other := range k.keys {
			if other.id == e.id {
				return nil, fmt.Errorf("secret: key %d is listed twice", i+1)
			}
		}
		k.keys = append(k.keys, e)
	}
	return k, nil
}

// GenerateKey returns a new random key in base64, the form
// ONBOARDIQ_SECRET_KEY takes.
func GenerateKey() string {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

// keyID names a key without revealing it: the first bytes of a SHA-256 of
// the key, in a hash of its own (domain-separated from any other use).
func keyID(key []byte) [idSize]byte {
	h := sha256.Sum256(append([]byte("onboardiq secret key id\x00"), key...))
	var id [idSize]byte
	copy(id[:], h[:idSize])
	return id
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext with a new data key wrapped by the first key,
// bound to ad (the record it belongs to).
func (k *Keyring) Seal(plaintext, ad []byte) ([]byte, error) {
	kk := k.keys[0]
	dataKey := make([]byte, KeySize)
	_, _ = rand.Read(dataKey)
	out := make([]byte, headerSize, minSize+len(plaintext))
	out[0] = version
	copy(out[1:], kk.id[:])

	// The wrapped data key: nonce, then the key sealed under the KEK.
	nonce := make([]byte, nonceSize)
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	out = kk.aead.Seal(out, nonce, dataKey, concat(out[:headerSize], ad))

	// The value: nonce, then the plaintext sealed under the data key, with
	// everything before it as associated data.
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	return data.Seal(out, nonce, plaintext, concat(out, ad)), nil
}

// Open decrypts what Seal made with the same ad.
func (k *Keyring) Open(sealed, ad []byte) ([]byte, error) {
	if len(sealed) < minSize || sealed[0] != version {
		return nil, ErrOpen
	}
	kk, ok := k.find(sealed)
	if !ok {
		return nil, ErrUnknownKey
	}
	wrapped := sealed[headerSize : headerSize+wrappedSize]
	dataKey, err := kk.aead.Open(nil, wrapped[:nonceSize], wrapped[nonceSize:], concat(sealed[:headerSize], ad))
	if err != nil {
		return nil, ErrOpen
	}
	data, err := newGCM(dataKey)
	if err != nil {
		return nil, err
	}
	at := headerSize + wrappedSize
	plain, err := data.Open(nil, sealed[at:at+nonceSize], sealed[at+nonceSize:], concat(sealed[:at+nonceSize], ad))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Current reports whether sealed was sealed with the first key, so that
// rotation can skip it.
func (k *Keyring) Current(sealed []byte) bool {
	return len(sealed) >= headerSize && sealed[0] == version && bytes.Equal(sealed[1:headerSize], k.keys[0].id[:])
}

// Has reports whether the keyring holds the key sealed was sealed with.
func (k *Keyring) Has(sealed []byte) bool {
	if len(sealed) < headerSize || sealed[0] != version {
		return false
	}
	_, ok := k.find(sealed)
	return ok
}

func (k *Keyring) find(sealed []byte) (kek, bool) {
	for _, kk := range k.keys {
		if bytes.Equal(sealed[1:headerSize], kk.id[:]) {
			return kk, true
		}
	}
	return kek{}, false
}

func concat(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	return append(append(out, a...), b...)
}
