package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/mailtemplate"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// The portal's email preferences (a contact chooses which emails they get
// and their time zone) and the unsubscribe page an email's link opens.

// portalPrefsData is the preferences page: the choices as saved, or as
// typed when the form was refused, with the error beside its field.
type portalPrefsData struct {
	Prefs        *postgres.ContactEmailPreferences
	TimeZone     string
	Zones        []string
	Field, Error string
	Saved        bool
}

// commonZones are the time zones the page suggests; any IANA name is
// accepted.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Europe/Rome",
	"Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm", "Europe/Oslo", "Europe/Copenhagen",
	"Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Istanbul", "Europe/Kyiv", "Africa/Cairo",
	"Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Hong_Kong",
	"Asia/Shanghai", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland", "America/St_Johns",
	"America/Halifax", "America/New_York", "America/Toronto", "America/Chicago", "America/Mexico_City", "America/Denver",
	"America/Phoenix", "America/Los_Angeles", "America/Vancouver", "America/Anchorage", "Pacific/Honolulu", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires", "America/Bogota", "America/Lima", "America/Santiago",
}

// portalPreferences shows the contact's choices of email.
func (h *Handler) portalPreferences(w http.ResponseWriter, r *http.Request) error {
	p, err := h.DB.GetContactEmailPreferences(r.Context())
	if err != nil {
		return err
	}
	d := &portalPrefsData{Prefs: p, TimeZone: p.TimeZone, Zones: commonZones, Saved: r.URL.Query().Get("saved") == "1"}
	return h.render(w, r, http.StatusOK, "portal_preferences.html", view{Title: "Your emails", Data: d})
}

// portalPreferencesSave saves the contact's choices: every kind they may
// turn off is on when its box is ticked, off otherwise. A time zone that
// is none comes back beside its field, the boxes as they were ticked.
func (h *Handler) portalPreferencesSave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ticked := r.Form["on"]
	var choices []postgres.ContactEmailChoice
	for _, k := range mailtemplate.OptionalKinds() {
		choices = append(choices, postgres.ContactEmailChoice{Kind: k, On: slices.Contains(ticked, k)})
	}
	tz := strings.TrimSpace(r.FormValue("time_zone"))
	_, err := h.DB.SetContactEmailPreferences(ctx, choices, &tz)
	if err == nil {
		http.Redirect(w, r, "/portal/"+r.PathValue("slug")+"/preferences?saved=1", http.StatusSeeOther)
		return nil
	}
	if !aboutInput(err) {
		return err
	}
	current, gerr := h.DB.GetContactEmailPreferences(ctx)
	if gerr != nil {
		return gerr
	}
	for i := range current.Preferences {
		if p := &current.Preferences[i]; p.Optional {
			p.On = slices.Contains(ticked, p.Kind)
		}
	}
	d := &portalPrefsData{Prefs: current, TimeZone: tz, Zones: commonZones, Field: onboardiq.ErrorField(err), Error: onboardiq.ErrorMessage(err)}
	return h.render(w, r, http.StatusUnprocessableEntity, "portal_preferences.html", view{Title: "Your emails", Data: d})
}

// unsubscribeData is the unsubscribe page: what the link names, and, once
// applied, what was turned off.
type unsubscribeData struct {
	U     *postgres.Unsubscription
	Token string
	Slug  string
	Done  bool
	All   bool
}

// unsubscription reads the link of r (its token, from the query or the
// form) for the workspace of the path: a bad token, or one of another
// workspace, is not found, and nothing is changed.
func (h *Handler) unsubscription(r *http.Request) (*postgres.Unsubscription, *postgres.PortalBrand, error) {
	ctx := r.Context()
	u, err := h.DB.CheckUnsubscribe(ctx, r.FormValue("token"))
	if err != nil {
		return nil, nil, err
	}
	b, err := h.DB.GetPublicBranding(ctx, r.PathValue("slug"))
	if err != nil {
		return nil, nil, err
	}
	tenant, err := h.DB.TenantIDBySlug(ctx, b.Slug)
	if err != nil {
		return nil, nil, err
	}
	if tenant != u.TenantID {
		return nil, nil, errNotFound
	}
	return u, b, nil
}

// unsubscribePage asks to confirm an unsubscribe link: opening it (a mail
// scanner does) changes nothing. No sign-in is needed: the link is signed.
func (h *Handler) unsubscribePage(w http.ResponseWriter, r *http.Request) error {
	u, b, err := h.unsubscription(r)
	if err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "portal_unsubscribe.html", view{Title: "Unsubscribe", Slug: b.Slug, Brand: b,
		Data: &unsubscribeData{U: u, Token: r.FormValue("token"), Slug: b.Slug}})
}

// unsubscribe applies an unsubscribe link: the page's buttons (this kind,
// or every kind that may be turned off), and the one-click POST of RFC 8058
// that mail providers send (body List-Unsubscribe=One-Click, the token in
// the query, from another origin and without cookies), which is why this
// route alone is left out of the cross-origin protection: the signed token
// is what authorises it. It answers 200 with the confirmation.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request) error {
	_, b, err := h.unsubscription(r)
	if err != nil {
		return err
	}
	all := r.FormValue("all") == "1"
	u, err := h.DB.Unsubscribe(r.Context(), r.FormValue("token"), all)
	if err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return h.render(w, r, http.StatusOK, "portal_unsubscribe.html", view{Title: "Unsubscribed", Slug: b.Slug, Brand: b,
		Data: &unsubscribeData{U: u, Slug: b.Slug, Done: true, All: all}})
}
