package onboardiq

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Branding is how a workspace's customer portal looks: its name, accent
// colour and logo, set by admins. Empty fields mean the defaults: the
// workspace's name, OnboardIQ's blue, no logo.
type Branding struct {
	PortalName  string    `json:"portal_name" doc:"The portal's name, shown on every portal page; empty: the workspace's name."`
	AccentColor string    `json:"accent_color" doc:"Buttons and links of the portal, as #rrggbb; empty: the default blue."`
	Logo        *Logo     `json:"logo,omitempty" doc:"The logo, when there is one."`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Logo describes a portal's logo. The image itself is served by the portal,
// at URL, from OnboardIQ's own origin (the pages' policy loads images from
// nowhere else).
type Logo struct {
	ContentType string `json:"content_type" enum:"image/png,image/jpeg,image/webp"`
	Size        int    `json:"size" doc:"In bytes."`
	SHA256      string `json:"sha256" doc:"Of the image, hex: its ETag."`
	URL         string `json:"url" doc:"Where the portal serves it: /portal/<workspace>/logo."`
}

// BrandingInput changes a workspace's branding: the name and colour are
// replaced; the logo is replaced when Logo is given, removed with
// RemoveLogo, and kept otherwise.
type BrandingInput struct {
	PortalName  string `json:"portal_name,omitempty" maxLength:"100" doc:"At most 100 characters; empty or absent: the workspace's name."`
	AccentColor string `json:"accent_color,omitempty" doc:"#rrggbb; empty or absent: the default blue."`
	Logo        []byte `json:"logo,omitempty" doc:"A PNG, JPEG or WebP image, base64-encoded in JSON, at most 256 KiB and 4096 pixels a side. SVG is refused: it can carry script."`
	RemoveLogo  bool   `json:"remove_logo,omitempty" doc:"Remove the logo (with no logo given)."`
}

// MaxLogoBytes bounds a logo's size.
const MaxLogoBytes = 256 << 10

// maxLogoSide bounds a logo's width and height, in pixels.
const maxLogoSide = 4096

var accentPattern = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// Validate normalises the input (trimmed name, lower-case colour) and
// names the first bad field. It returns the logo's content type, sniffed
// from its bytes ("" without a logo).
func (in *BrandingInput) Validate() (string, error) {
	in.PortalName = strings.TrimSpace(in.PortalName)
	in.AccentColor = strings.ToLower(strings.TrimSpace(in.AccentColor))
	if err := checkText("portal_name", in.PortalName, 0, 100); err != nil {
		return "", err
	}
	if in.AccentColor != "" && !accentPattern.MatchString(in.AccentColor) {
		return "", Invalid("accent_color", "must be a colour written #rrggbb, such as #0b57d0")
	}
	if in.Logo == nil {
		return "", nil
	}
	if in.RemoveLogo {
		return "", Invalid("remove_logo", "give a new logo or remove it, not both")
	}
	return SniffLogo(in.Logo)
}

// SniffLogo returns the content type of a logo from its bytes: PNG, JPEG
// or WebP, within the size limits. Anything else (SVG, HTML, a GIF, a file
// named .png that is none) is EINVALID about the field "logo". The type is
// read from the bytes, never from a name or a header the sender chose.
func SniffLogo(b []byte) (string, error) {
	if len(b) == 0 {
		return "", Invalid("logo", "is empty")
	}
	if len(b) > MaxLogoBytes {
		return "", Invalid("logo", "is %d KiB; at most %d KiB", (len(b)+1023)>>10, MaxLogoBytes>>10)
	}
	var typ string
	var decode func([]byte) (image.Config, error)
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		typ, decode = "image/png", func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		typ, decode = "image/jpeg", func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
	case len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:15]) == "WEBPVP8":
		typ, decode = "image/webp", webpConfig
	default:
		return "", Invalid("logo", "must be a PNG, JPEG or WebP image")
	}
	cfg, err := decode(b)
	if err != nil {
		return "", Invalid("logo", "is not a readable %s image", strings.TrimPrefix(typ, "image/"))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoSide || cfg.Height > maxLogoSide {
		return "", Invalid("logo", "is %d×%d pixels; at most %d a side", cfg.Width, cfg.Height, maxLogoSide)
	}
	return typ, nil
}

// webpConfig reads a WebP image's size from its first chunk (VP8, VP8L
// or VP8X), as the format's specification lays it out.
func webpConfig(b []byte) (image.Config, error) {
	bad := fmt.Errorf("webp: malformed header")
	if len(b) < 30 {
		return image.Config{}, bad
	}
	chunk := b[12:16]
	data := b[20:]
	switch string(chunk) {
	case "VP8 ":
		// A key frame: 3 bytes of frame tag, the start code, then 14-bit
		// width and height.
		if len(data) < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a {
			return image.Config{}, bad
		}
		w := int(data[6]) | int(data[7]&0x3f)<<8
		h := int(data[8]) | int(data[9]&0x3f)<<8
		return image.Config{Width: w, Height: h}, nil
	case "VP8L":
		if len(data) < 5 || data[0] != 0x2f {
			return image.Config{}, bad
		}
		bits := uint32(data[1]) | uint32(data[2])<<8 | uint32(data[3])<<16 | uint32(data[4])<<24
		return image.Config{Width: int(bits&0x3fff) + 1, Height: int(bits>>14&0x3fff) + 1}, nil
	case "VP8X":
		if len(data) < 10 {
			return image.Config{}, bad
		}
		w := int(data[4]) | int(data[5])<<8 | int(data[6])<<16
		h := int(data[7]) | int(data[8])<<8 | int(data[9])<<16
		return image.Config{Width: w + 1, Height: h + 1}, nil
	}
	return image.Config{}, bad
}

// AccentInk is the text colour to put on the accent colour c (#rrggbb):
// white, or near-black when white would not be legible (a contrast under
// 4.5:1, WCAG's level for text).
func AccentInk(c string) string {
	if contrast(luminance(c), 1) >= 4.5 {
		return "#ffffff"
	}
	return "#1b1f24"
}

// AccentText is the colour for links and text in the accent colour c on
// the pages' white: c itself when it is legible there, else near-black.
func AccentText(c string) string {
	if contrast(luminance(c), 1) >= 4.5 {
		return c
	}
	return "#1b1f24"
}

// luminance is the relative luminance of #rrggbb (WCAG 2).
func luminance(c string) float64 {
	if !accentPattern.MatchString(c) {
		return 0
	}
	var l float64
	for i, weight := range []float64{0.2126, 0.7152, 0.0722} {
		v, _ := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			s /= 12.92
		} else {
			s = math.Pow((s+0.055)/1.055, 2.4)
		}
		l += weight * s
	}
	return l
}

func contrast(a, b float64) float64 {
	return (math.Max(a, b) + 0.05) / (math.Min(a, b) + 0.05)
}

// PortalTitle is what the portal calls itself: the branding's name, or
// "<workspace> onboarding".
func PortalTitle(portalName, workspace string) string {
	if portalName != "" {
		return portalName
	}
	if utf8.RuneCountInString(workspace) == 0 {
		return "Onboarding"
	}
	return workspace + " onboarding"
}
