package onboardiq_test

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
)

func encoded(t *testing.T, w, h int, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{200, 30, 30, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(b *bytes.Buffer, img image.Image) error  { return png.Encode(b, img) }
func jpegOf(b *bytes.Buffer, img image.Image) error { return jpeg.Encode(b, img, nil) }
func gifOf(b *bytes.Buffer, img image.Image) error  { return gif.Encode(b, img, nil) }

// A lossless WebP of 2×3 pixels: its VP8L header, then anything.
var webp = []byte("RIFF\x24\x00\x00\x00WEBPVP8L\x18\x00\x00\x00\x2f\x01\x80\x00\x00" + strings.Repeat("\x00", 16))

// TestSniffLogo: a logo's type is read from its bytes, and only PNG, JPEG
// and WebP within the limits pass; SVG, HTML and the rest are refused,
// naming the field.
func TestSniffLogo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		b    []byte
		want string // the type, or a word of the refusal
	}{
		{"png", encoded(t, 40, 20, pngOf), "image/png"},
		{"jpeg", encoded(t, 40, 20, jpegOf), "image/jpeg"},
		{"webp", webp, "image/webp"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`), "PNG, JPEG or WebP"},
		{"svg with an xml prolog", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "PNG, JPEG or WebP"},
		{"html", []byte("<!doctype html><script>alert(1)</script>"), "PNG, JPEG or WebP"},
		{"gif", encoded(t, 4, 4, gifOf), "PNG, JPEG or WebP"},
		{"a png's signature and nothing else", []byte("\x89PNG\r\n\x1a\n<script>alert(1)</script>"), "not a readable png"},
		{"empty", nil, "empty"},
		{"too large", append(encoded(t, 4, 4, pngOf), make([]byte, onboardiq.MaxLogoBytes)...), "at most 256 KiB"},
		{"too wide", encoded(t, 5000, 1, pngOf), "at most 4096"},
	} {
		typ, err := onboardiq.SniffLogo(tc.b)
		got := typ
		if err != nil {
			if onboardiq.ErrorCode(err) != onboardiq.EINVALID || onboardiq.ErrorField(err) != "logo" {
				t.Errorf("%s: %v, want an EINVALID about logo", tc.name, err)
			}
			got = onboardiq.ErrorMessage(err)
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestBrandingInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		in    onboardiq.BrandingInput
		field string
	}{
		{"fine", onboardiq.BrandingInput{PortalName: "  Acme Customer Hub ", AccentColor: "#0B57D0"}, ""},
		{"defaults", onboardiq.BrandingInput{}, ""},
		{"a colour name", onboardiq.BrandingInput{AccentColor: "red"}, "accent_color"},
		{"three digits", onboardiq.BrandingInput{AccentColor: "#abc"}, "accent_color"},
		{"CSS smuggled in", onboardiq.BrandingInput{AccentColor: "#000000;}body{display:none"}, "accent_color"},
		{"a long name", onboardiq.BrandingInput{PortalName: strings.Repeat("n", 101)}, "portal_name"},
		{"a new logo and none", onboardiq.BrandingInput{Logo: webp, RemoveLogo: true}, "remove_logo"},
		{"not an image", onboardiq.BrandingInput{Logo: []byte("GIF89a")}, "logo"},
	} {
		in := tc.in
		_, err := in.Validate()
		if onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%s: %v, want an error about %q", tc.name, err, tc.field)
		}
		if tc.name == "fine" && (in.PortalName != "Acme Customer Hub" || in.AccentColor != "#0b57d0") {
			t.Errorf("not normalised: %+v", in)
		}
	}
}

// TestAccentInk: text on the accent colour, and the colour as text on
// white, stay legible (4.5:1).
func TestAccentInk(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ accent, ink, text string }{
		{"#0b57d0", "#ffffff", "#0b57d0"},
		{"#000000", "#ffffff", "#000000"},
		{"#ffee00", "#1b1f24", "#1b1f24"},
		{"#ffffff", "#1b1f24", "#1b1f24"},
		{"#18794e", "#ffffff", "#18794e"},
	} {
		if ink, text := onboardiq.AccentInk(tc.accent), onboardiq.AccentText(tc.accent); ink != tc.ink || text != tc.text {
			t.Errorf("%s: ink %s, text %s; want %s, %s", tc.accent, ink, text, tc.ink, tc.text)
		}
	}
}
