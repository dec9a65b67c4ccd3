package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/health"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// customersPageSize is how many customers the list shows at once.
const customersPageSize = 25

// customersData is the customers list: the page of summaries, the filter
// as asked (kept in the form and the next page's link), and the new
// customer form.
type customersData struct {
	Page    *postgres.CustomersPage
	Q       string
	CSM     string // a support member's id, or ""
	Show    string // archived filter: "", "true" or "any"
	Status  string // lifecycle status filter, or ""
	Next    string // the next page's URL, or ""
	First   string // the first page's URL when this is a later one, or ""
	New     *formState
	NewOpen bool
	// Fields are the customer custom fields, whose filters (cf.<key>)
	// the list offers: CF holds them as asked, by key.
	Fields []*onboardiq.CustomField
	CF     map[string]string
	CSV    string // the download link: the filtered list as CSV
}

func (h *Handler) customers(w http.ResponseWriter, r *http.Request) error {
	return h.renderCustomers(w, r, http.StatusOK, emptyForm("new-customer", nil))
}

// renderCustomers answers the customers list, with the new-customer form
// as given (open when it was refused).
func (h *Handler) renderCustomers(w http.ResponseWriter, r *http.Request, status int, form *formState) error {
	q := r.URL.Query()
	d := &customersData{Q: q.Get("q"), CSM: q.Get("csm"), Show: q.Get("archived"), Status: q.Get("lifecycle_status"), New: form, NewOpen: form.Failed() || q.Get("new") != "",
		CF: map[string]string{}}
	f := postgres.CustomerFilter{ListOptions: onboardiq.ListOptions{Limit: customersPageSize, Cursor: q.Get("cursor")}, Q: d.Q, Archived: d.Show,
		LifecycleStatus: d.Status}
	if d.CSM != "" {
		id, err := uuid.Parse(d.CSM)
		if err != nil {
			return onboardiq.Invalid("csm", "is not a support member")
		}
		f.SupportMemberID = &id
	}
	for _, cf := range postgres.ParseCustomFieldFilters(q) {
		if cf.Value != "" {
			f.CustomFields = append(f.CustomFields, cf)
			if cf.Op == "eq" {
				d.CF[cf.Key] = cf.Value
			}
		}
	}
	if wantsCSV(r) {
		return h.customersCSV(w, r, f)
	}
	pg, err := h.DB.LoadCustomersPage(r.Context(), f)
	if err != nil {
		return err
	}
	d.Page, d.Fields = pg, pg.CustomFields
	if form.Custom == nil {
		form.Custom = newCustomInputs(form.ID, pg.CustomFields, nil)
	}
	filter := url.Values{}
	for k, v := range map[string]string{"q": d.Q, "csm": d.CSM, "archived": d.Show, "lifecycle_status": d.Status} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	for _, cf := range f.CustomFields {
		name := "cf." + cf.Key
		if cf.Op != "eq" {
			name += "." + cf.Op
		}
		filter.Set(name, cf.Value)
	}
	d.CSV = csvLink("/app/customers", filter)
	if f.Cursor != "" {
		d.First = "/app/customers?" + filter.Encode()
	}
	if c := pg.Customers.NextCursor; c != "" {
		filter.Set("cursor", c)
		d.Next = "/app/customers?" + filter.Encode()
	}
	return h.render(w, r, status, "customers.html", view{Title: "Customers", Data: d, Unread: pg.Unread, counted: true})
}

// customerCreate adds a customer from the list's form; refused, the list
// shows the form again with the error beside the field.
func (h *Handler) customerCreate(w http.ResponseWriter, r *http.Request) error {
	form := newFormState(r, "new-customer", customerFormFields...)
	defs, err := h.DB.ListCustomFields(r.Context(), onboardiq.CustomFieldCustomer)
	if err != nil {
		return err
	}
	form.Custom = readCustomInputs(r, form.ID, defs)
	in := onboardiq.NewCustomer{Name: form.Values["name"], Segment: form.Values["segment"], ContactInfo: form.contactInfo(nil)}
	var c *onboardiq.Customer
	err = form.newAccount(&in)
	if err == nil {
		in.CustomFields, err = form.Custom.values(func(string) bool { return true })
	}
	if err == nil {
		c, err = h.DB.CreateCustomer(r.Context(), in)
	}
	if aboutInput(err) {
		form.fail(err, customerFields)
		return h.renderCustomers(w, r, http.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/customers/"+c.ID.String(), c.Name+" was added.")
	return nil
}

// customerData is a customer's page: what the store read, and the forms,
// each as sent when it was refused.
type customerData struct {
	*postgres.CustomerPage
	Summary    *aiReport
	Edit       *formState
	NewContact *formState
	// ContactForms holds the edit form of a contact that was refused, by
	// the contact's id.
	ContactForms map[string]*formState
	CSMError     string
	StateError   string // archiving or unarchiving, refused
	Segments     []string
	// CustomValues are the customer's custom field values, as shown.
	CustomValues []customValue
	// HealthChart draws the health history; LevelClass colours the levels.
	HealthChart *scoreChart
	LevelClass  map[string]string
}

type aiReport struct {
	Text      string
	Facts     any
	Citations any
}

// Contact returns the edit form of a contact: as sent when it was
// refused, else filled from the contact.
func (d *customerData) Contact(u *onboardiq.User) *formState {
	if f, ok := d.ContactForms[u.ID.String()]; ok {
		return f
	}
	return emptyForm("contact-"+u.ID.String(), map[string]string{"name": u.Name, "email": u.Email})
}

// ContactOpen reports whether a contact's edit form was refused.
func (d *customerData) ContactOpen(u *onboardiq.User) bool {
	_, ok := d.ContactForms[u.ID.String()]
	return ok
}

// loadCustomer reads a customer's page, its forms empty.
func (h *Handler) loadCustomer(r *http.Request, id uuid.UUID) (*customerData, error) {
	pg, err := h.DB.LoadCustomerPage(r.Context(), id)
	if err != nil {
		return nil, err
	}
	edit := emptyForm("customer", customerValues(pg.Customer))
	edit.Custom = newCustomInputs(edit.ID, pg.CustomFields, pg.Customer.CustomFields)
	d := &customerData{CustomerPage: pg, Edit: edit, CustomValues: customValues(pg.CustomFields, pg.Customer.CustomFields),
		NewContact: emptyForm("new-contact", nil), ContactForms: map[string]*formState{}, Segments: onboardiq.Segments}
	if hv := pg.Health; hv != nil {
		d.LevelClass = levelClasses(hv.Levels)
		cfg := health.Config{Levels: hv.Levels}
		d.HealthChart = healthChart(hv.History, hv.Levels, cfg.LevelName, time.Now())
	}
	return d, nil
}

func (h *Handler) renderCustomer(w http.ResponseWriter, r *http.Request, status int, d *customerData) error {
	return h.render(w, r, status, "customer.html", view{Title: d.Customer.Name, Data: d, Unread: d.Unread, counted: true})
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.loadCustomer(r, id)
	if err != nil {
		return err
	}
	return h.renderCustomer(w, r, http.StatusOK, d)
}

func (h *Handler) summary(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := h.loadCustomer(r, id)
	if err != nil {
		return err
	}
	rep, err := h.Assistant.Summary(r.Context(), d.Customer.ID, time.Now().AddDate(0, 0, -30), time.Now())
	if err != nil {
		return err
	}
	d.Summary = &aiReport{Text: rep.Text, Facts: rep.Facts}
	return h.renderCustomer(w, r, http.StatusOK, d)
}

// customerUpdate saves the customer's edit form: name, contact details,
// segment. The contact_info keys the form does not show are kept.
func (h *Handler) customerUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	form := newFormState(r, "customer", customerFormFields...)
	before, err := h.DB.GetCustomer(r.Context(), id)
	if err != nil {
		return err
	}
	defs, err := h.DB.ListCustomFields(r.Context(), onboardiq.CustomFieldCustomer)
	if err != nil {
		return err
	}
	form.Custom = readCustomInputs(r, form.ID, defs)
	patch := onboardiq.CustomerPatch{Name: onboardiq.Set(form.Values["name"]),
		ContactInfo: onboardiq.Set(form.contactInfo(before.ContactInfo)), Segment: onboardiq.Set(form.Values["segment"])}
	var c *onboardiq.Customer
	err = form.accountPatch(r, &patch)
	if err == nil {
		var values map[string]any
		if values, err = form.Custom.values(func(name string) bool { _, ok := r.PostForm[name]; return ok }); len(values) > 0 {
			patch.CustomFields = onboardiq.Set(values)
		}
	}
	if err == nil {
		c, err = h.DB.UpdateCustomer(r.Context(), id, patch)
	}
	if aboutInput(err) {
		d, lerr := h.loadCustomer(r, id)
		if lerr != nil {
			return lerr
		}
		form.fail(err, customerFields)
		d.Edit = form
		return h.renderCustomer(w, r, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/customers/"+c.ID.String(), "The customer's details were saved.")
	return nil
}

// customerArchive archives or unarchives a customer (archive says which).
func (h *Handler) customerArchive(archive bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r)
		if err != nil {
			return err
		}
		msg := " was archived: it left the customers list, and no new project can start for it."
		var c *onboardiq.Customer
		if archive {
			c, err = h.DB.ArchiveCustomer(r.Context(), id)
		} else {
			msg = " is active again."
			c, err = h.DB.UnarchiveCustomer(r.Context(), id)
		}
		if aboutInput(err) {
			d, lerr := h.loadCustomer(r, id)
			if lerr != nil {
				return lerr
			}
			d.StateError = errText(err)
			return h.renderCustomer(w, r, http.StatusUnprocessableEntity, d)
		}
		if err != nil {
			return err
		}
		h.redirectFlash(w, r, "/app/customers/"+c.ID.String(), c.Name+msg)
		return nil
	}
}

// customerCSM assigns the customer's CSM, or none.
func (h *Handler) customerCSM(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	csmError := func(d *customerData, err error) { d.CSMError = onboardiq.ErrorMessage(err) }
	var member *uuid.UUID
	if v := r.FormValue("support_member_id"); v != "" {
		m, perr := uuid.Parse(v)
		if perr != nil {
			return h.customerFormError(w, r, id, onboardiq.Invalid("support_member_id", "is not a support member (a csm or admin) of this workspace"), csmError)
		}
		member = &m
	}
	c, err := h.DB.AssignSupportMember(r.Context(), id, member)
	if aboutInput(err) {
		return h.customerFormError(w, r, id, err, csmError)
	}
	if err != nil {
		return err
	}
	msg := "The customer has no CSM now."
	if member != nil {
		msg = "The CSM was assigned."
	}
	h.redirectFlash(w, r, "/app/customers/"+c.ID.String(), msg)
	return nil
}

// customerFormError answers a refused form of customer id's page: the
// page again, 422, with set placing the error.
func (h *Handler) customerFormError(w http.ResponseWriter, r *http.Request, id uuid.UUID, err error, set func(*customerData, error)) error {
	d, lerr := h.loadCustomer(r, id)
	if lerr != nil {
		return lerr
	}
	set(d, err)
	return h.renderCustomer(w, r, http.StatusUnprocessableEntity, d)
}
