package web

import (
	"net/http"
	"strings"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

// notFound answers a path that names no page: the 404 page (serveError),
// styled with the layout like every other. Under /app and /portal/{slug}
// it runs after staff and customer0, so a signed-in user keeps their
// navigation and a signed-out one is asked to sign in first, as on the
// pages that exist.
func (h *Handler) notFound(http.ResponseWriter, *http.Request) error { return errNotFound }

// anyone wraps a page that anybody may see: a signed-in user is who the
// request is from (for the navigation), and a visitor is nobody. A session
// that cannot be read leaves the request anonymous rather than failing it:
// these pages ask the database nothing else.
func (h *Handler) anyone(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if p, err := h.session(r); err == nil {
			r = h.enter(r, p)
		}
		return next(w, r)
	}
}

// brand sets the portal's branding on v, for the portal's pages: a signed-in
// contact's workspace's, or, before sign-in (the sign-in pages, and an error
// under /portal/{slug}), the branding of the workspace the path names. A
// page's own read, or the session's (customerBranded), may have brought it
// already. Error pages show it when
// they can: a failure to read it (the database gone) leaves them plain, and
// the pages for our own failures do not ask.
func (h *Handler) brand(r *http.Request, status int, page string, v *view) error {
	errorPage := page == "error.html"
	if v.Brand != nil || (errorPage && status >= http.StatusInternalServerError) {
		return nil
	}
	ctx := r.Context()
	var err error
	if b, ok := ctx.Value(brandKey{}).(*postgres.PortalBrand); ok && v.Portal {
		v.Brand = b
		return nil
	}
	switch {
	case v.Portal:
		v.Brand, err = h.DB.GetPortalBrand(ctx)
	case v.Slug != "" && (errorPage || page == "portal_signin.html" || page == "magic.html"):
		v.Brand, err = h.DB.GetPublicBranding(ctx, v.Slug)
		if onboardiq.ErrorCode(err) == onboardiq.ENOTFOUND {
			return nil // no such workspace: the page, plain
		}
	default:
		return nil
	}
	if err != nil && errorPage {
		v.Brand = nil
		return nil
	}
	return err
}

// Back is where an error page offers to go back to: the portal's home or
// its sign-in, the console's dashboard, or the start.
func (v view) Back() string {
	switch {
	case v.Portal:
		return "/portal/" + v.Slug
	case v.P != nil && v.P.Role.IsStaff():
		return "/app"
	case v.Brand != nil:
		return "/portal/" + v.Brand.Slug + "/signin"
	}
	return "/"
}

// BackLabel is the words of the link to Back.
func (v view) BackLabel() string {
	switch {
	case v.Portal:
		return "Back to your onboarding"
	case v.P != nil && v.P.Role.IsStaff():
		return "Back to the dashboard"
	case v.Brand != nil:
		return "Sign in to " + v.Brand.Title()
	}
	return "Back to the start"
}

// plural is the template function plural: a count with its noun
// (onboardiq.Plural), for any integer, or a float rounded as it is shown.
func plural(n any, singular string, pluralForm ...string) string {
	var i int
	switch x := n.(type) {
	case int:
		i = x
	case int64:
		i = int(x)
	case float64:
		i = int(x + 0.5)
		if x < 0 {
			i = int(x - 0.5)
		}
	}
	return onboardiq.Plural(i, strings.TrimSpace(singular), pluralForm...)
}
