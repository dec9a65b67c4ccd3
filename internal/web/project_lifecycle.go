package web

import (
	"net/http"

	"github.com/onboardiq/onboardiq"
)

// lifecycleForm is one form of the project page's status card: put on
// hold, resume, cancel or reopen.
type lifecycleForm struct {
	Action onboardiq.Lifecycle
	Label  string // the button
	Reason string // the reason field's label; "" for a change that takes none
	Value  string // the reason typed, kept when the change was refused
	Error  string
}

var lifecycleWords = map[onboardiq.Lifecycle]struct{ label, reason string }{
	onboardiq.LifecycleHold:   {"Put on hold", "Why is it on hold?"},
	onboardiq.LifecycleResume: {"Resume", ""},
	onboardiq.LifecycleCancel: {"Cancel the project", "Why is it cancelled?"},
	onboardiq.LifecycleReopen: {"Reopen", ""},
}

// lifecycleForms lists the forms a project in status s shows, with failed
// (a refused one) in its place. When the status no longer offers the
// refused change (another tab changed it first), its error comes back
// alone, for the status card.
func lifecycleForms(s onboardiq.Status, failed *lifecycleForm) (forms []lifecycleForm, leftover string) {
	placed := false
	for _, l := range onboardiq.LifecyclesFrom(s) {
		f := lifecycleForm{Action: l, Label: lifecycleWords[l].label, Reason: lifecycleWords[l].reason}
		if failed != nil && failed.Action == l {
			f.Value, f.Error, placed = failed.Value, failed.Error, true
		}
		forms = append(forms, f)
	}
	if failed != nil && !placed {
		leftover = failed.Error
	}
	return forms, leftover
}

// projectLifecycle changes a project's status by hand. A refusal the user
// can act on (no reason, or a status that no longer allows it) shows the
// project page again with the error beside the form and the reason kept.
func (h *Handler) projectLifecycle(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	l := onboardiq.Lifecycle(r.PathValue("action"))
	if !l.Valid() {
		return errNotFound
	}
	reason := r.FormValue("reason")
	_, err = h.DB.ChangeProjectLifecycle(r.Context(), id, l, reason)
	if err != nil && !aboutInput(err) {
		return err
	}
	if err != nil {
		return h.renderProject(w, r, id, http.StatusUnprocessableEntity, &pageState{view: formView(r),
			lifecycle: &lifecycleForm{Action: l, Value: reason, Error: errText(err)}})
	}
	http.Redirect(w, r, "/app/projects/"+id.String()+"#status", http.StatusSeeOther)
	return nil
}
