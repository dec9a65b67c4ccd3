// Package web serves OnboardIQ's HTML pages from embedded templates.
package web

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
)

//go:embed templates/*.html
var templateFiles embed.FS

var templates = template.Must(template.ParseFS(templateFiles, "templates/*.html"))

// Handler serves the pages.
type Handler struct {
	BaseURL string
	Version string
	Logger  *slog.Logger
}

// Register adds the pages to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.home)
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "home.html", map[string]string{"BaseURL": h.BaseURL, "Version": h.Version})
}

// render executes a template into a buffer first, so a failing template
// answers 500 instead of half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		h.Logger.ErrorContext(r.Context(), "render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}
