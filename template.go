package onboardiq

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Template is a playbook: phases of tasks with due dates relative to the
// project start.
type Template struct {
	ID          uuid.UUID      `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	IsDefault   bool           `json:"is_default"`
	Tasks       []PlaybookTask `json:"tasks"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// Validate normalises a template's fields and tasks, naming the first bad
// one (tasks[3].side, say).
func (t *Template) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := checkText("name", t.Name, 1, 200); err != nil {
		return err
	}
	if err := checkText("description", t.Description, 0, 10000); err != nil {
		return err
	}
	if len(t.Tasks) == 0 || len(t.Tasks) > 500 {
		return Invalid("tasks", "must hold 1 to 500 tasks")
	}
	for i := range t.Tasks {
		if err := t.Tasks[i].validate(); err != nil {
			e := err.(*Error)
			e.Field = "tasks[" + strconv.Itoa(i) + "]." + e.Field
			return e
		}
	}
	return nil
}

func (pt *PlaybookTask) validate() error {
	pt.Phase, pt.Description = strings.TrimSpace(pt.Phase), strings.TrimSpace(pt.Description)
	if pt.Visibility == "" {
		pt.Visibility = VisibilityCustomer
	}
	for _, err := range []error{
		checkText("phase", pt.Phase, 1, 100),
		checkText("description", pt.Description, 1, 500),
		checkText("details", pt.Details, 0, 20000),
	} {
		if err != nil {
			return err
		}
	}
	switch {
	case pt.OffsetDays < 0 || pt.OffsetDays > 3650:
		return Invalid("offset_days", "must be between 0 and 3650")
	case pt.DurationDays < 0 || pt.DurationDays > 3650:
		return Invalid("duration_days", "must be between 0 and 3650")
	case pt.Side != "customer" && pt.Side != "vendor":
		return Invalid("side", "must be customer or vendor")
	case pt.Visibility != VisibilityCustomer && pt.Visibility != VisibilityInternal:
		return Invalid("visibility", "must be customer or internal")
	}
	return nil
}
