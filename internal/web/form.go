package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/onboardiq/onboardiq"
)

// maxFormBytes bounds every request body the pages accept: their forms are
// text. The one upload, the branding form's logo, has a limit of its own
// (maxBrandingForm).
const maxFormBytes = 64 << 10

// form reads a request's form before its handler runs, so every page gets
// the same limits: a body over maxFormBytes answers 413, and a field whose
// name or value holds a NUL byte or invalid UTF-8 (which PostgreSQL would
// refuse) answers 422 naming the field. Handlers then read r.Form.
func (h *Handler) form(next handlerFunc) handlerFunc { return h.formUpTo(maxFormBytes, next) }

// formUpTo is form with another limit, for a form that uploads a file (its
// parts are kept in memory, never on disk).
func (h *Handler) formUpTo(limit int64, next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		var err error
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
			err = r.ParseMultipartForm(limit)
		} else {
			err = r.ParseForm()
		}
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			return h.render(w, r, http.StatusRequestEntityTooLarge, "error.html", view{Title: "Too much to send",
				Error: fmt.Sprintf("The form is larger than the %d KiB a page accepts; shorten it and try again.", limit>>10)})
		case err != nil:
			return h.render(w, r, http.StatusBadRequest, "error.html", view{Title: "Could not read the form", Error: "The form could not be read; reload the page and try again."})
		}
		if msg := badField(r.Form); msg != "" {
			return h.render(w, r, http.StatusUnprocessableEntity, "error.html", view{Title: "Could not do that", Error: msg})
		}
		return next(w, r)
	}
}

// badField names the first field (in name order) whose name or value holds
// a NUL byte or invalid UTF-8, or returns "".
func badField(form url.Values) string {
	names := make([]string, 0, len(form))
	for name := range form {
		names = append(names, name)
	}
	sort.Strings(names)
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 }
	for _, name := range names {
		if bad(name) {
			return "A field's name holds a NUL byte or invalid UTF-8; send text only."
		}
		for _, v := range form[name] {
			if bad(v) {
				if len(name) > 64 {
					name = name[:64] + "…"
				}
				return fmt.Sprintf("The field %q holds a NUL byte or invalid UTF-8; send text only.", name)
			}
		}
	}
	return ""
}

// fieldLimit is the longest value a field may have, in characters (the
// form is already known to be valid UTF-8 and at most 64 KiB).
type fieldLimit struct {
	name string
	max  int
}

// Limits of the sign-in forms' fields, checked before anything is looked
// up or counted.
var (
	limitWorkspace = fieldLimit{"workspace", 63}
	limitEmail     = fieldLimit{"email", 254}
	limitPassword  = fieldLimit{"password", onboardiq.MaxPassword}
	limitConfirm   = fieldLimit{"confirm", onboardiq.MaxPassword}
	limitToken     = fieldLimit{"token", 128}
	limitNext      = fieldLimit{"next", maxNext}
)

// tooLong returns a message naming the first field of r's form that is
// longer than its limit, or "".
func tooLong(r *http.Request, limits ...fieldLimit) string {
	for _, l := range limits {
		if utf8.RuneCountInString(r.Form.Get(l.name)) > l.max {
			return fmt.Sprintf("The %s is too long: at most %d characters.", l.name, l.max)
		}
	}
	return ""
}
