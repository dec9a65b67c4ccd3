package onboardiq_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq"
)

func TestLifecycleCheck(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", onboardiq.MaxStatusReason+1)
	for _, tc := range []struct {
		l      onboardiq.Lifecycle
		from   onboardiq.Status
		reason string
		code   string // "" for allowed
		field  string
		want   *string
	}{
		{onboardiq.LifecycleHold, onboardiq.StatusInProgress, " Customer re-org ", "", "", ptr("Customer re-org")},
		{onboardiq.LifecycleHold, onboardiq.StatusNotStarted, "Budget", "", "", ptr("Budget")},
		{onboardiq.LifecycleHold, onboardiq.StatusBlocked, "Budget", "", "", ptr("Budget")},
		{onboardiq.LifecycleHold, onboardiq.StatusInProgress, "  ", onboardiq.EINVALID, "reason", nil},
		{onboardiq.LifecycleHold, onboardiq.StatusInProgress, long, onboardiq.EINVALID, "reason", nil},
		{onboardiq.LifecycleHold, onboardiq.StatusCancelled, "", onboardiq.EINVALID, "reason", nil}, // the input first
		{onboardiq.LifecycleHold, onboardiq.StatusOnHold, "Again", onboardiq.ECONFLICT, "", nil},
		{onboardiq.LifecycleHold, onboardiq.StatusCompleted, "Done", onboardiq.ECONFLICT, "", nil},
		{onboardiq.LifecycleResume, onboardiq.StatusOnHold, "ignored", "", "", nil},
		{onboardiq.LifecycleResume, onboardiq.StatusInProgress, "", onboardiq.ECONFLICT, "", nil},
		{onboardiq.LifecycleCancel, onboardiq.StatusOnHold, "Churned", "", "", ptr("Churned")},
		{onboardiq.LifecycleCancel, onboardiq.StatusCompleted, "Churned", onboardiq.ECONFLICT, "", nil},
		{onboardiq.LifecycleCancel, onboardiq.StatusCancelled, "Churned", onboardiq.ECONFLICT, "", nil},
		{onboardiq.LifecycleReopen, onboardiq.StatusCancelled, "", "", "", nil},
		{onboardiq.LifecycleReopen, onboardiq.StatusCompleted, "", onboardiq.ECONFLICT, "", nil},
		{onboardiq.Lifecycle("archive"), onboardiq.StatusInProgress, "", onboardiq.EINVALID, "", nil},
	} {
		got, err := tc.l.Check(tc.from, tc.reason)
		if onboardiq.ErrorCode(err) != tc.code || onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%s from %s: %v; want code %q field %q", tc.l, tc.from, err, tc.code, tc.field)
			continue
		}
		if tc.code == onboardiq.ECONFLICT && !strings.Contains(onboardiq.ErrorMessage(err), "its status is "+string(tc.from)) {
			t.Errorf("%s from %s: %q does not name the status", tc.l, tc.from, onboardiq.ErrorMessage(err))
		}
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s from %s: reason %v, want %v", tc.l, tc.from, got, tc.want)
		}
	}
}

func TestLifecyclesFrom(t *testing.T) {
	t.Parallel()
	for s, want := range map[onboardiq.Status][]onboardiq.Lifecycle{
		onboardiq.StatusNotStarted: {onboardiq.LifecycleHold, onboardiq.LifecycleCancel},
		onboardiq.StatusInProgress: {onboardiq.LifecycleHold, onboardiq.LifecycleCancel},
		onboardiq.StatusCompleted:  nil,
		onboardiq.StatusOnHold:     {onboardiq.LifecycleResume, onboardiq.LifecycleCancel},
		onboardiq.StatusCancelled:  {onboardiq.LifecycleReopen},
	} {
		if got := onboardiq.LifecyclesFrom(s); !slices.Equal(got, want) {
			t.Errorf("from %s: %v, want %v", s, got, want)
		}
	}
	for _, l := range onboardiq.Lifecycles {
		if !l.Valid() || !slices.Contains(onboardiq.EventKinds, l.EventKind()) {
			t.Errorf("%s: valid %v, event kind %q listed %v", l, l.Valid(), l.EventKind(), slices.Contains(onboardiq.EventKinds, l.EventKind()))
		}
	}
}

func ptr(s string) *string { return &s }
