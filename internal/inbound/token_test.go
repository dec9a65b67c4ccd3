package inbound_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/secret"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

func ring(t *testing.T, keys ...string) *secret.Keyring {
	t.Helper()
	var raw [][]byte
	for _, k := range keys {
		b := make([]byte, secret.KeySize)
		copy(b, k)
		raw = append(raw, b)
	}
	r, err := secret.NewKeyring(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReplyToken(t *testing.T) {
	t.Parallel()
	r := inbound.Reply{Tenant: uuid.New(), Key: [inbound.KeySize]byte{1, 2, 3, 4, 5}}
	k := testdb.Keyring()
	tok := inbound.Encode(k, r)
	if tok != strings.ToLower(tok) || strings.ContainsAny(tok, "=+/") {
		t.Fatalf("token %q is not lower-case base32 without padding", tok)
	}
	if n := len(inbound.Address(k, r, "in.example.com")) - len("@in.example.com"); n > 64 {
		t.Errorf("the local part is %d characters, over RFC 5321's 64", n)
	}
	flip := []byte(tok)
	if flip[5] == 'a' {
		flip[5] = 'b'
	} else {
		flip[5] = 'a'
	}
	other := r
	other.Key[0] = 9
	forged := inbound.Encode(k, other)
	spliced := forged[:30] + tok[30:]
	rotated := ring(t, "new key", "old key")
	oldOnly := ring(t, "old key")

	for _, c := range []struct {
		name  string
		ring  *secret.Keyring
		token string
		want  error
	}{
		{"valid", k, tok, nil},
		{"upper case (a relay changed it)", k, strings.ToUpper(tok), nil},
		{"tampered", k, string(flip), inbound.ErrBadToken},
		{"spliced from another token", k, spliced, inbound.ErrBadToken},
		{"truncated", k, tok[:len(tok)-2], inbound.ErrBadToken},
		{"empty", k, "", inbound.ErrBadToken},
		{"not base32", k, "hello-world", inbound.ErrBadToken},
		{"wrong key", ring(t, "another key"), tok, inbound.ErrBadToken},
		{"old key still listed after rotation", rotated, inbound.Encode(oldOnly, r), nil},
	} {
		got, err := inbound.Verify(c.ring, c.token)
		if err != c.want {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if err == nil && got != r {
			t.Errorf("%s: got %+v, want %+v", c.name, got, r)
		}
	}
}

func TestTokenOf(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		addr, tok string
		ok        bool
	}{
		{"reply+abc@in.example.com", "abc", true},
		{"Reply+ABC@IN.example.com", "abc", true},
		{"reply+abc@other.example.com", "", false},
		{"support@in.example.com", "", false},
		{"reply+@in.example.com", "", false},
	} {
		tok, ok := inbound.TokenOf(c.addr, "in.example.com")
		if tok != c.tok || ok != c.ok {
			t.Errorf("TokenOf(%q) = %q, %v; want %q, %v", c.addr, tok, ok, c.tok, c.ok)
		}
	}
}

func TestStripReply(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, in, want string }{
		{"plain", "Looks good, thanks.", "Looks good, thanks."},
		{"gmail", "Done on our side.\n\nOn Tue, Nov 24, 2026 at 10:00 AM Ann <ann@example.com> wrote:\n> Please upload the logo.\n", "Done on our side."},
		{"gmail wrapped header", "Yes.\n\nOn Tue, Nov 24, 2026 at 10:00 AM Ann Example <\nann@example.com> wrote:\n> old", "Yes."},
		{"quoted lines only removed", "> earlier\nMy answer\n> more", "My answer"},
		{"signature", "Thanks!\n-- \nBob\nACME Corp", "Thanks!"},
		{"iphone", "done\n\nSent from my iPhone", "done"},
		{"outlook mobile", "stuck waiting on IT\n\nGet Outlook for Android", "stuck waiting on IT"},
		{"outlook desktop", "Uploaded.\n\n-----Original Message-----\nFrom: OnboardIQ\nSent: today", "Uploaded."},
		{"outlook from block", "Uploaded.\n\nFrom: OnboardIQ <reply@x>\nSent: Tuesday\nTo: Bob", "Uploaded."},
		{"crlf", "Fine\r\n\r\n> quoted\r\n", "Fine"},
		{"keeps a line starting with On", "On Monday we go live.", "On Monday we go live."},
	} {
		if got := inbound.StripReply(c.in); got != c.want {
			t.Errorf("%s: StripReply = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		cmd  inbound.Command
		rest string
	}{
		{"done", inbound.CommandDone, ""},
		{"Done. Uploaded the file", inbound.CommandDone, "Uploaded the file"},
		{"stuck waiting on IT", inbound.CommandStuck, "waiting on IT"},
		{"STUCK: no access\nsince Monday", inbound.CommandStuck, "no access\nsince Monday"},
		{"doneness is a word", inbound.CommandNone, "doneness is a word"},
		{"Not done yet", inbound.CommandNone, "Not done yet"},
	} {
		cmd, rest := inbound.ParseCommand(c.in)
		if cmd != c.cmd || rest != c.rest {
			t.Errorf("ParseCommand(%q) = %v, %q; want %v, %q", c.in, cmd, rest, c.cmd, c.rest)
		}
	}
}
