package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// index is what GET /api/v1 answers: what the API is, and where its
// document is.
type index struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	OpenAPI string `json:"openapi"`
	Docs    string `json:"docs"`
}

// registerIndex answers /api/v1 itself with a small index (the home page
// links it), and any other path under it that names no operation with a
// problem: 405 with Allow when the path is an operation's with another
// method, else 404. Neither is an operation of the document.
func (h *handlers) registerIndex(mux *http.ServeMux, api huma.API, version string) {
	serve := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(index{Name: "OnboardIQ API", Version: version, OpenAPI: Prefix + "/openapi.json",
			Docs: "https://github.com/onboardiq/onboardiq/blob/main/docs/api.md"})
	}
	mux.HandleFunc("GET "+Prefix, serve)
	mux.HandleFunc("GET "+Prefix+"/{$}", serve)
	mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		if allow := methodsOf(api, strings.TrimPrefix(r.URL.Path, Prefix)); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeHTTPProblem(w, http.StatusMethodNotAllowed, "the method "+r.Method+" is not one of "+strings.Join(allow, ", ")+" for this path")
			return
		}
		writeHTTPProblem(w, http.StatusNotFound, "no operation has this path: see "+Prefix+"/openapi.json")
	})
}

// methodsOf lists the methods of the document's operations whose path
// template matches path ("/tasks/{id}" matches "/tasks/42").
func methodsOf(api huma.API, path string) []string {
	var out []string
	got := strings.Split(strings.Trim(path, "/"), "/")
	for tmpl, item := range api.OpenAPI().Paths {
		want := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(want) != len(got) {
			continue
		}
		match := true
		for i, seg := range want {
			if !strings.HasPrefix(seg, "{") && seg != got[i] {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		for m, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op != nil && !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	slices.Sort(out)
	return out
}

// writeHTTPProblem writes an RFC 9457 problem, as huma's own errors are, outside an operation.
func writeHTTPProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(huma.ErrorModel{Title: http.StatusText(status), Status: status, Detail: detail})
}
