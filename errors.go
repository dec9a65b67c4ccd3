package onboardiq

import (
	"errors"
	"fmt"
)

// Error codes. One function in each front end (API, web, CLI) maps them to
// what its users see; nothing else inspects error text.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ECONFLICT     = "conflict"
	ELIMIT        = "limit"       // a quota is used up
	EUNAVAILABLE  = "unavailable" // the database cannot be reached: try again shortly
	EMODEL        = "model"       // the language model failed to answer
	EINTERNAL     = "internal"
)

// Error is an error meant for the user: a code, a message safe to show, and
// for EINVALID the field it is about.
type Error struct {
	Code    string
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("onboardiq: %s: %s: %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("onboardiq: %s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an EINVALID error about one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrUnavailable is the error of a request that could not reach the
// database. Front ends answer 503 with Retry-After.
var ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "the service is briefly unavailable; try again in a few seconds"}

// ErrModel is the error of a call the language model failed (timed out,
// refused, unreachable). Front ends answer 502; the cause is logged.
var ErrModel = &Error{Code: EMODEL, Message: "the language model failed to answer; try again"}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message of err: the *Error's message,
// or a generic one that leaks nothing for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field an EINVALID error is about, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
