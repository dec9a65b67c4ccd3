// Package inbound takes replies to OnboardIQ's emails: the signed reply
// addresses (reply+<token>@ONBOARDIQ_INBOUND_DOMAIN), the text of a reply
// without its quoted part and signature, and the built-in SMTP listener
// that receives them. What a reply does to its task is the store's
// (postgres.DB.ApplyReply); this package finds the token, the sender and
// the text.
package inbound

import (
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/secret"
)

// Reply is what a reply address names: the task a reply is about, the user
// it was sent to, in their tenant, and until when a reply is taken.
type Reply struct {
	Tenant, Task, User uuid.UUID
	Expires            time.Time
}

// TokenTTL is how long a reply address works after the email carrying it
// was made.
const TokenTTL = 60 * 24 * time.Hour

const (
	macPurpose = "onboardiq reply address v1"
	macSize    = 10
	bodySize   = 3*16 + 8
)

// enc is lower-case base32 without padding: relays may lower-case an
// address's local part, and base32 survives it (Verify reads either case).
var enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

var (
	// ErrBadToken is a token that is not one, or whose signature fails
	// (altered, or signed with a key that is not in the keyring).
	ErrBadToken = errors.New("the reply address is not one OnboardIQ made")
	// ErrExpired is a genuine token past its expiry.
	ErrExpired = errors.New("the reply address has expired")
)

// Encode makes r's token, signed with the keyring's first key.
func Encode(ring *secret.Keyring, r Reply) string {
	body := marshal(r)
	return enc.EncodeToString(append(body, ring.MAC(macPurpose, body)[:macSize]...))
}

// Verify reads a token, in either case, and checks its signature against
// every key of the keyring and its expiry against now.
func Verify(ring *secret.Keyring, token string, now time.Time) (Reply, error) {
	raw, err := enc.DecodeString(strings.ToLower(token))
	if err != nil || len(raw) != bodySize+macSize {
		return Reply{}, ErrBadToken
	}
	body, sum := raw[:bodySize], raw[bodySize:]
	if !ring.VerifyMAC(macPurpose, body, sum) {
		return Reply{}, ErrBadToken
	}
	r := unmarshal(body)
	if !now.Before(r.Expires) {
		return r, ErrExpired
	}
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

func marshal(r Reply) []byte {
	b := make([]byte, 0, bodySize)
	b = append(b, r.Tenant[:]...)
	b = append(b, r.Task[:]...)
	b = append(b, r.User[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(r.Expires.Unix()))
}

func unmarshal(b []byte) Reply {
	var r Reply
	copy(r.Tenant[:], b[0:16])
	copy(r.Task[:], b[16:32])
	copy(r.User[:], b[32:48])
	r.Expires = time.Unix(int64(binary.BigEndian.Uint64(b[48:56])), 0).UTC()
	return r
}
