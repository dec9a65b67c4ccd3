package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
)

type brandingOutput struct {
	Body *onboardiq.Branding
}

func (h *handlers) registerBranding(api huma.API) {
	tags := []string{"Settings"}
	huma.Register(api, huma.Operation{OperationID: "get-branding", Method: http.MethodGet, Path: "/settings/branding",
		Summary: "The portal's branding", Description: "Staff: the customer portal's name, accent colour and logo (its type, size, hash and URL; " +
			"the portal serves the image at /portal/<workspace>/logo).", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*brandingOutput, error) {
			b, err := h.DB.GetBranding(ctx)
			return &brandingOutput{b}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-branding", Method: http.MethodPut, Path: "/settings/branding",
		Summary: "Set the portal's branding", Description: "Admins. The name and accent colour are replaced; the logo, base64 in the JSON " +
			"(PNG, JPEG or WebP, at most 256 KiB, its type read from its bytes), replaces the current one when given, " +
			"`remove_logo` removes it, and neither keeps it.", Tags: tags, Security: bearer, MaxBodyBytes: 2 * onboardiq.MaxLogoBytes},
		func(ctx context.Context, in *struct{ Body onboardiq.BrandingInput }) (*brandingOutput, error) {
			b, err := h.DB.SetBranding(ctx, in.Body)
			return &brandingOutput{b}, h.problem(ctx, err)
		})
}
