package crm_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
)

// TestHubSpotV3 checks the signature against the recipe written out by
// hand: base64(HMAC-SHA-256(secret, method + uri + body + timestamp)).
func TestHubSpotV3(t *testing.T) {
	t.Parallel()
	secret, uri, body, ts := "app-secret", "https://onboardiq.example.com/api/v1/crm/acme/hubspot", `[{"eventId":1}]`, "1764230400000"
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("POST" + uri + body + ts))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if got := crm.HubSpotV3(secret, "POST", uri, []byte(body), ts); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	m = hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	if got, want := crm.SalesforceV1(secret, ts, []byte(body)), "v1="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("salesforce: got %s, want %s", got, want)
	}
}

// TestVerify: per provider, what Sign makes verifies; another secret,
// another body, another address (HubSpot), a stale or future timestamp
// and missing headers do not, each for its reason.
func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1764230400, 0)
	uri := "https://app.example/api/v1/crm/acme/"
	body := []byte(`{"event_id": "e1"}`)
	for _, p := range onboardiq.CRMProviders {
		req := func(h http.Header, b []byte, u string) crm.Request {
			return crm.Request{Provider: p, Method: "POST", URI: u, Header: h, Body: b}
		}
		secret := "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
		signed := crm.Sign(p, secret, "POST", uri+string(p), body, "e1", now)
		if err := crm.Verify(req(signed, body, uri+string(p)), secret, now.Add(time.Minute)); err != nil {
			t.Errorf("%s: a valid call: %v", p, err)
		}
		for _, tc := range []struct {
			name   string
			r      crm.Request
			secret string
			at     time.Time
			want   error
		}{
			{"another secret", req(signed, body, uri+string(p)), "another-secret-entirely", now, crm.ErrBadSignature},
			{"another body", req(signed, []byte(`{"event_id": "e2"}`), uri+string(p)), secret, now, crm.ErrBadSignature},
			{"stale", req(signed, body, uri+string(p)), secret, now.Add(5*time.Minute + time.Second), crm.ErrStale},
			{"future", req(signed, body, uri+string(p)), secret, now.Add(-5*time.Minute - time.Second), crm.ErrStale},
			{"unsigned", req(http.Header{}, body, uri+string(p)), secret, now, crm.ErrNoSignature},
		} {
			if err := crm.Verify(tc.r, tc.secret, tc.at); !errors.Is(err, tc.want) {
				t.Errorf("%s, %s: %v, want %v", p, tc.name, err, tc.want)
			}
		}
		if p == onboardiq.CRMHubSpot {
			if err := crm.Verify(req(signed, body, "https://app.example/api/v1/crm/bolt/hubspot"), secret, now); !errors.Is(err, crm.ErrBadSignature) {
				t.Errorf("hubspot, another workspace's address: %v", err)
			}
		}
	}
}

func num(f float64) *float64 { return &f }

// TestParse: each provider's documented form is read into deals.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		provider onboardiq.CRMProvider
		stage    string
		body     string
		want     []crm.Deal
	}{
		{"hubspot batch", onboardiq.CRMHubSpot, "", `[
 {"eventId": 1, "subscriptionType": "deal.propertyChange", "objectId": 11, "propertyName": "dealstage", "propertyValue": "closedwon",
  "properties": {"dealname": {"value": "Globex"}, "amount": "1,200.50", "pipeline": "default", "company_id": "77", "company_name": "Globex Corp",
                 "contact_emails": "a@globex.example; B@globex.example"},
  "contacts": [{"email": "a@globex.example", "firstname": "Ann", "lastname": "Lee"}]},
 {"eventId": 2, "subscriptionType": "deal.propertyChange", "objectId": 12, "propertyName": "dealstage", "propertyValue": "qualified"}]`,
			[]crm.Deal{
				{EventID: "1", DealID: "11", DealName: "Globex", Pipeline: "default", Stage: "closedwon", Amount: num(1200.5),
					Customer: crm.Customer{CRMID: "77", Name: "Globex Corp"},
					Contacts: []crm.Contact{{Email: "a@globex.example", Name: "Ann Lee"}, {Email: "b@globex.example"}}},
				{EventID: "2", DealID: "12", Stage: "qualified", Ignore: `the deal moved to stage "qualified", not the closed-won stage "closedwon"`},
			}},
		{"hubspot workflow, flat and without a company", onboardiq.CRMHubSpot, "won-stage-id",
			`{"hs_object_id": "99", "dealname": "Initech", "dealstage": "won-stage-id", "amount": 10}`,
			[]crm.Deal{{EventID: "deal-99-won-stage-id", DealID: "99", DealName: "Initech", Stage: "won-stage-id", Amount: num(10),
				Customer: crm.Customer{CRMID: "hubspot-deal-99", Name: "Initech"}}}},
		{"salesforce", onboardiq.CRMSalesforce, "", `{"opportunity": {"id": "006A", "name": "Umbrella", "amount": 5000, "stage": "closed won", "pipeline": "New Business"},
 "account": {"id": "001A", "name": "Umbrella Corp", "segment": "SMB", "website": "umbrella.example"},
 "contacts": [{"email": "al@umbrella.example", "first_name": "Al", "last_name": "Wesker"}]}`,
			[]crm.Deal{{EventID: "opportunity-006A-closed won", DealID: "006A", DealName: "Umbrella", Pipeline: "New Business", Stage: "closed won", Amount: num(5000),
				Customer: crm.Customer{CRMID: "001A", Name: "Umbrella Corp", Segment: "SMB", Website: "umbrella.example"},
				Contacts: []crm.Contact{{Email: "al@umbrella.example", Name: "Al Wesker"}}}}},
		{"generic", onboardiq.CRMGeneric, "", `{"event_id": "evt_1", "customer": {"crm_id": "c-1", "name": "Hooli", "segment": "Enterprise", "arr": 120000},
 "contacts": [{"email": "gavin@hooli.example", "name": "Gavin"}], "deal": {"id": "d-1", "pipeline": "enterprise", "amount": 120000, "stage": "won"}}`,
			[]crm.Deal{{EventID: "evt_1", DealID: "d-1", Pipeline: "enterprise", Stage: "won", Amount: num(120000),
				Customer: crm.Customer{CRMID: "c-1", Name: "Hooli", Segment: "Enterprise", ARR: num(120000)},
				Contacts: []crm.Contact{{Email: "gavin@hooli.example", Name: "Gavin"}}}}},
	} {
		got, err := crm.Parse(crm.Request{Provider: tc.provider, Header: http.Header{}, Body: []byte(tc.body)}, tc.stage)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestParseNamesTheField: a bad body is EINVALID about the field.
func TestParseNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		provider onboardiq.CRMProvider
		body     string
		field    string
	}{
		{onboardiq.CRMHubSpot, `{`, "body"},
		{onboardiq.CRMHubSpot, `[1]`, "[0]"},
		{onboardiq.CRMHubSpot, `[{"objectId": 1, "propertyName": "dealstage", "propertyValue": "closedwon", "company": "x"}]`, "[0].company"},
		{onboardiq.CRMHubSpot, `[{"objectId": 1, "propertyName": "dealstage", "propertyValue": "closedwon", "properties": {"amount": "-3"}}]`, "[0].properties.amount"},
		{onboardiq.CRMHubSpot, `[{"objectId": [1]}]`, "[0].objectId"},
		{onboardiq.CRMSalesforce, `{"account": {}}`, "opportunity"},
		{onboardiq.CRMSalesforce, `{"opportunity": {"id": "1", "stage": "Closed Won"}, "account": {"id": "a", "name": "A"}, "contacts": [{"email": ""}]}`, "contacts[0].email"},
		{onboardiq.CRMGeneric, `{"customer": {"crm_id": "a", "name": "A"}}`, "event_id"},
		{onboardiq.CRMGeneric, `{"event_id": "e", "customer": {"crm_id": "a", "name": "` + string(make([]byte, 0)) + `"}}`, "customer.name"},
		{onboardiq.CRMGeneric, `{"event_id": "e", "customer": {"crm_id": "a", "name": "A"}, "deal": {"amount": "NaN"}}`, "deal.amount"},
	} {
		_, err := crm.Parse(crm.Request{Provider: tc.provider, Header: http.Header{}, Body: []byte(tc.body)}, "")
		if onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%s %s: %v (field %q), want EINVALID about %s", tc.provider, tc.body, err, onboardiq.ErrorField(err), tc.field)
		}
	}
	// Many contacts: at most MaxContacts.
	body := `{"event_id": "e", "customer": {"crm_id": "a", "name": "A"}, "contacts": [`
	for i := 0; i <= crm.MaxContacts; i++ {
		if i > 0 {
			body += ","
		}
		body += `{"email": "c` + strconv.Itoa(i) + `@a.example"}`
	}
	if _, err := crm.Parse(crm.Request{Provider: onboardiq.CRMGeneric, Header: http.Header{}, Body: []byte(body + "]}")}, ""); onboardiq.ErrorField(err) != "contacts" {
		t.Errorf("%d contacts: %v", crm.MaxContacts+1, err)
	}
}

// TestPickRule: the first rule that matches wins; amounts from the
// minimum (inclusive) to the maximum (exclusive); a bounded rule does not
// match a deal without an amount.
func TestPickRule(t *testing.T) {
	t.Parallel()
	rules := []onboardiq.CRMRule{
		{Pipeline: "enterprise"},
		{Segment: "smb", MaxAmount: num(10000)},
		{MinAmount: num(50000)},
		{},
	}
	for _, tc := range []struct {
		pipeline, segment string
		amount            *float64
		want              int
	}{
		{"Enterprise", "SMB", num(1), 0},
		{"default", "SMB", num(9999), 1},
		{"default", "SMB", num(10000), 3},
		{"default", "", num(50000), 2},
		{"default", "SMB", nil, 3},
	} {
		if got := onboardiq.PickCRMRule(rules, tc.pipeline, tc.segment, tc.amount); got != tc.want {
			t.Errorf("%+v: rule %d, want %d", tc, got, tc.want)
		}
	}
	if got := onboardiq.PickCRMRule(rules[:3], "default", "", nil); got != -1 {
		t.Errorf("nothing matches: %d", got)
	}
}

// TestLimiter: n calls a window per key, then refused until the window
// ends; keys apart.
func TestLimiter(t *testing.T) {
	t.Parallel()
	l := crm.NewLimiter(2, time.Hour)
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.Allow("a"); ok != want {
			t.Errorf("call %d: %v", i, ok)
		}
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key is limited")
	}
}
