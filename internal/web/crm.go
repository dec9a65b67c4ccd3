package web

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// The CRM settings page (/app/settings/crm, admins): a form per CRM
// connection, the mapping rules as one form of rows, and the inbound log.

// crmData is the CRM page.
type crmData struct {
	BaseURL     string
	Connections []*crmConnectionForm
	Rules       []crmRuleRow
	RulesError  string // about the list as a whole
	Templates   []*onboardiq.Template
	Log         []*onboardiq.CRMInbound
}

// crmConnectionForm is a connection as its form shows it, with what was
// typed and the error when a change was refused.
type crmConnectionForm struct {
	*onboardiq.CRMConnection
	Label        string
	Field, Error string
}

// crmRuleRow is one row of the rules form, as saved or as typed.
type crmRuleRow struct {
	Row                                            int
	Order, Name, Pipeline, Segment, Min, Max, Tmpl string
	Errors                                         map[string]string
}

// crmRuleFields are the columns of a rule row, in the form's order.
var crmRuleFields = []string{"order", "name", "pipeline", "segment", "min_amount", "max_amount", "template_id"}

func (h *Handler) crmPage(w http.ResponseWriter, r *http.Request) error {
	d, err := h.loadCRM(r)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "crm.html", view{Title: "CRM", Data: d})
}

// loadCRM reads the page, the rules as saved (with an empty row to add
// one).
func (h *Handler) loadCRM(r *http.Request) (*crmData, error) {
	ctx := r.Context()
	conns, err := h.DB.ListCRMConnections(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := h.DB.ListCRMRules(ctx)
	if err != nil {
		return nil, err
	}
	tpls, err := h.DB.ListTemplates(ctx)
	if err != nil {
		return nil, err
	}
	log, err := h.DB.ListCRMInbound(ctx, onboardiq.ListOptions{Limit: 50})
	if err != nil {
		return nil, err
	}
	d := &crmData{BaseURL: strings.TrimRight(h.BaseURL, "/"), Templates: tpls, Log: log.Items}
	for _, c := range conns {
		d.Connections = append(d.Connections, &crmConnectionForm{CRMConnection: c, Label: c.Provider.Label()})
	}
	for i, x := range rules {
		d.Rules = append(d.Rules, crmRuleRow{Row: i, Order: strconv.Itoa(i + 1), Name: x.Name, Pipeline: x.Pipeline, Segment: x.Segment,
			Min: amountText(x.MinAmount), Max: amountText(x.MaxAmount), Tmpl: x.TemplateID.String()})
	}
	d.Rules = append(d.Rules, crmRuleRow{Row: len(rules), Order: strconv.Itoa(len(rules) + 1)})
	return d, nil
}

func amountText(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// crmConnectionSave sets up or changes one connection; a secret made for
// a new connection is shown once, in the flash.
func (h *Handler) crmConnectionSave(w http.ResponseWriter, r *http.Request) error {
	provider := onboardiq.CRMProvider(r.PathValue("provider"))
	if !provider.Valid() {
		return errNotFound
	}
	in := onboardiq.CRMConnectionInput{Enabled: r.FormValue("enabled") == "on", ClosedWonStage: r.FormValue("closed_won_stage"),
		Secret: r.FormValue("secret")}
	c, secret, err := h.DB.SetCRMConnection(r.Context(), provider, in)
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		d, lerr := h.loadCRM(r)
		if lerr != nil {
			return lerr
		}
		for _, f := range d.Connections {
			if f.Provider == provider {
				f.Enabled, f.ClosedWonStage = in.Enabled, in.ClosedWonStage
				f.Field, f.Error = onboardiq.ErrorField(err), onboardiq.ErrorMessage(err)
				if f.Field == "" {
					f.Field = "closed_won_stage"
				}
			}
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "crm.html", view{Title: "CRM", Data: d})
	}
	msg := fmt.Sprintf("Saved the %s connection (%s).", provider.Label(), map[bool]string{true: "on", false: "off"}[c.Enabled])
	if secret != "" {
		msg += " Its signing secret, shown only now: " + secret
	}
	h.redirectFlash(w, r, "/app/settings/crm", msg)
	return nil
}

// crmRotate gives a connection a new secret, shown once.
func (h *Handler) crmRotate(w http.ResponseWriter, r *http.Request) error {
	provider := onboardiq.CRMProvider(r.PathValue("provider"))
	if !provider.Valid() {
		return errNotFound
	}
	secret, err := h.DB.RotateCRMSecret(r.Context(), provider)
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/settings/crm", fmt.Sprintf("The %s connection's new signing secret, shown only now: %s", provider.Label(), secret))
	return nil
}

// ruleField matches the field of an error about one rule: rules[2].min_amount.
var ruleField = regexp.MustCompile(`^rules\[(\d+)\]\.(\w+)$`)

// crmRulesSave replaces the rules with the form's rows: a row without a
// template and with nothing typed is skipped (the empty row to add one),
// one marked "remove" is dropped, the rest are saved in the order of
// their "order" numbers. A refused row comes back as typed, the error
// beside its field.
func (h *Handler) crmRulesSave(w http.ResponseWriter, r *http.Request) error {
	n, _ := strconv.Atoi(r.FormValue("rows"))
	if n < 0 || n > onboardiq.MaxCRMRules+1 {
		n = 0
	}
	var rows []crmRuleRow
	for i := 0; i < n; i++ {
		v := func(f string) string { return strings.TrimSpace(r.FormValue(fmt.Sprintf("rule-%d-%s", i, f))) }
		row := crmRuleRow{Row: i, Order: v("order"), Name: v("name"), Pipeline: v("pipeline"), Segment: v("segment"),
			Min: v("min_amount"), Max: v("max_amount"), Tmpl: v("template_id")}
		if v("remove") == "on" || row.Tmpl == "" && row.Name == "" && row.Pipeline == "" && row.Segment == "" && row.Min == "" && row.Max == "" {
			continue
		}
		rows = append(rows, row)
	}
	// Stable: rows with the same order keep the form's.
	sort.SliceStable(rows, func(a, b int) bool { return orderOf(rows[a]) < orderOf(rows[b]) })
	in := make([]onboardiq.CRMRuleInput, len(rows))
	var err error
	for i, row := range rows {
		in[i] = onboardiq.CRMRuleInput{Name: row.Name, Pipeline: row.Pipeline, Segment: row.Segment}
		if err == nil {
			err = parseAmount(&in[i].MinAmount, row.Min, fmt.Sprintf("rules[%d].min_amount", i))
		}
		if err == nil {
			err = parseAmount(&in[i].MaxAmount, row.Max, fmt.Sprintf("rules[%d].max_amount", i))
		}
		if row.Tmpl != "" {
			in[i].TemplateID, _ = uuid.Parse(row.Tmpl)
		}
		if err == nil && row.Order != "" {
			if _, perr := strconv.Atoi(row.Order); perr != nil {
				err = onboardiq.Invalid(fmt.Sprintf("rules[%d].order", i), "must be a whole number")
			}
		}
	}
	if err == nil {
		_, err = h.DB.SetCRMRules(r.Context(), in)
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		d, lerr := h.loadCRM(r)
		if lerr != nil {
			return lerr
		}
		msg := onboardiq.ErrorMessage(err)
		if m := ruleField.FindStringSubmatch(onboardiq.ErrorField(err)); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i < len(rows) {
				rows[i].Errors = map[string]string{m[2]: msg}
			}
		} else {
			d.RulesError = errText(err)
		}
		// The form as typed, renumbered, and a fresh empty row.
		for i := range rows {
			rows[i].Row = i
		}
		d.Rules = append(rows, crmRuleRow{Row: len(rows), Order: strconv.Itoa(len(rows) + 1)})
		return h.render(w, r, http.StatusUnprocessableEntity, "crm.html", view{Title: "CRM", Data: d})
	}
	h.redirectFlash(w, r, "/app/settings/crm", fmt.Sprintf("Saved %s.", onboardiq.Plural(len(in), "mapping rule")))
	return nil
}

func orderOf(r crmRuleRow) int {
	n, err := strconv.Atoi(r.Order)
	if err != nil {
		return 1 << 30
	}
	return n
}

// parseAmount reads an optional amount typed in a form ("12,000" too).
func parseAmount(dst **float64, s, field string) error {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return onboardiq.Invalid(field, "must be a number such as 10000")
	}
	*dst = &f
	return nil
}

// crmCell is one field of a rule row, for the template.
type crmCell struct {
	Field, Label, ID, Value, Error string
	N                              int // the row, from 1
}

// Cells lists the row's fields with their ids, labels and errors.
func (r crmRuleRow) Cells() []crmCell {
	labels := map[string]string{"order": "Order", "name": "Name", "pipeline": "Pipeline", "segment": "Segment",
		"min_amount": "Amount from", "max_amount": "Amount below", "template_id": "Template"}
	values := map[string]string{"order": r.Order, "name": r.Name, "pipeline": r.Pipeline, "segment": r.Segment,
		"min_amount": r.Min, "max_amount": r.Max, "template_id": r.Tmpl}
	out := make([]crmCell, len(crmRuleFields))
	for i, f := range crmRuleFields {
		out[i] = crmCell{Field: f, Label: labels[f], ID: fmt.Sprintf("rule-%d-%s", r.Row, f), Value: values[f], Error: r.Errors[f], N: r.Row + 1}
	}
	return out
}
