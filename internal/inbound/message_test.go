package inbound_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/inbound"
)

func TestParseMail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, msg, from, text string }{
		{"plain", "From: Ann <Ann@Example.com>\r\nSubject: Re\r\n\r\ndone\r\n", "Ann@Example.com", "done\r\n"},
		{"alternative, quoted-printable text preferred", "From: ann@example.com\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nstuck waiting on IT =E2=80=94 sorry\r\n" +
			"--b\r\nContent-Type: text/html\r\n\r\n<p>ignored</p>\r\n--b--\r\n", "ann@example.com", "stuck waiting on IT — sorry"},
		{"html only, quote dropped", "From: ann@example.com\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
			"<div>Uploaded &amp; signed.<br>Thanks</div><blockquote>On Monday Acme wrote: please upload</blockquote>", "ann@example.com", "Uploaded & signed.\nThanks"},
		{"mixed with base64 text and an attachment", "From: ann@example.com\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n" +
			"--m\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nZG9u\r\nZQ==\r\n" +
			"--m\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--m--\r\n", "ann@example.com", "done"},
	} {
		from, text, err := inbound.ParseMail(strings.NewReader(c.msg))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if from != c.from || strings.TrimSpace(text) != strings.TrimSpace(c.text) {
			t.Errorf("%s: %q, %q; want %q, %q", c.name, from, text, c.from, c.text)
		}
	}
	if _, _, err := inbound.ParseMail(strings.NewReader("Subject: no sender\r\n\r\nhi")); err == nil {
		t.Error("a message without From was read")
	}
}

func TestWebhookSignature(t *testing.T) {
	t.Parallel()
	key := inbound.WebhookKey("whsec_c2VjcmV0LWtleS1ieXRlcw==")
	if string(key) != "secret-key-bytes" {
		t.Fatalf("whsec_ key decoded to %q", key)
	}
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"from":"a@example.com"}`)
	good := inbound.Sign(key, "msg_1", now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, c := range []struct {
		name, id, ts, sigs string
		body               []byte
		at                 time.Time
		want               bool
	}{
		{"valid", "msg_1", ts, good, body, now, true},
		{"one of two during a rotation", "msg_1", ts, inbound.Sign([]byte("old"), "msg_1", now, body) + " " + good, body, now, true},
		{"body changed", "msg_1", ts, good, []byte(`{"from":"b@example.com"}`), now, false},
		{"id changed", "msg_2", ts, good, body, now, false},
		{"too old", "msg_1", ts, good, body, now.Add(6 * time.Minute), false},
		{"from the future", "msg_1", ts, good, body, now.Add(-6 * time.Minute), false},
		{"another version", "msg_1", ts, strings.Replace(good, "v1,", "v2,", 1), body, now, false},
		{"missing", "msg_1", ts, "", body, now, false},
	} {
		if got := inbound.VerifySignature(key, c.id, c.ts, c.sigs, c.body, c.at); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
