// Package inbound takes replies to OnboardIQ's emails: the signed reply
// addresses (reply+<token>@ONBOARDIQ_INBOUND_DOMAIN), the text of a reply
// without its quoted part and signature, and the built-in SMTP listener
// that receives them. What a reply does to its task is the store's
// (postgres.DB.ApplyReply); this package finds the token, the sender and
// the text.
package inbound

import (
	"encoding/base32"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/secret"
)

// Reply is what a reply address names: a key, in its tenant, that the
// store maps to the task a reply is about and the user it was sent to
// (and until when a reply is taken). The key keeps the address short: the
// tenant, the key and the signature make 50 characters, and the local part
// "reply+" and the token 56 (RFC 5321 allows 64).
type Reply struct {
	Tenant uuid.UUID
	Key    [KeySize]byte
}

// KeySize is the length of a reply key, in bytes.
const KeySize = 5

// TokenTTL is how long a reply address works after the last email
// carrying it was made.
const TokenTTL = 60 * 24 * time.Hour

const (
	macPurpose = "onboardiq reply address v2"
	macSize    = 10
	bodySize   = 16 + KeySize
)

// enc is lower-case base32 without padding: relays may lower-case an
// address's local part, and base32 survives it (Verify reads either case).
var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ErrBadToken is a token that is not one, or whose signature fails
// (altered, or signed with a key that is not in the keyring).
var ErrBadToken = errors.New("the reply address is not one OnboardIQ made")

// Encode makes r's token, signed with the keyring's first key.
func Encode(ring *secret.Keyring, r Reply) string {
	body := append(append([]byte{}, r.Tenant[:]...), r.Key[:]...)
	return enc.EncodeToString(append(body, ring.MAC(macPurpose, body)[:macSize]...))
}

// Verify reads a token, in either case, and checks its signature against
// every key of the keyring. Whether its key still names a task, and until
// when, is the store's to say.
func Verify(ring *secret.Keyring, token string) (Reply, error) {
	raw, err := enc.DecodeString(strings.ToLower(token))
	if err != nil || len(raw) != bodySize+macSize {
		return Reply{}, ErrBadToken
	}
	body, sum := raw[:bodySize], raw[bodySize:]
	if !ring.VerifyMAC(macPurpose, body, sum) {
		return Reply{}, ErrBadToken
	}
	var r Reply
	copy(r.Tenant[:], body[:16])
	copy(r.Key[:], body[16:])
	return r, nil
}

// Address is the reply address of r at domain.
func Address(ring *secret.Keyring, r Reply, domain string) string {
	return "reply+" + Encode(ring, r) + "@" + domain
}

// TokenOf returns the token of a reply address at domain (case-insensitive),
// and whether addr is one.
func TokenOf(addr, domain string) (string, bool) {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, host, ok := strings.Cut(addr, "@")
	if !ok || host != strings.ToLower(domain) || domain == "" {
		return "", false
	}
	tok, ok := strings.CutPrefix(local, "reply+")
	if !ok || tok == "" {
		return "", false
	}
	return tok, true
}
