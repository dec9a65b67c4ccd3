package schedule

import (
	"slices"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAddWorkdays(t *testing.T) {
	t.Parallel()
	// 2026-03-06 is a Friday; 2026-03-09 a Monday.
	holidays := Calendar{Holidays: map[Date]bool{{2026, time.March, 10}: true}}
	for _, c := range []struct {
		cal  Calendar
		from string
		n    int
		want string
	}{
		{Calendar{}, "2026-03-05 09:30", 1, "2026-03-06 09:30"},
		{Calendar{}, "2026-03-06 09:30", 1, "2026-03-09 09:30"},  // over the weekend
		{Calendar{}, "2026-03-06 09:30", 5, "2026-03-13 09:30"},  // a whole week
		{Calendar{}, "2026-03-09 17:00", -1, "2026-03-06 17:00"}, // back over the weekend
		{Calendar{}, "2026-03-07 12:00", 0, "2026-03-07 12:00"},  // zero keeps a Saturday
		{Calendar{}, "2026-03-07 12:00", 1, "2026-03-09 12:00"},  // from a Saturday to Monday
		{holidays, "2026-03-09 09:00", 1, "2026-03-11 09:00"},    // skipping the holiday
		{holidays, "2026-03-11 09:00", -1, "2026-03-09 09:00"},
	} {
		if got := c.cal.AddWorkdays(day(c.from), c.n); !got.Equal(day(c.want)) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", c.from, c.n, got.Format(time.DateTime), c.want)
		}
	}
}

func TestWorkdaysBetween(t *testing.T) {
	t.Parallel()
	holidays := Calendar{Holidays: map[Date]bool{{2026, time.March, 10}: true}}
	for _, c := range []struct {
		cal  Calendar
		a, b string
		want int
	}{
		{Calendar{}, "2026-03-05 09:00", "2026-03-05 18:00", 0},
		{Calendar{}, "2026-03-05 09:00", "2026-03-06 09:00", 1},
		{Calendar{}, "2026-03-06 09:00", "2026-03-09 09:00", 1}, // Friday to Monday
		{Calendar{}, "2026-03-09 09:00", "2026-03-06 09:00", -1},
		{Calendar{}, "2026-03-06 09:00", "2026-03-07 09:00", 0}, // to a Saturday: no working day passed
		{Calendar{}, "2026-03-02 09:00", "2026-03-16 09:00", 10},
		{holidays, "2026-03-09 09:00", "2026-03-11 09:00", 1},
	} {
		if got := c.cal.WorkdaysBetween(day(c.a), day(c.b)); got != c.want {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	// Shifting by the count moves a working day as the first was moved.
	cal := holidays
	for _, move := range [][2]string{{"2026-03-05 09:00", "2026-03-12 09:00"}, {"2026-03-12 09:00", "2026-03-03 09:00"}} {
		n := cal.WorkdaysBetween(day(move[0]), day(move[1]))
		if got := cal.AddWorkdays(day(move[0]), n); !got.Equal(day(move[1])) {
			t.Errorf("AddWorkdays(%s, WorkdaysBetween → %d) = %s, want %s", move[0], n, got, move[1])
		}
	}
}

// graph is a test graph: a node's predecessors.
type graph map[string][]string

func (g graph) dependsOn(n string) []string { return g[n] }

func TestFindCycle(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		nodes []string
		g     graph
		want  []string
	}{
		{"none", []string{"a", "b", "c"}, graph{"b": {"a"}, "c": {"a", "b"}}, nil},
		{"self", []string{"a", "b"}, graph{"b": {"b"}}, []string{"b"}},
		{"two", []string{"a", "b"}, graph{"a": {"b"}, "b": {"a"}}, []string{"a", "b"}},
		{"three, entered from outside", []string{"x", "a", "b", "c"}, graph{"x": {"a"}, "a": {"b"}, "b": {"c"}, "c": {"a"}}, []string{"a", "b", "c"}},
		{"unknown predecessors ignored", []string{"a"}, graph{"a": {"zz"}}, nil},
	} {
		if got := FindCycle(c.nodes, c.g.dependsOn); !slices.Equal(got, c.want) {
			t.Errorf("%s: FindCycle = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestDependentsAndOrder(t *testing.T) {
	t.Parallel()
	// d waits on b and c, which wait on a; e is apart.
	nodes := []string{"d", "c", "b", "a", "e"}
	g := graph{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}
	if got, want := TopoOrder(nodes, g.dependsOn), []string{"a", "b", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Errorf("TopoOrder = %v, want %v", got, want)
	}
	if got, want := Dependents(nodes, g.dependsOn, "a"), []string{"b", "c", "d"}; !slices.Equal(got, want) {
		t.Errorf("Dependents(a) = %v, want %v", got, want)
	}
	if got, want := Dependents(nodes, g.dependsOn, "b"), []string{"d"}; !slices.Equal(got, want) {
		t.Errorf("Dependents(b) = %v, want %v", got, want)
	}
	if got := Dependents(nodes, g.dependsOn, "e"); got != nil {
		t.Errorf("Dependents(e) = %v, want none", got)
	}
}

func TestCriticalPath(t *testing.T) {
	t.Parallel()
	nodes := []string{"a", "b", "c", "d", "e"}
	g := graph{"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}
	dur := map[string]int{"a": 2, "b": 1, "c": 4, "d": 3, "e": 8}
	length, path := CriticalPath(nodes, g.dependsOn, func(n string) int { return dur[n] })
	if length != 9 || !slices.Equal(path, []string{"a", "c", "d"}) {
		t.Errorf("CriticalPath = %d %v, want 9 [a c d]", length, path)
	}
	// A long independent task outruns the chain.
	dur["e"] = 12
	length, path = CriticalPath(nodes, g.dependsOn, func(n string) int { return dur[n] })
	if length != 12 || !slices.Equal(path, []string{"e"}) {
		t.Errorf("CriticalPath = %d %v, want 12 [e]", length, path)
	}
	if length, path := CriticalPath(nil, g.dependsOn, func(string) int { return 1 }); length != 0 || path != nil {
		t.Errorf("CriticalPath of nothing = %d %v", length, path)
	}
}
