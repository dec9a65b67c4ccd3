package secret

import (
	"crypto/hmac"
	"crypto/sha256"
)

// macKey derives a key's MAC key: a hash of its own, domain-separated from
// the key id and from encryption, so a MAC never reveals the key.
func macKey(key []byte) [32]byte {
	return sha256.Sum256(append([]byte("onboardiq secret mac key\x00"), key...))
}

// MAC signs msg for purpose (which keeps the MACs of one use from being
// valid for another) with the first key: HMAC-SHA-256.
func (k *Keyring) MAC(purpose string, msg []byte) []byte {
	return mac(k.keys[0].mac[:], purpose, msg)
}

// VerifyMAC reports whether sum is the MAC of msg for purpose under any key
// of the keyring, so values signed before a rotation still verify while
// the old key is listed. sum may be the MAC's first bytes (at least 10),
// for values that must stay short.
func (k *Keyring) VerifyMAC(purpose string, msg, sum []byte) bool {
	if len(sum) < 10 || len(sum) > sha256.Size {
		return false
	}
	ok := false
	for _, kk := range k.keys {
		// Every key is tried, so the time taken does not say which matched.
		if hmac.Equal(mac(kk.mac[:], purpose, msg)[:len(sum)], sum) {
			ok = true
		}
	}
	return ok
}

func mac(key []byte, purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(nil)
}
