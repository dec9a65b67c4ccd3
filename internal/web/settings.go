package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (h *Handler) settingsFlash(w http.ResponseWriter, r *http.Request, msg string) error {
	h.redirectFlash(w, r, "/app/settings", msg)
	return nil
}

// inviteUser creates a user (admins): staff sign in after a password reset;
// customer contacts with a sign-in link.
func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request) error {
	in := onboardiq.NewUser{Email: r.FormValue("email"), Name: r.FormValue("name"), Role: onboardiq.Role(r.FormValue("role"))}
	if c := r.FormValue("customer_id"); c != "" {
		if id, err := uuid.Parse(c); err == nil {
			in.CustomerID = &id
		}
	}
	u, err := h.DB.CreateUser(r.Context(), in)
	if err != nil {
		return err
	}
	return h.settingsFlash(w, r, fmt.Sprintf("Added %s (%s). They can set a password with “Forgot your password?”, or a contact signs in by email link.", u.Name, u.Role))
}

// updateUser changes a user's role or disables them (admins).
func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	patch := onboardiq.UserPatch{Role: onboardiq.Set(onboardiq.Role(r.FormValue("role"))), Disabled: onboardiq.Set(r.FormValue("disabled") == "on")}
	u, err := h.DB.UpdateUser(r.Context(), id, patch)
	if err != nil {
		return err
	}
	return h.settingsFlash(w, r, "Saved "+u.Name+".")
}

// createWebhook registers an endpoint (admins) and shows its secret once.
func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request) error {
	_ = r.ParseForm()
	in := onboardiq.WebhookInput{URL: strings.TrimSpace(r.FormValue("url")), Events: r.Form["events"], Format: r.FormValue("format"),
		AllowHTTP: r.FormValue("allow_http") == "on"}
	ep, secret, err := h.DB.CreateWebhook(r.Context(), in)
	if err != nil {
		return err
	}
	return h.settingsFlash(w, r, fmt.Sprintf("Registered %s. Its signing secret, shown only now: %s", ep.URL, secret))
}

// webhookAction sends a test event, or disables or enables an endpoint.
func (h *Handler) webhookAction(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	switch r.PathValue("action") {
	case "test":
		if _, err := h.DB.TestWebhook(ctx, id); err != nil {
			return err
		}
		return h.settingsFlash(w, r, "A test event is on its way; see the deliveries below.")
	case "disable", "enable":
		ep, err := h.DB.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		in := onboardiq.WebhookInput{URL: ep.URL, Events: ep.Events, Format: ep.Format, Description: ep.Description, AllowHTTP: ep.AllowHTTP}
		if _, err := h.DB.UpdateWebhook(ctx, id, in, r.PathValue("action") == "disable"); err != nil {
			return err
		}
		return h.settingsFlash(w, r, "Saved "+ep.URL+".")
	}
	return errNotFound
}

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

type settingsData struct {
	*postgres.SettingsPage
	Embedder string
	LLM      string
}

// settings shows the settings page, each part only to those who may see
// it, read whole in one transaction.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	pg, err := h.DB.LoadSettingsPage(r.Context(), h.Assistant.Embedder.Model())
	if err != nil {
		return err
	}
	d := &settingsData{SettingsPage: pg, Embedder: h.Assistant.Embedder.Model(), LLM: h.Assistant.Chat.Provider() + " / " + h.Assistant.Chat.Model()}
	return h.render(w, r, http.StatusOK, "settings.html", view{Title: "Settings", Data: d, Unread: pg.Unread, counted: true})
}

func (h *Handler) savePreferences(w http.ResponseWriter, r *http.Request) error {
	var prefs []onboardiq.Preference
	for _, k := range postgres.NotificationKinds {
		prefs = append(prefs, onboardiq.Preference{Kind: k, InApp: r.FormValue(k+".in_app") == "on", Email: r.FormValue(k + ".email")})
	}
	if _, err := h.DB.SetPreferences(r.Context(), prefs); err != nil {
		return err
	}
	return h.settingsFlash(w, r, "Preferences saved.")
}
