package web

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// The template editor's form: one row per task, its fields named
// tasks[N].field (N the row's number in the form, which a re-rendered form
// keeps), each row carrying its task's id. Blank rows (tasks[N].blank) add
// tasks: one left without a title is ignored. The order saved is the rows'
// positions: a row moved up goes before the row that had that position, one
// moved down after it, and a new row without a position stays where it was
// shown.

// templateRow is one row of the editor, its fields as typed.
type templateRow struct {
	N                                       int
	ID                                      string
	Blank                                   bool // a row for a new task: ignored without a title
	Position, Was                           string
	Phase, Title, Details, Offset, Duration string
	Side, Visibility                        string
	DependsOn                               map[string]bool
	Remove                                  bool
	Errors                                  map[string]string // by field: phase, description, offset_days…
	Waits                                   int               // how many tasks it waits on
}

// Label names the row in its fields' labels: "task 3", or "new row 21".
func (r templateRow) Label() string {
	if r.Blank {
		return "new row " + strconv.Itoa(r.N+1)
	}
	return "task " + r.Was
}

// templatePhase is a run of rows of one phase, as the editor groups them.
type templatePhase struct {
	Name string
	Rows []templateRow
}

// taskChoice is a task that others may wait on: a predecessor checkbox.
type taskChoice struct{ ID, Title string }

// templateEditor is the editor page: a template's fields as typed, its
// rows by phase, and the errors beside them.
type templateEditor struct {
	ID          uuid.UUID // uuid.Nil for a new template
	Name        string
	Description string
	IsDefault   bool
	WasDefault  bool // the stored template is the default: it cannot be deleted
	Projects    int
	Phases      []templatePhase
	Choices     []taskChoice
	PhaseNames  []string
	Errors      map[string]string // name, description, tasks
	CanEdit     bool
	Template    *onboardiq.Template // the stored template, for the read-only view
}

// New reports whether the editor makes a new template.
func (e *templateEditor) New() bool { return e.ID == uuid.Nil }

// Action is where the editor posts.
func (e *templateEditor) Action() string {
	if e.New() {
		return "/app/templates"
	}
	return "/app/templates/" + e.ID.String()
}

// TitleOf names a task of the stored template by id, for the read-only
// view's "waits on".
func (e *templateEditor) TitleOf(id uuid.UUID) string {
	for _, c := range e.Choices {
		if c.ID == id.String() {
			return c.Title
		}
	}
	return ""
}

// editorOf shows a stored template in the editor, with a blank row at the
// end of each phase and one for a new phase.
func editorOf(t *onboardiq.Template, canEdit bool) *templateEditor {
	e := &templateEditor{ID: t.ID, Name: t.Name, Description: t.Description, IsDefault: t.IsDefault, WasDefault: t.IsDefault,
		Projects: t.Projects, CanEdit: canEdit, Template: t}
	var rows []templateRow
	blank := func(phase string, offset int) templateRow {
		return templateRow{N: len(rows), ID: uuid.NewString(), Blank: true, Phase: phase, Offset: strconv.Itoa(offset), Duration: "1",
			Side: onboardiq.SideVendor, Visibility: string(onboardiq.VisibilityCustomer)}
	}
	end := 0
	for i, pt := range t.Tasks {
		if i > 0 && pt.Phase != t.Tasks[i-1].Phase {
			rows = append(rows, blank(t.Tasks[i-1].Phase, end))
		}
		deps := map[string]bool{}
		for _, d := range pt.DependsOn {
			deps[d.String()] = true
		}
		pos := strconv.Itoa(i + 1)
		rows = append(rows, templateRow{N: len(rows), ID: pt.ID.String(), Position: pos, Was: pos, Phase: pt.Phase, Title: pt.Description,
			Details: pt.Details, Offset: strconv.Itoa(pt.OffsetDays), Duration: strconv.Itoa(pt.DurationDays), Side: pt.Side,
			Visibility: string(pt.Visibility), DependsOn: deps})
		end = max(end, pt.OffsetDays+pt.DurationDays)
		e.Choices = append(e.Choices, taskChoice{pt.ID.String(), pt.Description})
	}
	if n := len(t.Tasks); n > 0 {
		rows = append(rows, blank(t.Tasks[n-1].Phase, end))
	}
	rows = append(rows, blank("", end))
	e.setRows(rows)
	return e
}

// newEditor is the editor of a new template: blank rows only.
func newEditor() *templateEditor {
	e := &templateEditor{CanEdit: true}
	rows := make([]templateRow, 5)
	for i := range rows {
		rows[i] = templateRow{N: i, ID: uuid.NewString(), Blank: true, Offset: "0", Duration: "1", Side: onboardiq.SideVendor,
			Visibility: string(onboardiq.VisibilityCustomer)}
	}
	e.setRows(rows)
	return e
}

// setRows groups rows, in form order, into runs of one phase, and lists
// the phases for the phase field's suggestions.
func (e *templateEditor) setRows(rows []templateRow) {
	e.Phases, e.PhaseNames = nil, nil
	for _, r := range rows {
		r.Waits = len(r.DependsOn)
		if n := len(e.Phases); n > 0 && e.Phases[n-1].Name == r.Phase {
			e.Phases[n-1].Rows = append(e.Phases[n-1].Rows, r)
			continue
		}
		e.Phases = append(e.Phases, templatePhase{Name: r.Phase, Rows: []templateRow{r}})
		if r.Phase != "" && !slices.Contains(e.PhaseNames, r.Phase) {
			e.PhaseNames = append(e.PhaseNames, r.Phase)
		}
	}
}

var rowField = regexp.MustCompile(`^tasks\[(\d{1,4})\]\.id$`)

// maxRows bounds the rows a form may send: a template's tasks, and blank
// rows beside them.
const maxRows = onboardiq.MaxTemplateTasks + 100

// parseTemplateForm reads the editor's form: the editor to show again
// should the save be refused (everything as typed), the template to save,
// and for each of its tasks the row it came from. A value that is not a
// number where one is needed is refused here, beside its row's field.
func parseTemplateForm(form url.Values, id uuid.UUID) (*templateEditor, onboardiq.Template, []int, error) {
	e := &templateEditor{ID: id, Name: form.Get("name"), Description: form.Get("description"), IsDefault: form.Get("is_default") == "on",
		CanEdit: true}
	var ns []int
	for k := range form {
		if m := rowField.FindStringSubmatch(k); m != nil {
			n, _ := strconv.Atoi(m[1])
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	if len(ns) > maxRows {
		return e, onboardiq.Template{}, nil, onboardiq.Invalid("tasks", "at most %d rows", maxRows)
	}
	rows := make([]templateRow, len(ns))
	for i, n := range ns {
		f := func(name string) string { return form.Get("tasks[" + strconv.Itoa(n) + "]." + name) }
		r := templateRow{N: n, ID: f("id"), Blank: f("blank") == "true", Position: strings.TrimSpace(f("position")), Was: f("was"),
			Phase: f("phase"), Title: f("description"), Details: f("details"), Offset: strings.TrimSpace(f("offset_days")),
			Duration: strings.TrimSpace(f("duration_days")), Side: f("side"), Visibility: f("visibility"), Remove: f("remove") == "on",
			DependsOn: map[string]bool{}}
		for _, d := range form["tasks["+strconv.Itoa(n)+"].depends_on"] {
			r.DependsOn[d] = true
		}
		rows[i] = r
	}
	e.setRows(rows)
	for _, r := range rows {
		if !r.Remove && (!r.Blank || strings.TrimSpace(r.Title) != "") {
			e.Choices = append(e.Choices, taskChoice{r.ID, r.Title})
		}
	}

	// The rows kept, each with its place in the order.
	type placed struct {
		row int     // index into rows
		key float64 // where it goes
	}
	var keep []placed
	gone := map[string]bool{}
	prev := 0.0
	for i, r := range rows {
		if r.Remove || (r.Blank && strings.TrimSpace(r.Title) == "") {
			gone[r.ID] = true
			continue
		}
		key := prev + 1e-3 // a new row without a position stays where it was shown
		if r.Position != "" {
			p, err := strconv.Atoi(r.Position)
			if err != nil || p < 1 {
				return e, onboardiq.Template{}, nil, rowError(e, r.N, "position", "must be a whole number from 1")
			}
			was, err := strconv.Atoi(r.Was)
			switch {
			case err != nil || p < was:
				key = float64(p) - 0.5 // moved up (or new): before the row at p
			case p > was:
				key = float64(p) + 0.5 // moved down: after the row at p
			default:
				key = float64(p)
			}
		}
		prev = key
		keep = append(keep, placed{i, key})
	}
	slices.SortStableFunc(keep, func(a, b placed) int { return cmp.Compare(a.key, b.key) })

	t := onboardiq.Template{ID: id, Name: e.Name, Description: e.Description, IsDefault: e.IsDefault}
	rowOf := make([]int, 0, len(keep))
	for _, k := range keep {
		r := rows[k.row]
		taskID, err := uuid.Parse(r.ID)
		if err != nil {
			return e, t, nil, rowError(e, r.N, "description", "this row's id was changed; reload the page")
		}
		offset, err := strconv.Atoi(r.Offset)
		if err != nil {
			return e, t, nil, rowError(e, r.N, "offset_days", "must be a whole number of working days")
		}
		duration, err := strconv.Atoi(r.Duration)
		if err != nil {
			return e, t, nil, rowError(e, r.N, "duration_days", "must be a whole number of working days")
		}
		pt := onboardiq.TemplateTask{ID: taskID, Phase: r.Phase, Description: r.Title, Details: r.Details, OffsetDays: offset,
			DurationDays: duration, Side: r.Side, Visibility: onboardiq.Visibility(r.Visibility), DependsOn: []uuid.UUID{}}
		for d := range r.DependsOn {
			if gone[d] { // a removed task is no one's predecessor
				continue
			}
			did, err := uuid.Parse(d)
			if err != nil {
				return e, t, nil, rowError(e, r.N, "depends_on", "names no task")
			}
			pt.DependsOn = append(pt.DependsOn, did)
		}
		slices.SortFunc(pt.DependsOn, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
		t.Tasks = append(t.Tasks, pt)
		rowOf = append(rowOf, r.N)
	}
	return e, t, rowOf, nil
}

var taskFieldRE = regexp.MustCompile(`^tasks\[(\d+)\]\.(\w+)$`)

// placeError puts an error the store returned beside the field it names:
// tasks[3].offset_days is the offset field of the row the template's
// fourth task came from; name and description are the template's; any
// other is the form's.
func placeError(e *templateEditor, rowOf []int, err error) {
	field := onboardiq.ErrorField(err)
	msg := onboardiq.ErrorMessage(err)
	if m := taskFieldRE.FindStringSubmatch(field); m != nil {
		if i, _ := strconv.Atoi(m[1]); i < len(rowOf) {
			rowError(e, rowOf[i], m[2], msg)
			return
		}
	}
	if field != "name" && field != "description" {
		if field != "" {
			msg = errText(err)
		}
		field = "tasks"
	}
	if e.Errors == nil {
		e.Errors = map[string]string{}
	}
	e.Errors[field] = msg
}

// rowError notes an error beside field of row n, and returns it.
func rowError(e *templateEditor, n int, field, msg string) error {
	err := onboardiq.Invalid("tasks["+strconv.Itoa(n)+"]."+field, "%s", msg)
	for p := range e.Phases {
		for i := range e.Phases[p].Rows {
			if r := &e.Phases[p].Rows[i]; r.N == n {
				if r.Errors == nil {
					r.Errors = map[string]string{}
				}
				r.Errors[field] = msg
				return err
			}
		}
	}
	if e.Errors == nil {
		e.Errors = map[string]string{}
	}
	e.Errors["tasks"] = msg
	return err
}
