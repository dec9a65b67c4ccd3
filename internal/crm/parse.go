package crm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/onboardiq/onboardiq"
)

// Deal is one CRM event, read: a deal (won, or not: Ignore says why not)
// and the customer and contacts it carries.
type Deal struct {
	// EventID is the provider's id of the event; the same id twice does
	// one thing.
	EventID string
	// Ignore, when not empty, says why the event starts no onboarding
	// (another stage, another kind of event).
	Ignore   string
	DealID   string
	DealName string
	Pipeline string
	Stage    string
	Amount   *float64
	Customer Customer
	Contacts []Contact
}

// Customer is the customer a deal names: CRMID becomes its external id.
type Customer struct {
	CRMID   string
	Name    string
	Segment string
	Website string
	ARR     *float64
}

// Contact is one of the customer's people.
type Contact struct {
	Email string
	Name  string
}

// Limits on one body.
const (
	MaxEvents   = 100 // events in one HubSpot batch
	MaxContacts = 100 // contacts of one deal
)

// Parse reads r's body into its deals; stage is the connection's
// closed-won stage ("" for the provider's default on HubSpot and
// Salesforce, any stage on the generic format). A body that is not of the
// provider's documented form is EINVALID naming the field, as a JSON path
// inside the body ("[0].properties.amount", "customer.name").
func Parse(r Request, stage string) ([]Deal, error) {
	if stage == "" {
		stage = r.Provider.DefaultStage()
	}
	switch r.Provider {
	case onboardiq.CRMHubSpot:
		return parseHubSpot(r.Body, stage)
	case onboardiq.CRMSalesforce:
		d, err := parseSalesforce(r.Body, stage)
		return []Deal{d}, err
	case onboardiq.CRMGeneric:
		d, err := parseGeneric(r.Body, stage, r.Header.Get("webhook-id"))
		return []Deal{d}, err
	}
	return nil, onboardiq.Invalid("provider", "must be hubspot, salesforce or generic")
}

// decode reads body into v, naming the field a JSON type error is about.
func decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return onboardiq.Invalid(te.Field, "must be %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &te):
		return onboardiq.Invalid("body", "must be a JSON %s, not %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return onboardiq.Invalid("body", "is not JSON: %v (at byte %d)", se, se.Offset)
	}
	return onboardiq.Invalid("body", "is not JSON: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "text"
	case "slice":
		return "an array"
	case "map", "struct":
		return "an object"
	case "float64", "int", "int64":
		return "a number"
	case "bool":
		return "true or false"
	}
	return k
}

// value is a JSON value that may be text or a number (ids, amounts: CRMs
// send either), or HubSpot's {"value": …} property form.
type value struct {
	set  bool
	text string
	bad  bool // an array, an object without a value, true or false
}

func (v *value) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	v.set = true
	switch {
	case bytes.Equal(b, []byte("null")):
		v.set = false
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &v.text)
	case len(b) > 0 && b[0] == '{':
		var p struct {
			Value *value `json:"value"`
		}
		if err := json.Unmarshal(b, &p); err != nil || p.Value == nil {
			v.bad = true
			return nil
		}
		*v = *p.Value
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		v.text = string(b)
	default:
		v.bad = true
	}
	return nil
}

// str returns the value as trimmed text, or EINVALID about field.
func (v value) str(field string, max int) (string, error) {
	if v.bad {
		return "", onboardiq.Invalid(field, "must be text or a number")
	}
	s := strings.TrimSpace(v.text)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return "", onboardiq.Invalid(field, "must be at most %d characters", max)
	}
	return s, nil
}

// amount returns the value as a non-negative number (nil when absent or
// empty), or EINVALID about field.
func (v value) amount(field string) (*float64, error) {
	s, err := v.str(field, 40)
	if err != nil || s == "" {
		return nil, err
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e15 {
		return nil, onboardiq.Invalid(field, "must be a number from 0 to 10^15, not %q", s)
	}
	return &f, nil
}

// checkEmail normalises one contact's address.
func checkEmail(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", onboardiq.Invalid(field, "must be an email address, not %q", s)
	}
	return s, nil
}

// checkDeal checks what a won deal needs, naming fields under prefix.
func checkDeal(d *Deal, prefix, crmIDField, nameField string) error {
	if d.Customer.CRMID == "" {
		return onboardiq.Invalid(prefix+crmIDField, "is required")
	}
	if utf8.RuneCountInString(d.Customer.CRMID) > 100 {
		return onboardiq.Invalid(prefix+crmIDField, "must be at most 100 characters")
	}
	if d.Customer.Name == "" {
		return onboardiq.Invalid(prefix+nameField, "is required")
	}
	if utf8.RuneCountInString(d.Customer.Name) > 200 {
		return onboardiq.Invalid(prefix+nameField, "must be at most 200 characters")
	}
	if len(d.Contacts) > MaxContacts {
		return onboardiq.Invalid(prefix+"contacts", "at most %d contacts", MaxContacts)
	}
	seen := map[string]bool{}
	kept := d.Contacts[:0]
	for _, c := range d.Contacts {
		if !seen[c.Email] {
			seen[c.Email] = true
			kept = append(kept, c)
		}
	}
	d.Contacts = kept
	return nil
}

// hubspotEvent is one event of a HubSpot webhook batch, with what a
// workflow's "Send a webhook" action (or the app) adds: the deal's
// properties, flat or under "properties", its company and contacts.
type hubspotEvent struct {
	EventID          value            `json:"eventId"`
	SubscriptionType string           `json:"subscriptionType"`
	ObjectID         value            `json:"objectId"`
	PropertyName     string           `json:"propertyName"`
	PropertyValue    value            `json:"propertyValue"`
	Properties       map[string]value `json:"properties"`
	Company          *struct {
		ID      value `json:"id"`
		Name    value `json:"name"`
		Domain  value `json:"domain"`
		Segment value `json:"segment"`
	} `json:"company"`
	Contacts []struct {
		Email     value `json:"email"`
		FirstName value `json:"firstname"`
		LastName  value `json:"lastname"`
		Name      value `json:"name"`
	} `json:"contacts"`
}

// hubspotProps are the deal properties read from "properties" or the top
// level of an event (a workflow's custom body), by name.
var hubspotProps = []string{"hs_object_id", "dealname", "amount", "pipeline", "dealstage",
	"company_id", "company_name", "company_domain", "segment", "contact_emails"}

func parseHubSpot(body []byte, stage string) ([]Deal, error) {
	trimmed := bytes.TrimSpace(body)
	var raws []json.RawMessage
	prefix := func(i int) string { return fmt.Sprintf("[%d].", i) }
	if len(trimmed) > 0 && trimmed[0] == '{' {
		raws = []json.RawMessage{trimmed}
		prefix = func(int) string { return "" }
	} else if err := decode(body, &raws); err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, onboardiq.Invalid("body", "holds no event")
	}
	if len(raws) > MaxEvents {
		return nil, onboardiq.Invalid("body", "at most %d events in one call", MaxEvents)
	}
	out := make([]Deal, 0, len(raws))
	for i, raw := range raws {
		var ev hubspotEvent
		if err := decode(raw, &ev); err != nil {
			if f := onboardiq.ErrorField(err); f != "body" {
				return nil, onboardiq.Invalid(prefix(i)+f, "%s", onboardiq.ErrorMessage(err))
			}
			at := strings.TrimSuffix(prefix(i), ".")
			if at == "" {
				at = "body"
			}
			return nil, onboardiq.Invalid(at, "%s", onboardiq.ErrorMessage(err))
		}
		// Flat keys of the event (a workflow's body) count as properties.
		var flat map[string]value
		_ = json.Unmarshal(raw, &flat)
		props := map[string]value{}
		for _, k := range hubspotProps {
			if v, ok := flat[k]; ok {
				props[k] = v
			}
		}
		for k, v := range ev.Properties {
			props[strings.ToLower(k)] = v
		}
		d, err := hubspotDeal(ev, props, stage, prefix(i))
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func hubspotDeal(ev hubspotEvent, props map[string]value, stage, p string) (Deal, error) {
	var d Deal
	var err error
	get := func(name string, max int) string {
		if err != nil {
			return ""
		}
		field := p + "properties." + name
		var s string
		s, err = props[name].str(field, max)
		return s
	}
	if d.DealID, err = ev.ObjectID.str(p+"objectId", 100); err != nil {
		return d, err
	}
	if d.DealID == "" {
		d.DealID = get("hs_object_id", 100)
	}
	if err != nil {
		return d, err
	}
	if d.DealID == "" {
		return d, onboardiq.Invalid(p+"objectId", "is required (the deal's id; or properties.hs_object_id)")
	}
	if ev.PropertyName == "dealstage" {
		if d.Stage, err = ev.PropertyValue.str(p+"propertyValue", 100); err != nil {
			return d, err
		}
	} else {
		d.Stage = get("dealstage", 100)
	}
	if d.EventID, err = ev.EventID.str(p+"eventId", 100); err != nil {
		return d, err
	}
	if d.EventID == "" {
		// A workflow's webhook has no event id: a deal reaches a stage once.
		d.EventID = "deal-" + d.DealID + "-" + d.Stage
	}
	switch {
	case ev.SubscriptionType != "" && ev.SubscriptionType != "deal.propertyChange" && ev.SubscriptionType != "deal.creation":
		d.Ignore = fmt.Sprintf("a %s event: only a deal's stage changing to closed-won starts onboarding", ev.SubscriptionType)
	case ev.PropertyName != "" && ev.PropertyName != "dealstage":
		d.Ignore = fmt.Sprintf("a change of %s: only a deal's stage changing to closed-won starts onboarding", ev.PropertyName)
	case d.Stage == "":
		d.Ignore = "the event names no deal stage (propertyName dealstage, or properties.dealstage)"
	case !strings.EqualFold(d.Stage, stage):
		d.Ignore = fmt.Sprintf("the deal moved to stage %q, not the closed-won stage %q", d.Stage, stage)
	}
	if d.Ignore != "" {
		return d, nil
	}
	d.DealName = get("dealname", 200)
	d.Pipeline = get("pipeline", 100)
	var amount value = props["amount"]
	if err != nil {
		return d, err
	}
	if d.Amount, err = amount.amount(p + "properties.amount"); err != nil {
		return d, err
	}
	c := &d.Customer
	c.CRMID, c.Name, c.Website, c.Segment = get("company_id", 100), get("company_name", 200), get("company_domain", 200), get("segment", 100)
	if co := ev.Company; co != nil && err == nil {
		pick := func(dst *string, v value, name string, max int) {
			if err == nil && *dst == "" {
				*dst, err = v.str(p+"company."+name, max)
			}
		}
		pick(&c.CRMID, co.ID, "id", 100)
		pick(&c.Name, co.Name, "name", 200)
		pick(&c.Website, co.Domain, "domain", 200)
		pick(&c.Segment, co.Segment, "segment", 100)
	}
	if err != nil {
		return d, err
	}
	// Without a company, the deal stands for its customer.
	if c.CRMID == "" {
		c.CRMID = "hubspot-deal-" + d.DealID
	}
	if c.Name == "" {
		c.Name = d.DealName
	}
	if c.Name == "" {
		c.Name = "HubSpot deal " + d.DealID
	}
	for j, ct := range ev.Contacts {
		c, err := readContact(fmt.Sprintf("%scontacts[%d].", p, j), ct.Email, ct.Name, ct.FirstName, ct.LastName)
		if err != nil {
			return d, err
		}
		d.Contacts = append(d.Contacts, c)
	}
	emails := get("contact_emails", 10000)
	if err != nil {
		return d, err
	}
	for _, e := range strings.FieldsFunc(emails, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		email, err := checkEmail(p+"properties.contact_emails", e)
		if err != nil {
			return d, err
		}
		d.Contacts = append(d.Contacts, Contact{Email: email})
	}
	return d, checkDeal(&d, p, "company.id", "company.name")
}

// salesforceBody is the JSON a Salesforce flow (an HTTP callout) or
// outbound message relay sends.
type salesforceBody struct {
	EventID     value `json:"event_id"`
	Opportunity *struct {
		ID       value `json:"id"`
		Name     value `json:"name"`
		Amount   value `json:"amount"`
		Stage    value `json:"stage"`
		Pipeline value `json:"pipeline"`
	} `json:"opportunity"`
	Account *struct {
		ID      value `json:"id"`
		Name    value `json:"name"`
		Segment value `json:"segment"`
		Website value `json:"website"`
	} `json:"account"`
	Contacts []contactBody `json:"contacts"`
}

type contactBody struct {
	Email     value `json:"email"`
	Name      value `json:"name"`
	FirstName value `json:"first_name"`
	LastName  value `json:"last_name"`
}

func readContacts(cs []contactBody) ([]Contact, error) {
	out := make([]Contact, 0, len(cs))
	for j, ct := range cs {
		c, err := readContact(fmt.Sprintf("contacts[%d].", j), ct.Email, ct.Name, ct.FirstName, ct.LastName)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// readContact reads one contact, naming its fields under prefix: its
// name, or first and last names joined.
func readContact(prefix string, email, name, first, last value) (Contact, error) {
	t := &texts{}
	e := t.get(email, prefix+"email", 254)
	n := t.get(name, prefix+"name", 200)
	f := t.get(first, prefix+"first_name", 100)
	l := t.get(last, prefix+"last_name", 100)
	if t.err != nil {
		return Contact{}, t.err
	}
	e, err := checkEmail(prefix+"email", e)
	if err != nil {
		return Contact{}, err
	}
	if n == "" {
		n = strings.TrimSpace(f + " " + l)
	}
	return Contact{Email: e, Name: n}, nil
}

// texts reads several values as text, stopping at the first error.
type texts struct{ err error }

func (t *texts) get(v value, field string, max int) string {
	if t.err != nil {
		return ""
	}
	s, err := v.str(field, max)
	t.err = err
	return s
}

func parseSalesforce(body []byte, stage string) (Deal, error) {
	var b salesforceBody
	var d Deal
	if err := decode(body, &b); err != nil {
		return d, err
	}
	if b.Opportunity == nil {
		return d, onboardiq.Invalid("opportunity", "is required")
	}
	t := &texts{}
	o := b.Opportunity
	d.DealID = t.get(o.ID, "opportunity.id", 100)
	d.DealName = t.get(o.Name, "opportunity.name", 200)
	d.Stage = t.get(o.Stage, "opportunity.stage", 100)
	d.Pipeline = t.get(o.Pipeline, "opportunity.pipeline", 100)
	d.EventID = t.get(b.EventID, "event_id", 100)
	if t.err != nil {
		return d, t.err
	}
	if d.DealID == "" {
		return d, onboardiq.Invalid("opportunity.id", "is required")
	}
	if d.EventID == "" {
		d.EventID = "opportunity-" + d.DealID + "-" + d.Stage
	}
	if !strings.EqualFold(d.Stage, stage) {
		d.Ignore = fmt.Sprintf("the opportunity is at stage %q, not the closed-won stage %q", d.Stage, stage)
		return d, nil
	}
	var err error
	if d.Amount, err = o.Amount.amount("opportunity.amount"); err != nil {
		return d, err
	}
	if b.Account == nil {
		return d, onboardiq.Invalid("account", "is required")
	}
	a := b.Account
	d.Customer = Customer{CRMID: t.get(a.ID, "account.id", 100), Name: t.get(a.Name, "account.name", 200),
		Segment: t.get(a.Segment, "account.segment", 100), Website: t.get(a.Website, "account.website", 200)}
	if t.err != nil {
		return d, t.err
	}
	if d.Contacts, err = readContacts(b.Contacts); err != nil {
		return d, err
	}
	return d, checkDeal(&d, "", "account.id", "account.name")
}

// genericBody is OnboardIQ's own format (docs/crm-webhook.schema.json).
type genericBody struct {
	EventID  value `json:"event_id"`
	Customer *struct {
		CRMID   value `json:"crm_id"`
		Name    value `json:"name"`
		Segment value `json:"segment"`
		ARR     value `json:"arr"`
		Website value `json:"website"`
	} `json:"customer"`
	Contacts []contactBody `json:"contacts"`
	Deal     *struct {
		ID       value `json:"id"`
		Name     value `json:"name"`
		Pipeline value `json:"pipeline"`
		Amount   value `json:"amount"`
		Stage    value `json:"stage"`
	} `json:"deal"`
}

func parseGeneric(body []byte, stage, webhookID string) (Deal, error) {
	var b genericBody
	var d Deal
	if err := decode(body, &b); err != nil {
		return d, err
	}
	t := &texts{}
	if d.EventID = t.get(b.EventID, "event_id", 100); t.err != nil {
		return d, t.err
	}
	if d.EventID == "" {
		d.EventID = strings.TrimSpace(webhookID)
	}
	if d.EventID == "" {
		return d, onboardiq.Invalid("event_id", "is required")
	}
	var err error
	if g := b.Deal; g != nil {
		d.DealID = t.get(g.ID, "deal.id", 100)
		d.DealName = t.get(g.Name, "deal.name", 200)
		d.Pipeline = t.get(g.Pipeline, "deal.pipeline", 100)
		d.Stage = t.get(g.Stage, "deal.stage", 100)
		if t.err != nil {
			return d, t.err
		}
		if d.Amount, err = g.Amount.amount("deal.amount"); err != nil {
			return d, err
		}
	}
	if stage != "" && !strings.EqualFold(d.Stage, stage) {
		d.Ignore = fmt.Sprintf("the deal is at stage %q, not the closed-won stage %q", d.Stage, stage)
		return d, nil
	}
	if b.Customer == nil {
		return d, onboardiq.Invalid("customer", "is required")
	}
	c := b.Customer
	d.Customer = Customer{CRMID: t.get(c.CRMID, "customer.crm_id", 100), Name: t.get(c.Name, "customer.name", 200),
		Segment: t.get(c.Segment, "customer.segment", 100), Website: t.get(c.Website, "customer.website", 200)}
	if t.err != nil {
		return d, t.err
	}
	if d.Customer.ARR, err = c.ARR.amount("customer.arr"); err != nil {
		return d, err
	}
	if d.Contacts, err = readContacts(b.Contacts); err != nil {
		return d, err
	}
	return d, checkDeal(&d, "", "customer.crm_id", "customer.name")
}
