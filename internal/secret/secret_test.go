package secret_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/onboardiq/onboardiq/internal/secret"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, secret.KeySize) }

func ring(t *testing.T, keys ...[]byte) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	oldKey, newKey, otherKey := key(1), key(2), key(3)
	plain := []byte("whsec_c2VjcmV0IHNpZ25pbmcga2V5IG9mIHRoZSBlbmRwb2ludA==")
	row := []byte("webhook_endpoints\x00tenant-a\x00endpoint-1")
	sealedOld, err := ring(t, oldKey).Seal(plain, row)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealedOld)
		b[i] ^= 0x01
		return b
	}
	cases := []struct {
		name    string
		opener  *secret.Keyring
		sealed  []byte
		ad      []byte
		wantErr error
	}{
		{"round trip", ring(t, oldKey), sealedOld, row, nil},
		{"rotation: the old key listed second still opens", ring(t, newKey, oldKey), sealedOld, row, nil},
		{"wrong key", ring(t, otherKey), sealedOld, row, secret.ErrUnknownKey},
		{"old key removed too early", ring(t, newKey), sealedOld, row, secret.ErrUnknownKey},
		{"moved to another row", ring(t, oldKey), sealedOld, []byte("webhook_endpoints\x00tenant-a\x00endpoint-2"), secret.ErrOpen},
		{"moved to another tenant", ring(t, oldKey), sealedOld, []byte("webhook_endpoints\x00tenant-b\x00endpoint-1"), secret.ErrOpen},
		{"tampered: version", ring(t, oldKey), flip(0), row, secret.ErrOpen},
		{"tampered: key id", ring(t, oldKey), flip(1), row, secret.ErrUnknownKey},
		{"tampered: wrapped key nonce", ring(t, oldKey), flip(9), row, secret.ErrOpen},
		{"tampered: wrapped key", ring(t, oldKey), flip(30), row, secret.ErrOpen},
		{"tampered: value nonce", ring(t, oldKey), flip(9 + 60), row, secret.ErrOpen},
		{"tampered: value", ring(t, oldKey), flip(9 + 60 + 12), row, secret.ErrOpen},
		{"tampered: tag", ring(t, oldKey), flip(len(sealedOld) - 1), row, secret.ErrOpen},
		{"truncated", ring(t, oldKey), sealedOld[:len(sealedOld)-1], row, secret.ErrOpen},
		{"empty", ring(t, oldKey), nil, row, secret.ErrOpen},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.opener.Open(c.sealed, c.ad)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("Open: %v, want %v", err, c.wantErr)
			}
			if c.wantErr == nil && !bytes.Equal(got, plain) {
				t.Errorf("Open = %q, want %q", got, plain)
			}
			if c.wantErr != nil && got != nil {
				t.Errorf("a failed Open returned %q", got)
			}
		})
	}
}

// TestRotation: a value sealed with the old key is not current once a new
// key leads; resealed, it is, and opens without the old key.
func TestRotation(t *testing.T) {
	t.Parallel()
	oldKey, newKey := key(1), key(2)
	ad := []byte("row")
	old := ring(t, oldKey)
	sealed, err := old.Seal([]byte("s3cret"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if !old.Current(sealed) {
		t.Error("a value sealed with the first key is not current")
	}
	both := ring(t, newKey, oldKey)
	if !both.Has(sealed) || ring(t, newKey).Has(sealed) {
		t.Error("Has: the keyring with the old key should have it, the one without should not")
	}
	if both.Current(sealed) {
		t.Error("a value sealed with the old key is current after rotation")
	}
	plain, err := both.Open(sealed, ad)
	if err != nil {
		t.Fatal(err)
	}
	resealed, err := both.Seal(plain, ad)
	if err != nil {
		t.Fatal(err)
	}
	if !both.Current(resealed) {
		t.Error("the resealed value is not current")
	}
	if got, err := ring(t, newKey).Open(resealed, ad); err != nil || string(got) != "s3cret" {
		t.Errorf("resealed value with the new key alone: %q, %v", got, err)
	}
}

// TestSealIsRandomised: sealing the same value twice gives different bytes
// (a fresh data key and nonces), and neither holds the plaintext.
func TestSealIsRandomised(t *testing.T) {
	t.Parallel()
	k := ring(t, key(7))
	plain := []byte("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	a, _ := k.Seal(plain, nil)
	b, _ := k.Seal(plain, nil)
	if bytes.Equal(a, b) {
		t.Error("two seals of one value are equal")
	}
	for _, s := range [][]byte{a, b} {
		if bytes.Contains(s, plain) || bytes.Contains(s, plain[6:20]) {
			t.Error("the sealed value contains the plaintext")
		}
	}
}

func TestNewKeyring(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string][][]byte{
		"none":      nil,
		"too short": {key(1)[:16]},
		"twice":     {key(1), key(2), key(1)},
	} {
		if _, err := secret.NewKeyring(keys); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	k, err := base64.StdEncoding.DecodeString(secret.GenerateKey())
	if err != nil || len(k) != secret.KeySize {
		t.Errorf("GenerateKey: %d bytes, %v", len(k), err)
	}
	if a, b := secret.GenerateKey(), secret.GenerateKey(); a == b {
		t.Error("GenerateKey repeats")
	}
}
