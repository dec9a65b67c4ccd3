package crm_test

import (
	"bytes"
	"net/http"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/crm"
)

// TestGenericSchema: the published schema (docs/crm-webhook.schema.json)
// accepts what the reader accepts and refuses what it refuses, for the
// examples of docs/crm.md and a few bad bodies.
func TestGenericSchema(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../docs/crm-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("crm-webhook.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("crm-webhook.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"event_id": "evt_01J9", "customer": {"crm_id": "acct-42", "name": "Hooli", "segment": "Enterprise", "arr": 120000, "website": "hooli.example"},
		  "contacts": [{"email": "gavin@hooli.example", "name": "Gavin Belson"}],
		  "deal": {"id": "deal-7", "name": "Hooli rollout", "pipeline": "enterprise", "amount": "120,000", "stage": "won"}}`, true},
		{`{"event_id": 7, "customer": {"crm_id": 42, "name": "Pied Piper"}}`, true},
		{`{"event_id": "e", "customer": {"name": "No id"}}`, false},
		{`{"event_id": "e", "customer": {"crm_id": "a", "name": "A", "arr": -1}}`, false},
		{`{"event_id": "e", "customer": {"crm_id": "a", "name": "A"}, "contacts": [{"email": "not an address"}]}`, false},
	} {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(tc.body)))
		if err != nil {
			t.Fatal(err)
		}
		schemaOK := s.Validate(v) == nil
		_, perr := crm.Parse(crm.Request{Provider: onboardiq.CRMGeneric, Header: http.Header{}, Body: []byte(tc.body)}, "")
		if schemaOK != tc.ok || (perr == nil) != tc.ok {
			t.Errorf("%s: schema ok %v, reader %v; want ok %v", tc.body, schemaOK, perr, tc.ok)
		}
	}
}
