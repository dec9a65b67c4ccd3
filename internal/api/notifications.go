package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

type notificationsInput struct {
	ListParams
	Unread bool `query:"unread" doc:"Only unread ones."`
}

type countOutput struct {
	Body struct {
		Count int `json:"count"`
	}
}

func (h *handlers) registerNotifications(api huma.API) {
	tags := []string{"Notifications"}
	huma.Register(api, huma.Operation{OperationID: "list-notifications", Method: http.MethodGet, Path: "/notifications",
		Summary: "Your notifications", Description: "Newest first.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *notificationsInput) (*struct {
			Body onboardiq.Page[*onboardiq.Notification]
		}, error) {
			p, err := h.DB.ListNotifications(ctx, in.Unread, in.options())
			return &struct {
				Body onboardiq.Page[*onboardiq.Notification]
			}{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "unread-count", Method: http.MethodGet, Path: "/notifications/unread-count",
		Summary: "How many of your notifications are unread", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*countOutput, error) {
			n, err := h.DB.CountUnread(ctx)
			out := &countOutput{}
			out.Body.Count = n
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "mark-read", Method: http.MethodPost, Path: "/notifications/{id}/read",
		Summary: "Mark a notification read", Tags: tags, Security: bearer},
		func(ctx context.Context, in *IDParam) (*countOutput, error) {
			n, err := h.DB.MarkRead(ctx, ptr(in.ID()))
			out := &countOutput{}
			out.Body.Count = n
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "mark-all-read", Method: http.MethodPost, Path: "/notifications/read-all",
		Summary: "Mark all your notifications read", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*countOutput, error) {
			n, err := h.DB.MarkRead(ctx, nil)
			out := &countOutput{}
			out.Body.Count = n
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "notification-deliveries", Method: http.MethodGet, Path: "/notifications/{id}/deliveries",
		Summary: "How a notification was delivered", Description: "Its emails with every attempt (yours, or any for admins).", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			IDParam
			ListParams
		}) (*deliveryPage, error) {
			p, err := h.DB.ListDeliveries(ctx, postgres.DeliveryFilter{ListOptions: in.options(), NotificationID: ptr(in.ID())})
			return &deliveryPage{p}, h.queryProblem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-preferences", Method: http.MethodGet, Path: "/notification-preferences",
		Summary: "Your notification preferences", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*prefsOutput, error) {
			p, err := h.DB.GetPreferences(ctx)
			out := &prefsOutput{}
			out.Body.Preferences = p
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-preferences", Method: http.MethodPut, Path: "/notification-preferences",
		Summary: "Set your notification preferences", Description: "Per kind: in the app or not, and email immediate, in the daily digest, or off.",
		Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct{ Body prefsBody }) (*prefsOutput, error) {
			p, err := h.DB.SetPreferences(ctx, in.Body.Preferences)
			out := &prefsOutput{}
			out.Body.Preferences = p
			return out, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "get-notification-settings", Method: http.MethodGet, Path: "/settings/notifications",
		Summary: "Notification settings", Description: "Staff: time zone, quiet hours, digest hour, cooldown and escalation.", Tags: tags, Security: bearer},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body onboardiq.NotificationSettings
		}, error) {
			s, err := h.DB.GetNotificationSettings(ctx)
			return &struct {
				Body onboardiq.NotificationSettings
			}{s}, h.problem(ctx, err)
		})
	huma.Register(api, huma.Operation{OperationID: "set-notification-settings", Method: http.MethodPut, Path: "/settings/notifications",
		Summary: "Set notification settings", Description: "Admins.", Tags: tags, Security: bearer},
		func(ctx context.Context, in *struct {
			Body onboardiq.NotificationSettings
		}) (*struct {
			Body onboardiq.NotificationSettings
		}, error) {
			s, err := h.DB.SetNotificationSettings(ctx, in.Body)
			return &struct {
				Body onboardiq.NotificationSettings
			}{s}, h.problem(ctx, err)
		})
}

type prefsBody struct {
	Preferences []onboardiq.Preference `json:"preferences" maxItems:"20"`
}

type prefsOutput struct{ Body prefsBody }

type deliveryPage struct {
	Body onboardiq.Page[*onboardiq.Delivery]
}
