package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// SignatureTolerance is how far a signed webhook's timestamp may be from
// the server's clock: older requests are refused, so a captured request
// cannot be replayed later.
const SignatureTolerance = 5 * time.Minute

// WebhookKey is the HMAC key of a webhook secret: the bytes after "whsec_"
// in base64 (the Standard Webhooks form), otherwise the secret as it is.
func WebhookKey(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		if k, err := base64.StdEncoding.DecodeString(rest); err == nil && len(k) > 0 {
			return k
		}
	}
	return []byte(secret)
}

// Sign returns the webhook-signature header of body, the Standard Webhooks
// way: "v1," and the base64 HMAC-SHA-256 of "id.timestamp.body".
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(signature(key, id, strconv.FormatInt(ts.Unix(), 10), body))
}

func signature(key []byte, id, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(id + "." + ts + "."))
	h.Write(body)
	return h.Sum(nil)
}

// VerifySignature checks the webhook-id, webhook-timestamp and
// webhook-signature headers of body (the header may list several
// space-separated signatures, during a secret's rotation): one must match,
// and the timestamp must be within SignatureTolerance of now.
func VerifySignature(key []byte, id, ts, sigs string, body []byte, now time.Time) bool {
	if len(key) == 0 || id == "" {
		return false
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := now.Sub(time.Unix(sec, 0)); d > SignatureTolerance || d < -SignatureTolerance {
		return false
	}
	want := signature(key, id, ts, body)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}
