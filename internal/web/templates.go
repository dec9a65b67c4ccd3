package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// The templates: a list, and an editor with one row per task (see
// template_form.go). Staff read them; admins create, edit, duplicate and
// delete them, and save a project as one.

// templatesList lists the tenant's templates.
func (h *Handler) templatesList(w http.ResponseWriter, r *http.Request) error {
	ts, err := h.DB.ListTemplates(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "templates.html", view{Title: "Templates", Data: ts})
}

// templateEdit shows a template: the editor to admins, a table to other
// staff.
func (h *Handler) templateEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.GetTemplate(r.Context(), id)
	if err != nil {
		return err
	}
	p := onboardiq.PrincipalFromContext(r.Context())
	return h.renderEditor(w, r, http.StatusOK, editorOf(t, p.Can(onboardiq.ManageTemplates)))
}

// templateNew shows the editor of a new template (admins).
func (h *Handler) templateNew(w http.ResponseWriter, r *http.Request) error {
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.ManageTemplates); err != nil {
		return err
	}
	return h.renderEditor(w, r, http.StatusOK, newEditor())
}

func (h *Handler) renderEditor(w http.ResponseWriter, r *http.Request, status int, e *templateEditor) error {
	title := "Template: " + e.Name
	switch {
	case e.New():
		title = "New template"
	case e.CanEdit:
		title = "Edit the template " + e.Template.Name
	}
	return h.render(w, r, status, "template_edit.html", view{Title: title, Data: e})
}

// templateCreate saves a new template from the editor, then opens it.
func (h *Handler) templateCreate(w http.ResponseWriter, r *http.Request) error {
	// Only an editor may be shown the editor again, even with a refusal.
	if err := onboardiq.PrincipalFromContext(r.Context()).Check(onboardiq.ManageTemplates); err != nil {
		return err
	}
	e, in, rowOf, err := parseTemplateForm(r.PostForm, uuid.Nil)
	if err == nil {
		var t *onboardiq.Template
		if t, err = h.DB.CreateTemplate(r.Context(), in); err == nil {
			h.redirectFlash(w, r, "/app/templates/"+t.ID.String(), "Created the template "+t.Name+".")
			return nil
		}
		if aboutInput(err) {
			placeError(e, rowOf, err)
		}
	}
	if !aboutInput(err) {
		return err
	}
	return h.renderEditor(w, r, http.StatusUnprocessableEntity, e)
}

// templateSave saves the editor. A refusal shows the editor again, every
// value as typed, the error beside the row and field it is about.
func (h *Handler) templateSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := onboardiq.PrincipalFromContext(ctx).Check(onboardiq.ManageTemplates); err != nil {
		return err
	}
	old, err := h.DB.GetTemplate(ctx, id)
	if err != nil {
		return err
	}
	e, in, rowOf, err := parseTemplateForm(r.PostForm, id)
	e.WasDefault, e.Projects, e.Template = old.IsDefault, old.Projects, old
	if err == nil {
		var t *onboardiq.Template
		if t, err = h.DB.UpdateTemplate(ctx, id, in); err == nil {
			h.redirectFlash(w, r, "/app/templates/"+id.String(), "Saved the template "+t.Name+".")
			return nil
		}
		if aboutInput(err) {
			placeError(e, rowOf, err)
		}
	}
	if !aboutInput(err) {
		return err
	}
	return h.renderEditor(w, r, http.StatusUnprocessableEntity, e)
}

// templateDuplicate copies a template as "Copy of …" and opens the copy.
func (h *Handler) templateDuplicate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.DuplicateTemplate(r.Context(), id, strings.TrimSpace(r.FormValue("name")))
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/templates/"+t.ID.String(), "Copied the template as "+t.Name+".")
	return nil
}

// templateDelete deletes a template. The default one is refused: the
// templates list comes back with the reason.
func (h *Handler) templateDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	t, err := h.DB.GetTemplate(ctx, id)
	if err != nil {
		return err
	}
	err = h.DB.DeleteTemplate(ctx, id)
	if aboutInput(err) {
		ts, lerr := h.DB.ListTemplates(ctx)
		if lerr != nil {
			return lerr
		}
		return h.render(w, r, http.StatusUnprocessableEntity, "templates.html", view{Title: "Templates",
			Error: "Could not delete “" + t.Name + "”: " + onboardiq.ErrorMessage(err) + ".", Data: ts})
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, "/app/templates", "Deleted the template "+t.Name+".")
	return nil
}

// fromProjectForm is the form that saves a project as a template.
type fromProjectForm struct {
	Project *onboardiq.Project
	Name    string
	Error   string // beside the name when Field is "name", above the form otherwise
	Field   string
}

// templateFromProjectPage shows the form that saves a project as a
// template (admins).
func (h *Handler) templateFromProjectPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	if err := onboardiq.PrincipalFromContext(ctx).Check(onboardiq.ManageTemplates); err != nil {
		return err
	}
	id, err := uuid.Parse(r.FormValue("project_id"))
	if err != nil {
		return errNotFound
	}
	pr, err := h.DB.GetProject(ctx, id)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "template_from_project.html", view{Title: "Save a project as a template",
		Data: fromProjectForm{Project: pr, Name: pr.Name}})
}

// templateFromProject saves a project as a template and opens it. A
// refused name comes back on the form, as typed.
func (h *Handler) templateFromProject(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := uuid.Parse(r.FormValue("project_id"))
	if err != nil {
		return errNotFound
	}
	name := strings.TrimSpace(r.FormValue("name"))
	t, err := h.DB.CreateTemplateFromProject(ctx, id, name)
	if err == nil {
		h.redirectFlash(w, r, "/app/templates/"+t.ID.String(), "Saved the project as the template "+t.Name+".")
		return nil
	}
	if !aboutInput(err) {
		return err
	}
	pr, perr := h.DB.GetProject(ctx, id)
	if perr != nil {
		return perr
	}
	return h.render(w, r, http.StatusUnprocessableEntity, "template_from_project.html", view{Title: "Save a project as a template",
		Data: fromProjectForm{Project: pr, Name: r.FormValue("name"), Error: onboardiq.ErrorMessage(err), Field: onboardiq.ErrorField(err)}})
}

// oldTemplateEdit sends the settings page's old template links to the
// editor.
func (h *Handler) oldTemplateEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/app/templates/"+id.String(), http.StatusMovedPermanently)
	return nil
}
