package web

import (
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The form that starts a project: customer, template, name, description,
// start date and deadline. Its dates are calendar days, counted as every
// plan is (decision 11): a project starts at the beginning of its start
// date and is due at the end of its deadline, in UTC, so its template's
// working days fall on the days the form shows. Only "today", the start
// date offered, is the workspace's.
const dateLayout = "2006-01-02"

var projectFields = map[string]string{"customer_id": "customer_id", "template_id": "template_id", "name": "name",
	"description": "description", "start_date": "start_date", "deadline": "deadline"}

var projectFormFields = []string{"customer_id", "template_id", "name", "description", "start_date", "deadline"}

type projectNewData struct {
	*postgres.NewProjectForm
	Form *formState
}

// Selected reports whether the form's field holds id.
func (d *projectNewData) Selected(field string, id uuid.UUID) bool {
	return d.Form.Value(field) == id.String()
}

func (h *Handler) projectNew(w http.ResponseWriter, r *http.Request) error {
	pf, err := h.DB.LoadNewProjectForm(r.Context())
	if err != nil {
		return err
	}
	loc := zone(pf.TimeZone)
	values := map[string]string{"start_date": time.Now().In(loc).Format(dateLayout)}
	for _, t := range pf.Templates {
		if t.IsDefault {
			values["template_id"] = t.ID.String()
		}
	}
	if id, err := uuid.Parse(r.URL.Query().Get("customer_id")); err == nil {
		for _, c := range pf.Customers {
			if c.ID == id {
				values["customer_id"], values["name"] = c.ID.String(), c.Name+" onboarding"
			}
		}
	}
	return h.render(w, r, http.StatusOK, "project_new.html", view{Title: "New project",
		Data: &projectNewData{NewProjectForm: pf, Form: emptyForm("project", values)}, Unread: pf.Unread, counted: true})
}

// projectCreate starts a project from the form; refused, the form comes
// back with the error beside its field and the input kept.
func (h *Handler) projectCreate(w http.ResponseWriter, r *http.Request) error {
	pf, err := h.DB.LoadNewProjectForm(r.Context())
	if err != nil {
		return err
	}
	form := newFormState(r, "project", projectFormFields...)
	in, err := projectInput(form)
	var pr *onboardiq.Project
	if err == nil {
		pr, err = h.DB.CreateProject(r.Context(), in)
	}
	if aboutInput(err) {
		form.fail(err, projectFields)
		form.Values["description"] = r.FormValue("description") // as typed, spaces and all
		return h.render(w, r, http.StatusUnprocessableEntity, "project_new.html", view{Title: "New project",
			Data: &projectNewData{NewProjectForm: pf, Form: form}, Unread: pf.Unread, counted: true})
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/projects/"+pr.ID.String(), pr.Name+" was created.")
	return nil
}

// projectInput reads the form into a new project.
func projectInput(f *formState) (onboardiq.NewProject, error) {
	in := onboardiq.NewProject{Name: f.Values["name"], Description: f.Values["description"]}
	if v := f.Values["customer_id"]; v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return in, onboardiq.Invalid("customer_id", "no such customer")
		}
		in.CustomerID = id
	}
	if v := f.Values["template_id"]; v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return in, onboardiq.Invalid("template_id", "no such template")
		}
		in.TemplateID = &id
	}
	start, err := formDate(f.Values["start_date"], "start_date", false)
	if err != nil {
		return in, err
	}
	if start == nil {
		return in, onboardiq.Invalid("start_date", "is required")
	}
	in.StartDate = *start
	if in.Deadline, err = formDate(f.Values["deadline"], "deadline", true); err != nil {
		return in, err
	}
	return in, nil
}

// formDate reads a date field (YYYY-MM-DD) as the beginning of that day in
// UTC, or its end (its last second); nil when empty.
func formDate(s, field string, end bool) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	d, err := time.Parse(dateLayout, s)
	if err != nil {
		return nil, onboardiq.Invalid(field, "must be a date such as 2026-03-02")
	}
	if end {
		d = d.Add(24*time.Hour - time.Second)
	}
	return &d, nil
}

// zone is the workspace's time zone, or UTC when it names none.
func zone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil && name != "" {
		return loc
	}
	return time.UTC
}
