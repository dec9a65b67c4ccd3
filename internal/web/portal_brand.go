package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"time"

	"github.com/onboardiq/onboardiq"
)

// The portal's branding is served from our own origin, so the pages' strict
// policy stands (img-src 'self'; style-src 'self'): the logo as an image,
// the accent colour as a stylesheet generated from the stored value, which
// the store accepted only as #rrggbb. Both answer conditional requests
// (ETag) and are revalidated on each use (no-cache), so a change shows at
// once; the pages also put the branding's version in their URLs.

// portalLogo serves a workspace's logo, to anyone: PNG, JPEG or WebP as the
// store sniffed it, never as a type the uploader named. No workspace or no
// logo is the 404 page.
func (h *Handler) portalLogo(w http.ResponseWriter, r *http.Request) error {
	logo, err := h.DB.GetPublicLogo(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", logo.ContentType)
	hd.Set("ETag", `"`+logo.SHA256+`"`)
	hd.Set("Cache-Control", "public, no-cache")
	// Opened on its own, the image can do nothing but be an image.
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(logo.Data))
	return nil
}

// portalStylesheet serves a workspace's accent colour as CSS custom
// properties, which app.css's portal rules use: the colour, the text colour
// on it, and the colour for links on white (each legible, WCAG's 4.5:1).
func (h *Handler) portalStylesheet(w http.ResponseWriter, r *http.Request) error {
	b, err := h.DB.GetPublicBranding(r.Context(), r.PathValue("slug"))
	if err != nil {
		return err
	}
	css := brandCSS(b.AccentColor)
	sum := sha256.Sum256(css)
	hd := w.Header()
	hd.Set("Content-Type", "text/css; charset=utf-8")
	hd.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	hd.Set("Cache-Control", "public, no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(css))
	return nil
}

// brandCSS is the stylesheet of an accent colour: empty of rules for the
// default, and otherwise written only from a colour that is #rrggbb (checked
// again here: nothing else reaches CSS).
func brandCSS(accent string) []byte {
	in := onboardiq.BrandingInput{AccentColor: accent}
	if _, err := in.Validate(); err != nil || in.AccentColor == "" {
		return []byte("/* The portal's branding: the default colours. */\n")
	}
	c := in.AccentColor
	return fmt.Appendf(nil, "/* The portal's branding (settings, Branding). */\n:root { --accent: %s; --accent-ink: %s; --accent-text: %s; }\n",
		c, onboardiq.AccentInk(c), onboardiq.AccentText(c))
}
