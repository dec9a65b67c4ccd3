package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/onboardiq/onboardiq"
)

type templateData struct {
	Template *onboardiq.Template
	Lines    string
}

// templateLines writes a template's tasks one per line:
// phase | description | offset days | duration days | customer or vendor | customer or internal.
func templateLines(t *onboardiq.Template) string {
	var b strings.Builder
	for _, pt := range t.Tasks {
		fmt.Fprintf(&b, "%s | %s | %d | %d | %s | %s\n", pt.Phase, pt.Description, pt.OffsetDays, pt.DurationDays, pt.Side, pt.Visibility)
	}
	return b.String()
}

// parseTemplateLines reads them back, keeping each task's details by
// position when its description is unchanged.
func parseTemplateLines(text string, old []onboardiq.TemplateTask) ([]onboardiq.TemplateTask, error) {
	details := map[string]string{}
	for _, pt := range old {
		details[pt.Description] = pt.Details
	}
	var out []onboardiq.TemplateTask
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 6 {
			return nil, onboardiq.Invalid("tasks", "line %d: want phase | description | offset days | duration days | customer or vendor | customer or internal", n+1)
		}
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		offset, err1 := strconv.Atoi(f[2])
		duration, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			return nil, onboardiq.Invalid("tasks", "line %d: the offset and the duration are whole numbers of days", n+1)
		}
		out = append(out, onboardiq.TemplateTask{Phase: f[0], Description: f[1], Details: details[f[1]], OffsetDays: offset, DurationDays: duration,
			Side: f[4], Visibility: onboardiq.Visibility(f[5])})
	}
	return out, nil
}

func (h *Handler) templateEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	t, err := h.DB.GetTemplate(r.Context(), id)
	if err != nil {
		return err
	}
	return h.render(w, r, http.StatusOK, "template_edit.html", view{Title: "Edit " + t.Name, Data: templateData{t, templateLines(t)}})
}

func (h *Handler) templateSave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	old, err := h.DB.GetTemplate(ctx, id)
	if err != nil {
		return err
	}
	edited := &onboardiq.Template{ID: id, Name: r.FormValue("name"), Description: r.FormValue("description"), IsDefault: r.FormValue("is_default") == "on"}
	tasks, err := parseTemplateLines(r.FormValue("tasks"), old.Tasks)
	if err == nil {
		edited.Tasks = tasks
		_, err = h.DB.UpdateTemplate(ctx, id, *edited)
	}
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.render(w, r, http.StatusUnprocessableEntity, "template_edit.html", view{Title: "Edit " + old.Name, Error: errText(err),
			Data: templateData{edited, r.FormValue("tasks")}})
	}
	return h.settingsFlash(w, r, "Saved the template "+edited.Name+".")
}
