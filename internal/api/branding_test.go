package api_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBrandingRoundTrip: an admin sets the portal's branding with a logo
// in the JSON; the API reads it back, and the portal serves the logo as the
// image it is and the colour as a stylesheet, from its own origin.
func TestBrandingRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 64, 32))); err != nil {
		t.Fatal(err)
	}
	status, out := e.do(t, "admin", "PUT", "/settings/branding", map[string]any{"portal_name": "Acme customer hub", "accent_color": "#AA3300", "logo": img.Bytes()})
	if status != http.StatusOK {
		t.Fatalf("set branding: %d %s", status, out)
	}
	var got struct {
		PortalName  string `json:"portal_name"`
		AccentColor string `json:"accent_color"`
		Logo        *struct {
			ContentType string `json:"content_type"`
			Size        int    `json:"size"`
			SHA256      string `json:"sha256"`
			URL         string `json:"url"`
		} `json:"logo"`
	}
	status, out = e.do(t, "viewer", "GET", "/settings/branding", nil)
	if err := json.Unmarshal(out, &got); status != 200 || err != nil {
		t.Fatalf("get branding: %d %s", status, out)
	}
	if got.PortalName != "Acme customer hub" || got.AccentColor != "#aa3300" || got.Logo == nil || got.Logo.ContentType != "image/png" ||
		got.Logo.Size != img.Len() || got.Logo.URL != "/portal/acme/logo" {
		t.Fatalf("branding read back: %s", out)
	}
	get := func(path, etag string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	resp, body := get(got.Logo.URL, "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, img.Bytes()) ||
		resp.Header.Get("ETag") != `"`+got.Logo.SHA256+`"` || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the logo: %d %q, %d bytes, ETag %q", resp.StatusCode, resp.Header.Get("Content-Type"), len(body), resp.Header.Get("ETag"))
	}
	if again, _ := get(got.Logo.URL, resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("the logo again, with its ETag: %d, want 304", again.StatusCode)
	}
	resp, body = get("/portal/acme/brand.css", "")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(string(body), "--accent: #aa3300;") ||
		resp.Header.Get("ETag") == "" {
		t.Errorf("the stylesheet: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	// Another workspace has neither.
	if resp, _ := get("/portal/bolt/logo", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("bolt's logo: %d, want 404", resp.StatusCode)
	}
	// Removed, it is gone.
	if status, out := e.do(t, "admin", "PUT", "/settings/branding", map[string]any{"portal_name": "Acme customer hub", "remove_logo": true}); status != 200 || strings.Contains(string(out), `"logo"`) {
		t.Errorf("remove the logo: %d %s", status, out)
	}
	if resp, _ := get("/portal/acme/logo", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a removed logo: %d, want 404", resp.StatusCode)
	}
}

// TestAPIIndex: /api/v1 (the home page links it) answers what the API is
// and where its document is; a path under it that names no operation is a
// problem, 404, or 405 with Allow for another method of an operation's path.
func TestAPIIndex(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/api/v1", "/api/v1/"} {
		resp, err := e.srv.Client().Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		var idx map[string]string
		err = json.NewDecoder(resp.Body).Decode(&idx)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || idx["openapi"] != "/api/v1/openapi.json" || idx["name"] != "OnboardIQ API" || idx["version"] != "test" {
			t.Errorf("%s: %d %v (%v)", path, resp.StatusCode, idx, err)
		}
	}
	if doc, err := e.srv.Client().Get(e.srv.URL + "/api/v1/openapi.json"); err != nil || doc.StatusCode != 200 {
		t.Errorf("the document the index names: %v", err)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/api/v1/nope", 404, ""},
		{"POST", "/api/v1/projects/x/y/z", 404, ""},
		{"PATCH", "/api/v1/me", 405, "GET"},
		{"DELETE", "/api/v1/settings/branding", 405, "GET, PUT"},
	} {
		req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, nil)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != "application/problem+json" || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d %q, Allow %q; want %d, Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), tc.status, tc.allow)
		}
	}
}
