package onboardiq

import (
	"errors"
	"fmt"
	"time"
)

// Rate is N events per Window: a rate limit.
type Rate struct {
	N      int
	Window time.Duration
}

func (r Rate) String() string { return fmt.Sprintf("%d/%s", r.N, r.Window) }

// limitError is an ELIMIT error that knows when the limit lets the caller
// try again.
type limitError struct {
	err   *Error
	after time.Duration
}

func (e *limitError) Error() string { return e.err.Error() }
func (e *limitError) Unwrap() error { return e.err }

// Limited returns an ELIMIT error whose limit allows another try after
// retryAfter (a front end says so: Retry-After).
func Limited(retryAfter time.Duration, format string, args ...any) error {
	return &limitError{err: &Error{Code: ELIMIT, Message: fmt.Sprintf(format, args...)}, after: retryAfter}
}

// RetryAfter returns how long until err's limit allows another try: at
// least a second for an error made by Limited, 0 for any other.
func RetryAfter(err error) time.Duration {
	var le *limitError
	if !errors.As(err, &le) {
		return 0
	}
	return max(le.after, time.Second)
}
