package onboardiq_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

func TestCheckDependsOn(t *testing.T) {
	t.Parallel()
	self, a, b := uuid.New(), uuid.New(), uuid.New()
	got, err := onboardiq.CheckDependsOn(self, []uuid.UUID{a, b, a})
	if err != nil || !cmp.Equal(got, []uuid.UUID{a, b}) {
		t.Errorf("repeats: %v, %v", got, err)
	}
	if got, err := onboardiq.CheckDependsOn(self, nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("none: %#v, %v", got, err)
	}
	for name, ids := range map[string][]uuid.UUID{"itself": {a, self}, "no task": {uuid.Nil}, "too many": make101()} {
		if _, err := onboardiq.CheckDependsOn(self, ids); onboardiq.ErrorField(err) != "depends_on" {
			t.Errorf("%s: %v, want an error naming depends_on", name, err)
		}
	}
}

func make101() []uuid.UUID {
	out := make([]uuid.UUID, onboardiq.MaxDependencies+1)
	for i := range out {
		out[i] = uuid.New()
	}
	return out
}

func TestCycleError(t *testing.T) {
	t.Parallel()
	err := onboardiq.CycleError([]string{"A", "B"})
	if onboardiq.ErrorField(err) != "depends_on" || onboardiq.ErrorMessage(err) != "“A” → “B” → “A” would wait on itself" {
		t.Errorf("%v", err)
	}
}

// TestStartAndDue: a start after the due date is refused naming the date
// that changed; a change of status alone never fails on the dates.
func TestStartAndDue(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	base := func() *onboardiq.Task {
		s, d := day(1), day(3)
		return &onboardiq.Task{Description: "x", Status: onboardiq.StatusNotStarted, Visibility: onboardiq.VisibilityCustomer, StartAt: &s, DueAt: &d}
	}
	for _, tc := range []struct {
		name  string
		patch onboardiq.TaskPatch
		field string
	}{
		{"start after due", onboardiq.TaskPatch{StartAt: onboardiq.Set(day(4))}, "start_at"},
		{"due before start", onboardiq.TaskPatch{DueAt: onboardiq.Set(day(0))}, "due_at"},
		{"start on the due date", onboardiq.TaskPatch{StartAt: onboardiq.Set(day(3))}, ""},
		{"no start", onboardiq.TaskPatch{StartAt: onboardiq.Patch[time.Time]{Set: true, Null: true}, DueAt: onboardiq.Set(day(-5))}, ""},
	} {
		err := tc.patch.Apply(base(), now)
		if onboardiq.ErrorField(err) != tc.field || (tc.field == "") != (err == nil) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.field)
		}
	}
	// Dates already out of order (set elsewhere) do not stop a status change.
	x := base()
	*x.StartAt = day(9)
	if err := (&onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusInProgress)}).Apply(x, now); err != nil {
		t.Errorf("a status change: %v", err)
	}
	if !(&onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted)}).OnlyStatus() ||
		(&onboardiq.TaskPatch{Status: onboardiq.Set(onboardiq.StatusCompleted), ShiftDependents: true}).OnlyStatus() ||
		(&onboardiq.TaskPatch{DependsOn: onboardiq.Set([]uuid.UUID{})}).OnlyStatus() ||
		(&onboardiq.TaskPatch{StartAt: onboardiq.Set(now)}).OnlyStatus() {
		t.Error("OnlyStatus lets a contact change dates or dependencies")
	}
}

func TestCheckHolidays(t *testing.T) {
	t.Parallel()
	got, err := onboardiq.CheckHolidays([]onboardiq.Holiday{{Day: " 2026-12-25 ", Name: " Christmas "}, {Day: "2026-01-01"}})
	if diff := cmp.Diff([]onboardiq.Holiday{{Day: "2026-01-01"}, {Day: "2026-12-25", Name: "Christmas"}}, got); err != nil || diff != "" {
		t.Errorf("sorted and trimmed: %v (-want +got):\n%s", err, diff)
	}
	long := string(make([]rune, 101))
	for _, tc := range []struct {
		in    []onboardiq.Holiday
		field string
	}{
		{[]onboardiq.Holiday{{Day: "2026-02-30"}}, "holidays[0].day"},
		{[]onboardiq.Holiday{{Day: "2026-05-01"}, {Day: "2026-05-01"}}, "holidays[1].day"},
		{[]onboardiq.Holiday{{Day: "2026-05-01", Name: long}}, "holidays[0].name"},
		{[]onboardiq.Holiday{{Day: "0001-05-01"}}, "holidays[0].day"},
	} {
		if _, err := onboardiq.CheckHolidays(tc.in); onboardiq.ErrorField(err) != tc.field {
			t.Errorf("%v: %v, want an error naming %s", tc.in, err, tc.field)
		}
	}
}
