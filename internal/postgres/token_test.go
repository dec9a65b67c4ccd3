package postgres

import (
	"crypto/sha256"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tenant := uuid.New()
	tok, err := newToken(tenant)
	if err != nil {
		t.Fatal(err)
	}
	got, hash, ok := parseToken(tok)
	sum := sha256.Sum256([]byte(tok))
	if !ok || got != tenant || string(hash) != string(sum[:]) {
		t.Errorf("parseToken(%q) = %s, %x, %v", tok, got, hash, ok)
	}
	again, _ := newToken(tenant)
	if again == tok {
		t.Error("two tokens are equal")
	}
}

// FuzzParseToken: any input is refused or parsed to a real tenant and the
// hash of exactly that input; nothing panics.
func FuzzParseToken(f *testing.F) {
	tok, _ := newToken(uuid.New())
	f.Add(tok)
	f.Add("oiq_" + strings.Repeat("0", 32) + "_" + strings.Repeat("A", 43))
	f.Add("oiq_")
	f.Add("")
	f.Add("Bearer " + tok)
	f.Fuzz(func(t *testing.T, s string) {
		tenant, hash, ok := parseToken(s)
		if !ok {
			return
		}
		sum := sha256.Sum256([]byte(s))
		if tenant == uuid.Nil || string(hash) != string(sum[:]) || len(s) != len(tok) {
			t.Errorf("parseToken(%q) accepted: tenant %s", s, tenant)
		}
	})
}
