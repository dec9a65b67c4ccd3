package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

type newToken struct {
	*onboardiq.Token
	Secret string `json:"token" doc:"The token itself: shown only now."`
}

type createTokenInput struct {
	Body struct {
		Name      string     `json:"name" minLength:"1" maxLength:"100" example:"CI pipeline"`
		UserID    *uuid.UUID `json:"user_id,omitempty" doc:"Admins only: the user to issue it to (default: yourself)."`
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
	}
}

type listTokensInput struct {
	UserID string `query:"user_id" format:"uuid" doc:"Admins only: another user's tokens."`
	All    bool   `query:"all" doc:"Admins only: everyone's tokens."`
}

func (h *handlers) registerTokens(api huma.API) {
	tags := []string{"Account"}
	huma.Register(api, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/tokens",
		Summary: "Create an API token", Description: "The token is in the response once; only its hash is kept.", Tags: tags, Security: bearer,
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *createTokenInput) (*struct{ Body newToken }, error) {
			tok, rec, err := h.DB.CreateToken(ctx, onboardiq.NewToken{UserID: in.Body.UserID, Name: in.Body.Name, ExpiresAt: in.Body.ExpiresAt})
			if err != nil {
				return nil, h.problem(ctx, err)
			}
			return &struct{ Body newToken }{newToken{Token: rec, Secret: tok}}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/tokens",
		Summary: "List API tokens", Description: "Your own; admins may ask for another user's or everyone's.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *listTokensInput) (*struct {
			Body struct {
				Items []*onboardiq.Token `json:"items"`
			}
		}, error) {
			uid, err := optionalUUID("user_id", in.UserID)
			if err != nil {
				return nil, err
			}
			ts, err := h.DB.ListTokens(ctx, uid, in.All)
			out := &struct {
				Body struct {
					Items []*onboardiq.Token `json:"items"`
				}
			}{}
			out.Body.Items = ts
			return out, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/tokens/{id}",
		Summary: "Revoke an API token", Description: "Your own; admins any.", Tags: tags, Security: bearer, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *IDParam) (*struct{}, error) {
			return nil, h.problem(ctx, h.DB.RevokeToken(ctx, in.ID()))
		})
}
