package api

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// Nullable is a field of a PATCH body that may be left out (unchanged),
// sent as null (cleared) or sent with a value.
type Nullable[T any] struct {
	Sent  bool
	Null  bool
	Value T
}

// UnmarshalJSON records whether the field was sent, and whether as null.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	n.Sent = true
	if bytes.Equal(b, []byte("null")) {
		n.Null = true
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// Schema is the value's schema, allowing null.
func (n Nullable[T]) Schema(r huma.Registry) *huma.Schema {
	s := *r.Schema(reflect.TypeOf(n.Value), true, "")
	s.Nullable = true
	return &s
}

func (n Nullable[T]) patch() onboardiq.Patch[T] {
	return onboardiq.Patch[T]{Set: n.Sent, Null: n.Null, Value: n.Value}
}

// ListParams are the paging parameters of every list.
type ListParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Items per page, at most 200."`
	Cursor string `query:"cursor" maxLength:"512" doc:"The next_cursor of the previous page."`
}

func (l ListParams) options() onboardiq.ListOptions {
	return onboardiq.ListOptions{Limit: l.Limit, Cursor: l.Cursor}
}

// IDParam is a resource id in the path.
type IDParam struct {
	RawID string `path:"id" format:"uuid" doc:"The resource's id (a UUID)."`
}

// ID is the parsed id (huma has checked its format).
func (p IDParam) ID() uuid.UUID { return uuid.MustParse(p.RawID) }

// optionalUUID parses an optional UUID query parameter.
func optionalUUID(field, s string) (*uuid.UUID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity("validation failed", &huma.ErrorDetail{Location: "query." + field, Message: "must be a UUID", Value: s})
	}
	return &id, nil
}

func ptr[T any](v T) *T { return &v }
