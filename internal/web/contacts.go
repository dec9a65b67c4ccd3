package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// A customer's contacts are added, changed, disabled and invited from the
// customer's page, by those who may change customers.

var contactFields = map[string]string{"name": "name", "email": "email"}

// contactAdd adds a contact to the customer and sends their invitation.
func (h *Handler) contactAdd(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	form := newFormState(r, "new-contact", "name", "email")
	u, link, err := h.DB.AddContact(r.Context(), id, onboardiq.NewContact{Name: form.Values["name"], Email: form.Values["email"]}, h.appURL())
	if aboutInput(err) {
		return h.customerFormError(w, r, id, err, func(d *customerData, err error) {
			form.fail(err, contactFields)
			d.NewContact = form
		})
	}
	if err != nil {
		return err
	}
	h.noteLink(r, link, u.Email)
	h.redirectFlash(w, r, "/app/customers/"+id.String()+"#contacts", u.Name+" was added and sent an invitation to the portal.")
	return nil
}

// contactID parses the {contact} of a path.
func contactID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("contact"))
	if err != nil {
		return uuid.Nil, errNotFound
	}
	return id, nil
}

// contactUpdate saves a contact's edit form: name and email.
func (h *Handler) contactUpdate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := contactID(r)
	if err != nil {
		return err
	}
	form := newFormState(r, "contact-"+cid.String(), "name", "email")
	u, err := h.DB.UpdateContact(r.Context(), cid, onboardiq.ContactPatch{Name: onboardiq.Set(form.Values["name"]), Email: onboardiq.Set(form.Values["email"])})
	if aboutInput(err) {
		return h.customerFormError(w, r, id, err, func(d *customerData, err error) {
			form.fail(err, contactFields)
			d.ContactForms[cid.String()] = form
		})
	}
	if err != nil {
		return err
	}
	h.redirectFlash(w, r, contactReturn(u), u.Name+"'s details were saved.")
	return nil
}

// contactDisable disables a contact, or enables them again.
func (h *Handler) contactDisable(disable bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := pathID(r); err != nil {
			return err
		}
		cid, err := contactID(r)
		if err != nil {
			return err
		}
		u, err := h.DB.UpdateContact(r.Context(), cid, onboardiq.ContactPatch{Disabled: onboardiq.Set(disable)})
		if err != nil {
			return err
		}
		msg := u.Name + " was disabled: they can no longer sign in."
		if !disable {
			msg = u.Name + " can sign in again. Send them an invitation if they need a link."
		}
		h.redirectFlash(w, r, contactReturn(u), msg)
		return nil
	}
}

// contactInvite sends a contact their invitation again.
func (h *Handler) contactInvite(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	cid, err := contactID(r)
	if err != nil {
		return err
	}
	u, link, err := h.DB.ResendInvitation(r.Context(), cid, h.appURL())
	if onboardiq.ErrorCode(err) == onboardiq.ECONFLICT {
		return h.customerFormError(w, r, id, err, func(d *customerData, err error) {
			for _, u := range d.Contacts {
				if u.ID == cid {
					f := d.Contact(u)
					f.Error = errText(err)
					d.ContactForms[cid.String()] = f
				}
			}
		})
	}
	if err != nil {
		return err
	}
	h.noteLink(r, link, u.Email)
	h.redirectFlash(w, r, contactReturn(u), "A new invitation is on its way to "+u.Email+"; the earlier links no longer work.")
	return nil
}

// contactReturn is where a change to contact u leads: their customer's
// page, at the contacts.
func contactReturn(u *onboardiq.User) string {
	if u.CustomerID == nil {
		return "/app/customers"
	}
	return "/app/customers/" + u.CustomerID.String() + "#contacts"
}

// appURL is the app's address for the links emails carry.
func (h *Handler) appURL() string { return strings.TrimRight(h.BaseURL, "/") }

// noteLink shows an invitation's link where sign-in links are shown when
// no SMTP server is configured: the log, and in development the mailbox.
func (h *Handler) noteLink(r *http.Request, link postgres.SentLink, email string) {
	if link.URL == "" || (!h.LogLinks && !h.DevMailbox) {
		return
	}
	p := onboardiq.PrincipalFromContext(r.Context())
	h.Logger.InfoContext(r.Context(), "invitation link (no SMTP server configured)", "workspace", p.TenantSlug, "email", email, "link", link.URL)
	if h.DevMailbox {
		h.outbox.add(mailboxItem{Workspace: p.TenantSlug, To: email, Subject: link.Subject, Link: link.URL, At: time.Now()})
	}
}
