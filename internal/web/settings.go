package web

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (h *Handler) settingsFlash(w http.ResponseWriter, r *http.Request, msg string) error {
	h.redirectFlash(w, r, "/app/settings", msg)
	return nil
}

// inviteUser invites a member of staff (admins): they are added without
// a password and emailed a link to choose one, which signs them in. A
// refused value re-renders the page with the error beside its field and
// what was typed kept.
func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request) error {
	in := onboardiq.NewUser{Email: r.FormValue("email"), Name: r.FormValue("name"), Role: onboardiq.Role(r.FormValue("role"))}
	u, link, err := h.DB.InviteStaff(r.Context(), in, h.appURL())
	if qe := onboardiq.AsQuotaError(err); aboutInput(err) || qe != nil {
		status := http.StatusUnprocessableEntity
		if qe != nil {
			status = http.StatusForbidden // no seat left: the form says so, beside it
		}
		return h.settingsPage(w, r, status, func(d *settingsData) {
			d.Invite = inviteForm{Email: in.Email, Name: in.Name, Role: string(in.Role), Field: onboardiq.ErrorField(err), Error: onboardiq.ErrorMessage(err)}
		})
	}
	if err != nil {
		return err
	}
	h.noteLink(r, link, u.Email)
	return h.settingsFlash(w, r, fmt.Sprintf("Invitation sent to %s (%s): they join by choosing a password within 7 days.", u.Email, u.Role))
}

// inviteForm is the settings page's "Invite a team member" form: what was
// typed when it was refused, with the error beside the field it is about.
type inviteForm struct {
	Email, Name, Role string
	Field, Error      string
}

// resendStaffInvitation sends an invited member of staff a new invitation
// (admins); the earlier links stop working.
func (h *Handler) resendStaffInvitation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	u, link, err := h.DB.ResendStaffInvitation(r.Context(), id, h.appURL())
	if err != nil {
		return err
	}
	h.noteLink(r, link, u.Email)
	return h.settingsFlash(w, r, "A new invitation is on its way to "+u.Email+"; the earlier links no longer work.")
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
	Brand    brandingForm
	Rules    contactRulesForm // when emails go to contacts (email_templates.go)
	Surveys  surveySettingsForm
	Invite   inviteForm
}

// brandingForm is the settings page's Branding form (admins): what is
// saved, or what was typed when it was refused, with the error beside the
// field it is about.
type brandingForm struct {
	PortalName, AccentColor string
	Logo                    *onboardiq.Logo
	Version                 string // the saved branding's, for the logo's URL
	Field, Error            string
}

// settings shows the settings page, each part only to those who may see
// it, read whole in one transaction.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request) error {
	return h.settingsPage(w, r, http.StatusOK, nil)
}

// settingsPage renders the settings page with status; typed, when set, puts
// a form as it was sent and refused in the page's data.
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, status int, typed func(*settingsData)) error {
	pg, err := h.DB.LoadSettingsPage(r.Context(), h.Assistant.Embedder.Model())
	if err != nil {
		return err
	}
	d := &settingsData{SettingsPage: pg, Embedder: h.Assistant.Embedder.Model(), LLM: h.Assistant.Chat.Provider() + " / " + h.Assistant.Chat.Model()}
	if b := pg.Branding; b != nil {
		d.Brand = brandingForm{PortalName: b.PortalName, AccentColor: b.AccentColor, Logo: b.Logo, Version: (&postgres.PortalBrand{Branding: *b}).Version()}
	}
	d.Rules = newContactRulesForm(pg.Settings.ContactEmails)
	d.Surveys = newSurveySettingsForm(pg.Surveys)
	if typed != nil {
		typed(d)
	}
	return h.render(w, r, status, "settings.html", view{Title: "Settings", Data: d, Unread: pg.Unread, counted: true})
}

// maxBrandingForm bounds the Branding form's body: a logo a few times the
// largest the store keeps (onboardiq.MaxLogoBytes), so that one too large
// is refused beside its field, with the rest of the form kept.
const maxBrandingForm = 4*onboardiq.MaxLogoBytes + 64<<10

// saveBranding saves the portal's branding (admins): its name, accent
// colour and logo (an upload, or removed). A refused value re-renders the
// page with the error beside its field and the typed name and colour kept.
func (h *Handler) saveBranding(w http.ResponseWriter, r *http.Request) error {
	in := onboardiq.BrandingInput{PortalName: r.FormValue("portal_name"), AccentColor: r.FormValue("accent_color"), RemoveLogo: r.FormValue("remove_logo") == "on"}
	if r.MultipartForm != nil {
		if files := r.MultipartForm.File["logo"]; len(files) > 0 && files[0].Size > 0 {
			f, err := files[0].Open()
			if err != nil {
				return fmt.Errorf("read the logo: %w", err)
			}
			in.Logo, err = io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return fmt.Errorf("read the logo: %w", err)
			}
		}
	}
	if _, err := h.DB.SetBranding(r.Context(), in); err != nil {
		if !aboutInput(err) {
			return err
		}
		return h.settingsPage(w, r, http.StatusUnprocessableEntity, func(d *settingsData) {
			d.Brand.PortalName, d.Brand.AccentColor = r.FormValue("portal_name"), r.FormValue("accent_color")
			d.Brand.Field, d.Brand.Error = onboardiq.ErrorField(err), onboardiq.ErrorMessage(err)
		})
	}
	h.redirectFlash(w, r, "/app/settings#branding", "Saved the portal's branding.")
	return nil
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
