package metrics_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/metrics"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func h(hours float64) time.Time { return t0.Add(time.Duration(hours * float64(time.Hour))) }

func TestEvaluate(t *testing.T) {
	t.Parallel()
	events := []metrics.UsageEvent{
		{ID: "5", Name: "user_active", User: "b@x", At: h(30)},
		{ID: "1", Name: "signup", User: "a@x", At: h(0)},
		{ID: "2", Name: "first_api_call", User: "a@x", At: h(5)},
		{ID: "3", Name: "first_api_call", User: "b@x", At: h(2)},
		{ID: "4", Name: "user_active", User: "a@x", At: h(1)},
		{ID: "6", Name: "user_active", User: "a@x", At: h(40)},
		{ID: "7", Name: "user_active", User: "", At: h(41)},
		{ID: "8", Name: "user_active", User: "c@x", At: h(24*7 + 1)}, // exactly 7 days after ID 4
		{ID: "9", Name: "user_active", User: "d@x", At: h(24*20 + 1)},
	}
	tasks := []metrics.TaskDone{{Task: "go-live", At: h(50)}, {Task: "go-live", At: h(45)}, {Task: "kickoff", At: h(1)}}
	cases := []struct {
		name string
		m    metrics.Milestone
		want *metrics.Reached
	}{
		{"first event of its name, input unsorted", metrics.Milestone{Event: "first_api_call"}, &metrics.Reached{At: h(2), EventIDs: []string{"3"}}},
		{"distinct_users 1 is the first event", metrics.Milestone{Event: "first_api_call", DistinctUsers: 1, WithinDays: 7}, &metrics.Reached{At: h(2), EventIDs: []string{"3"}}},
		{"never seen", metrics.Milestone{Event: "invoice_paid"}, nil},
		{"two users any time", metrics.Milestone{Event: "user_active", DistinctUsers: 2}, &metrics.Reached{At: h(30), EventIDs: []string{"4", "5"}}},
		{"three users within 7 days: both ends of the window count", metrics.Milestone{Event: "user_active", DistinctUsers: 3, WithinDays: 7},
			&metrics.Reached{At: h(24*7 + 1), EventIDs: []string{"5", "6", "8"}}},
		{"three users within 5 days: never", metrics.Milestone{Event: "user_active", DistinctUsers: 3, WithinDays: 5}, nil},
		{"three users within 6 days: the window drops the first event", metrics.Milestone{Event: "user_active", DistinctUsers: 3, WithinDays: 6}, &metrics.Reached{At: h(24*7 + 1), EventIDs: []string{"5", "6", "8"}}},
		{"events without a user do not count as users", metrics.Milestone{Event: "user_active", DistinctUsers: 5}, nil},
		{"four users any time", metrics.Milestone{Event: "user_active", DistinctUsers: 4}, &metrics.Reached{At: h(24*20 + 1), EventIDs: []string{"5", "6", "8", "9"}}},
		{"task completion: the first", metrics.Milestone{Task: "go-live"}, &metrics.Reached{At: h(45), EventIDs: []string{}}},
		{"task not completed", metrics.Milestone{Task: "training"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := metrics.Evaluate(tc.m, events, tasks)
			if tc.want == nil {
				if ok {
					t.Fatalf("reached %+v, want not reached", got)
				}
				return
			}
			if !ok {
				t.Fatal("not reached")
			}
			if diff := cmp.Diff(*tc.want, got); diff != "" {
				t.Errorf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
	// Ties in time go to the lower id.
	tie := []metrics.UsageEvent{{ID: "9", Name: "x", At: t0}, {ID: "3", Name: "x", At: t0}}
	if got, _ := metrics.Evaluate(metrics.Milestone{Event: "x"}, tie, nil); got.EventIDs[0] != "3" {
		t.Errorf("tie: %v", got.EventIDs)
	}
	if _, ok := metrics.Evaluate(metrics.Milestone{Event: "x"}, nil, nil); ok {
		t.Error("reached with no events")
	}
}

func TestMilestoneValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		m     metrics.Milestone
		field string
	}{
		{metrics.Milestone{Event: "first_api_call"}, ""},
		{metrics.Milestone{Event: "user_active", DistinctUsers: 5, WithinDays: 7}, ""},
		{metrics.Milestone{Task: "go-live"}, ""},
		{metrics.Milestone{}, "event"},
		{metrics.Milestone{Event: "a", Task: "b"}, "task"},
		{metrics.Milestone{Event: "a", DistinctUsers: -1}, "distinct_users"},
		{metrics.Milestone{Event: "a", WithinDays: 400}, "within_days"},
		{metrics.Milestone{Task: "a", WithinDays: 7}, "task"},
	}
	for _, tc := range cases {
		err := tc.m.Validate()
		var e *onboardiq.Error
		if tc.field == "" && err != nil || tc.field != "" && (!errors.As(err, &e) || e.Field != tc.field) {
			t.Errorf("%+v: Validate = %v, want field %q", tc.m, err, tc.field)
		}
	}
}
