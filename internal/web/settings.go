package web

import (
	"fmt"
	"net/http"
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
