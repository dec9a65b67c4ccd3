// Package crm reads the webhooks CRMs send when a deal is won: it checks
// their signatures and turns their bodies into Deals, with no I/O. The
// store applies a Deal (internal/postgres, crm.go); docs/crm.md describes
// the formats.
package crm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/inbound"
)

// Tolerance is how old (or how far in the future) a signed request's
// timestamp may be: older ones are refused, so a captured request cannot
// be replayed later; within it, the event id makes a replay do nothing.
const Tolerance = inbound.SignatureTolerance

// MaxBody is the largest body a CRM webhook may send.
const MaxBody = 1 << 20

// The headers each provider signs with.
const (
	// HubSpot's webhook v3 signature.
	HubSpotSignature = "X-HubSpot-Signature-v3"
	HubSpotTimestamp = "X-HubSpot-Request-Timestamp" // Unix milliseconds
	// OnboardIQ's own, for Salesforce flows and outbound messages:
	// v1=<hex HMAC-SHA-256 of "timestamp.body">.
	SalesforceSignature = "X-OnboardIQ-Signature"
	SalesforceTimestamp = "X-OnboardIQ-Timestamp" // Unix seconds
)

// Why a signature is refused.
var (
	ErrNoSignature  = errors.New("the signature or its timestamp header is missing")
	ErrStale        = errors.New("the timestamp is more than 5 minutes from the server's clock")
	ErrBadSignature = errors.New("the signature does not match")
)

// Request is an inbound CRM call as it arrived.
type Request struct {
	Provider onboardiq.CRMProvider
	Method   string
	// URI is the full address the CRM called (HubSpot signs it):
	// https://onboardiq.example.com/api/v1/crm/acme/hubspot?x=1.
	URI    string
	Header http.Header
	Body   []byte
}

// Verify checks r's signature with the connection's secret at now.
func Verify(r Request, secret string, now time.Time) error {
	switch r.Provider {
	case onboardiq.CRMHubSpot:
		return verifyHubSpot(r, secret, now)
	case onboardiq.CRMSalesforce:
		return verifySalesforce(r, secret, now)
	case onboardiq.CRMGeneric:
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		if id == "" || ts == "" || sig == "" {
			return ErrNoSignature
		}
		if err := fresh(ts, time.Second, now); err != nil {
			return err
		}
		if !inbound.VerifySignature(inbound.WebhookKey(secret), id, ts, sig, r.Body, now) {
			return ErrBadSignature
		}
		return nil
	}
	return ErrBadSignature
}

// fresh checks a timestamp in unit since the epoch against now.
func fresh(ts string, unit time.Duration, now time.Time) error {
	n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	at := time.Unix(0, 0).Add(time.Duration(n) * unit)
	if d := now.Sub(at); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	return nil
}

// HubSpotV3 is HubSpot's v3 signature: base64 of the HMAC-SHA-256, keyed
// with the app's client secret, of method, URI, body and timestamp
// (milliseconds) concatenated.
func HubSpotV3(secret, method, uri string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri))
	m.Write(body)
	m.Write([]byte(ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func verifyHubSpot(r Request, secret string, now time.Time) error {
	sig, ts := r.Header.Get(HubSpotSignature), r.Header.Get(HubSpotTimestamp)
	if sig == "" || ts == "" {
		return ErrNoSignature
	}
	if err := fresh(ts, time.Millisecond, now); err != nil {
		return err
	}
	want := HubSpotV3(secret, r.Method, r.URI, r.Body, strings.TrimSpace(ts))
	if !hmac.Equal([]byte(strings.TrimSpace(sig)), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}

// SalesforceV1 is the signature OnboardIQ asks of a Salesforce flow or
// outbound message: "v1=" and the hex HMAC-SHA-256, keyed with the
// connection's secret, of the timestamp (Unix seconds), a dot and the body.
func SalesforceV1(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

func verifySalesforce(r Request, secret string, now time.Time) error {
	sig, ts := r.Header.Get(SalesforceSignature), strings.TrimSpace(r.Header.Get(SalesforceTimestamp))
	if sig == "" || ts == "" {
		return ErrNoSignature
	}
	if err := fresh(ts, time.Second, now); err != nil {
		return err
	}
	want := SalesforceV1(secret, ts, r.Body)
	for _, s := range strings.Fields(strings.ReplaceAll(sig, ",", " ")) {
		if hmac.Equal([]byte(strings.ToLower(s)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Sign sets the signature headers of a request to provider's endpoint at
// uri, the way the provider would: for tests, the docs' examples and
// `onboardiq crm sign`.
func Sign(provider onboardiq.CRMProvider, secret, method, uri string, body []byte, eventID string, now time.Time) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	switch provider {
	case onboardiq.CRMHubSpot:
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		h.Set(HubSpotTimestamp, ts)
		h.Set(HubSpotSignature, HubSpotV3(secret, method, uri, body, ts))
	case onboardiq.CRMSalesforce:
		ts := strconv.FormatInt(now.Unix(), 10)
		h.Set(SalesforceTimestamp, ts)
		h.Set(SalesforceSignature, SalesforceV1(secret, ts, body))
	case onboardiq.CRMGeneric:
		h.Set("webhook-id", eventID)
		h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
		h.Set("webhook-signature", inbound.Sign(inbound.WebhookKey(secret), eventID, now, body))
	}
	return h
}
