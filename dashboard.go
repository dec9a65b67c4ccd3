package onboardiq

import "time"

// Dashboard is the staff console's overview.
type Dashboard struct {
	ByStatus   map[string]int // by project status
	Overdue    []*Project     // past the deadline, neither completed, on hold nor cancelled
	AtRisk     []*Project     // forecast to miss the deadline, as above
	Active     []*Project
	OnTimeRate *float64 // completed on or before the deadline, of those with one (so never on hold or cancelled)
	Weekly     []WeekCount
	Customers  map[string]string // id → name, for the lists
	Unread     int               // the caller's unread notifications (the navigation's badge)
	Setup      *SetupChecklist   // admins only: the workspace's setup checklist
}

// WeekCount is how many projects finished in a week.
type WeekCount struct {
	Week  time.Time
	Count int
}
