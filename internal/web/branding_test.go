package web_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postMultipart posts a multipart form, with files by field name.
func postMultipart(t *testing.T, c *http.Client, u string, fields url.Values, files map[string][]byte, origin string) page {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	for k, b := range files {
		fw, err := mw.CreateFormFile(k, k+".png")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(b)
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, u, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	img.Set(3, 3, color.RGBA{170, 51, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// raw fetches a path and returns the answer and its body.
func raw(t *testing.T, u string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestBrandingForm: the settings page's Branding form is the admins': each
// field labelled; a bad colour, or a logo that is no PNG, JPEG or WebP (an
// SVG, an HTML page), re-renders the page with the error beside the field
// and the typed name and colour kept; a cross-origin post is refused; and
// the other roles neither see it nor may use it.
func TestBrandingForm(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	settings := get(t, admin, a.url+"/app/settings")
	if len(settings.all(`form#branding-form[enctype="multipart/form-data"]`)) != 1 {
		t.Fatal("the admin's settings have no branding form")
	}
	for _, id := range []string{"portal_name", "accent_color", "logo"} {
		if len(settings.all("form#branding-form #"+id)) != 1 || len(settings.all(`label[for="`+id+`"]`)) != 1 {
			t.Errorf("the field %s, or its label, is missing", id)
		}
	}
	action := a.url + "/app/settings/branding"
	// Cross-origin: refused, nothing saved.
	if p := postMultipart(t, admin, action, url.Values{"portal_name": {"Evil"}}, nil, "https://evil.example"); p.status != http.StatusForbidden {
		t.Errorf("a cross-origin post: %d, want 403", p.status)
	}
	for _, tc := range []struct {
		name  string
		form  url.Values
		logo  []byte
		field string
		says  string
	}{
		{"a colour by name", url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"rebeccapurple"}}, nil, "accent_color", "#rrggbb"},
		{"CSS in the colour", url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"#000;}body{display:none"}}, nil, "accent_color", "#rrggbb"},
		{"an SVG logo", url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"#aa3300"}},
			[]byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>`), "logo", "PNG, JPEG or WebP"},
		{"an HTML logo", url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"#aa3300"}},
			[]byte("<!doctype html><script>alert(1)</script>"), "logo", "PNG, JPEG or WebP"},
		{"a long name", url.Values{"portal_name": {strings.Repeat("n", 101)}, "accent_color": {"#aa3300"}}, nil, "portal_name", "at most 100"},
	} {
		var files map[string][]byte
		if tc.logo != nil {
			files = map[string][]byte{"logo": tc.logo}
		}
		p := postMultipart(t, admin, action, tc.form, files, a.url)
		errID := "error-" + tc.field
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text("#"+errID), tc.says) || p.text("h1") != "Settings" {
			t.Errorf("%s: %d %q, want 422 with %q beside %s", tc.name, p.status, p.text("#"+errID), tc.says, tc.field)
			continue
		}
		if in := p.all("#" + tc.field); len(in) != 1 || attr(in[0], "aria-invalid") != "true" || attr(in[0], "aria-describedby") != errID {
			t.Errorf("%s: the field is not marked invalid", tc.name)
		}
		for _, kept := range []string{"portal_name", "accent_color"} {
			if in := p.all("#" + kept); len(in) != 1 || attr(in[0], "value") != tc.form.Get(kept) {
				t.Errorf("%s: %s not kept", tc.name, kept)
			}
		}
	}
	if _, b := raw(t, a.url+"/portal/acme/brand.css"); strings.Contains(string(b), "--accent") {
		t.Errorf("a refused branding was saved: %s", b)
	}
	// Saved: name, colour and a PNG.
	p := postMultipart(t, admin, action, url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"#AA3300"}}, map[string][]byte{"logo": testPNG(t)}, a.url)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/app/settings") {
		t.Fatalf("save the branding: %d %s", p.status, p.text(".error"))
	}
	settings = get(t, admin, a.url+"/app/settings")
	if in := settings.all("#accent_color"); len(in) != 1 || attr(in[0], "value") != "#aa3300" || len(settings.all(`#branding img[src^="/portal/acme/logo?v="]`)) != 1 ||
		!strings.Contains(settings.text(".flash"), "branding") {
		t.Errorf("the saved branding is not shown: %q", settings.text("#branding"))
	}
	// The other roles: no form, and the store refuses them.
	for _, email := range []string{"priya.shah@acme.example", "dana.whitfield@acme.example", "sam.lee@acme.example"} {
		c := signIn(t, a, email)
		if n := len(get(t, c, a.url+"/app/settings").all("form#branding-form")); n != 0 {
			t.Errorf("%s sees the branding form", email)
		}
		if p := postMultipart(t, c, action, url.Values{"portal_name": {"Mine now"}}, nil, a.url); p.status != http.StatusForbidden {
			t.Errorf("%s saving the branding: %d, want 403", email, p.status)
		}
	}
	contact := actPortalClient(t, a, "hannah.becker@globex.example")
	if p := postMultipart(t, contact, action, url.Values{"portal_name": {"Mine now"}}, nil, a.url); p.status != http.StatusSeeOther || p.header.Get("Location") != "/portal/acme" {
		t.Errorf("a contact saving the branding: %d %q", p.status, p.header.Get("Location"))
	}
	if _, b := raw(t, a.url+"/portal/acme/brand.css"); !strings.Contains(string(b), "--accent: #aa3300;") {
		t.Errorf("the refused posts changed the branding: %s", b)
	}
}

// TestPortalBranding: the branding shows on the portal's sign-in page,
// before sign-in, and on every portal page after: the name, the logo from
// our origin, the colour as a stylesheet of ours, with the strict policy
// kept and no inline style. The logo is served as the image it is, the
// stylesheet as CSS, both with an ETag; an unknown workspace's sign-in page
// is the 404 page.
func TestPortalBranding(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	admin := signIn(t, a, "alex.morgan@acme.example")
	logo := testPNG(t)
	if p := postMultipart(t, admin, a.url+"/app/settings/branding", url.Values{"portal_name": {"Acme customer hub"}, "accent_color": {"#aa3300"}},
		map[string][]byte{"logo": logo}, a.url); p.status != http.StatusSeeOther {
		t.Fatalf("save the branding: %d %s", p.status, p.text(".error"))
	}
	branded := func(where string, p page) {
		t.Helper()
		if p.status != 200 {
			t.Errorf("%s: %d", where, p.status)
			return
		}
		if got := strings.TrimSpace(p.text("header .brand")); got != "Acme customer hub" {
			t.Errorf("%s: the header names %q", where, got)
		}
		if len(p.all(`header img.brand-logo[src^="/portal/acme/logo?v="]`)) != 1 || len(p.all(`link[rel=stylesheet][href^="/portal/acme/brand.css?v="]`)) != 1 {
			t.Errorf("%s: no logo or stylesheet of the branding", where)
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self'") || !strings.Contains(csp, "style-src 'self'") {
			t.Errorf("%s: the policy is %q", where, csp)
		}
		if len(p.all("[style], style")) != 0 {
			t.Errorf("%s: an inline style", where)
		}
	}
	signin := get(t, client(t), a.url+"/portal/acme/signin")
	branded("the sign-in page", signin)
	if !strings.Contains(signin.text("h1"), "Acme customer hub") {
		t.Errorf("the sign-in page's title: %q", signin.text("h1"))
	}
	c := actPortalClient(t, a, "hannah.becker@globex.example")
	for _, path := range []string{"/portal/acme", "/portal/acme/projects/" + a.projectID(t, "Globex platform rollout"), "/portal/acme/kb", "/portal/acme/assistant", "/portal/acme/nope"} {
		p := get(t, c, a.url+path)
		if path == "/portal/acme/nope" {
			p.status = map[int]int{404: 200}[p.status] // the 404 page is branded too
		}
		branded(path, p)
	}
	// The logo and the stylesheet.
	resp, body := raw(t, a.url+"/portal/acme/logo")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, logo) || resp.Header.Get("ETag") == "" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("the logo: %d %q ETag %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	if again, _ := raw(t, a.url+"/portal/acme/logo", "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("the logo with its ETag: %d, want 304", again.StatusCode)
	}
	resp, body = raw(t, a.url+"/portal/acme/brand.css")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" || resp.Header.Get("ETag") == "" ||
		!strings.Contains(string(body), ":root { --accent: #aa3300; --accent-ink: #ffffff; --accent-text: #aa3300; }") {
		t.Errorf("the stylesheet: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if again, _ := raw(t, a.url+"/portal/acme/brand.css", "If-None-Match", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("the stylesheet with its ETag: %d, want 304", again.StatusCode)
	}
	// An unknown workspace: the 404 page, styled, for its sign-in page, logo and stylesheet.
	for _, path := range []string{"/portal/nope/signin", "/portal/nope/logo", "/portal/nope/brand.css"} {
		if p := get(t, client(t), a.url+path); p.status != 404 || p.text("h1") != "Not found" || len(p.all(`link[href="/static/app.css"]`)) != 1 {
			t.Errorf("%s: %d %q, want the 404 page", path, p.status, p.text("h1"))
		}
	}
	// Another workspace, unbranded, keeps the defaults: its own name, no
	// logo or stylesheet, and acme's never.
	actOtherTenant(t, a)
	if p := get(t, client(t), a.url+"/portal/hooli/signin"); p.status != 200 || len(p.all(`link[href*="brand.css"], img.brand-logo`)) != 0 ||
		strings.Contains(p.raw, "Acme customer hub") || !strings.Contains(p.text("header .brand"), "onboarding") {
		t.Errorf("an unbranded portal: %d %q", p.status, p.text("header .brand"))
	}
}
