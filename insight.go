package onboardiq

import (
	"time"

	"github.com/google/uuid"
)

// Similar is an answer of the similar-items endpoints.
type Similar[T any] struct {
	// Ready is false while the item's own embedding is still being made.
	Ready bool `json:"ready"`
	Items []T  `json:"items"`
}

// SimilarProject is a completed project like the one asked about.
type SimilarProject struct {
	ID           uuid.UUID  `json:"id"`
	Name         string     `json:"name"`
	CustomerID   uuid.UUID  `json:"customer_id"`
	Similarity   float64    `json:"similarity" doc:"Cosine similarity of the projects' embeddings, -1 to 1."`
	DurationDays float64    `json:"duration_days" doc:"From start to completion."`
	Deadline     *time.Time `json:"deadline,omitempty"`
	CompletedAt  time.Time  `json:"completed_at"`
	DaysLate     float64    `json:"days_late" doc:"How long after its deadline it completed (0 if on time)."`
	LateTasks    []LateTask `json:"late_tasks"`
}

// LateTask is a task that finished after its due date.
type LateTask struct {
	ID          uuid.UUID `json:"id"`
	Description string    `json:"description"`
	DaysLate    float64   `json:"days_late"`
}

// SimilarTask is a task of another project like the one asked about.
type SimilarTask struct {
	ID           uuid.UUID        `json:"id"`
	ProjectID    uuid.UUID        `json:"project_id"`
	ProjectName  string           `json:"project_name"`
	Description  string           `json:"description"`
	Status       Status           `json:"status" doc:"The outcome."`
	Similarity   float64          `json:"similarity"`
	DaysToFinish *float64         `json:"days_to_finish,omitempty" doc:"From the project start to completion."`
	DaysLate     *float64         `json:"days_late,omitempty" doc:"Completion after the due date (negative: early)."`
	BlockedFor   *string          `json:"blocked_reason,omitempty"`
	Comments     []SimilarComment `json:"comments"`
}

// SimilarComment is a comment on a similar task.
type SimilarComment struct {
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// TaskFact is a task named in a summary or a blocker list.
type TaskFact struct {
	ID          uuid.UUID  `json:"id"`
	Description string     `json:"description"`
	Project     string     `json:"project"`
	At          *time.Time `json:"at,omitempty"`
	DaysLate    *float64   `json:"days_late,omitempty"`
	Reason      *string    `json:"reason,omitempty"`
	Assignee    *string    `json:"assignee,omitempty"`
	AssigneeIs  string     `json:"assignee_is,omitempty" doc:"customer (a contact) or vendor (a support member); empty when unassigned."`
	DueAt       *time.Time `json:"due_at,omitempty"`
}

// CustomerFacts is what a customer did in a period, from the activity log.
type CustomerFacts struct {
	Customer       string        `json:"customer"`
	Since          time.Time     `json:"since"`
	Until          time.Time     `json:"until"`
	Completed      []TaskFact    `json:"tasks_completed"`
	CompletedLate  []TaskFact    `json:"tasks_completed_late"`
	Blocked        []TaskFact    `json:"tasks_blocked_now"`
	Comments       int           `json:"comments_by_customer"`
	Questions      int           `json:"assistant_questions_by_customer"`
	LastActivity   *time.Time    `json:"last_customer_activity,omitempty"`
	LastActivityBy *string       `json:"last_customer_activity_by,omitempty"`
	Projects       []ProjectFact `json:"projects"`
}

// ProjectFact is a project's state in a summary.
type ProjectFact struct {
	Name     string     `json:"name"`
	Status   Status     `json:"status"`
	Progress float64    `json:"progress"`
	Deadline *time.Time `json:"deadline,omitempty"`
	Overdue  bool       `json:"overdue"`
}

// Blockers is what stands in a project's way.
type Blockers struct {
	Project     string     `json:"project"`
	Progress    float64    `json:"progress"`
	Deadline    *time.Time `json:"deadline,omitempty"`
	Overdue     bool       `json:"overdue"`
	Blocked     []TaskFact `json:"blocked"`
	OverdueOpen []TaskFact `json:"overdue_open" doc:"Open tasks past their due date."`
}
