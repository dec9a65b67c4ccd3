package bench

import (
	"context"
	"fmt"
	"slices"
)

// ScanSection is the delay scan's section of `onboardiq bench all`: the
// scale's ScanProjects over ScanTenants tenants, scanned twice as bench
// scan does, env.Rounds times (the data generated once, reset between
// rounds), as two rows: the first run and the second, which should write
// nothing. Their goals are issue 18's, scaled to the projects.
func ScanSection(ctx context.Context, env SectionEnv) ([]Row, error) {
	s := env.Scale
	if s.ScanProjects == 0 {
		return nil, nil
	}
	parallel := int(env.DB.Pool.Config().MaxConns)
	var (
		first, second                  Row
		firsts, seconds, written, heap []float64
		goalFirst, goalSecond          float64
	)
	for r := range max(env.Rounds, 1) {
		rep, err := Scan(ctx, env.DB, env.OwnerURL, ScanOptions{Projects: s.ScanProjects, Tenants: s.ScanTenants, TasksPerProject: s.ScanTasks,
			Parallel: parallel, GenerateWorkers: 2, Analyze: true, Keep: env.Keep || r < env.Rounds-1, Logf: env.Logf})
		if err != nil {
			return nil, err
		}
		firsts, seconds = append(firsts, rep.FirstSeconds), append(seconds, rep.SecondSeconds)
		written = append(written, float64(rep.Second.RowsWritten))
		heap = append(heap, float64(rep.PeakHeapBytes)/(1<<20))
		what := fmt.Sprintf("the delay scan over %d projects of %d tasks in %d tenants (%d in the database), %d at once", rep.Projects, rep.TasksPerProject,
			rep.Tenants, rep.TenantsScanned, rep.Parallel)
		first = Row{Section: "scan", Name: "delay scan, first run", What: what, Unit: "s",
			Details: map[string]any{"statements": rep.First.Statements, "rows_written": rep.First.RowsWritten, "notifications": rep.First.Notifications,
				"goal_seconds": rep.GoalFirstSeconds, "generate_seconds": rep.GenerateSeconds}}
		second = Row{Section: "scan", Name: "delay scan, second run", What: what + ", nothing changed since the first", Unit: "s",
			Details: map[string]any{"statements": rep.Second.Statements, "rows_written": rep.Second.RowsWritten, "goal_seconds": rep.GoalSecondSeconds}}
		goalFirst, goalSecond = rep.GoalFirstSeconds, rep.GoalSecondSeconds
	}
	f, sec := Median(firsts), Median(seconds)
	first.Value, second.Value = &f, &sec
	first.Details["peak_heap_mb"] = Median(heap)
	first.Details["seconds_each_round"], second.Details["seconds_each_round"] = firsts, seconds
	first.Goal = &Goal{Text: fmt.Sprintf("≤ %.3g s (%.0f s for %d projects)", goalFirst, GoalScanFirstSeconds, GoalScanProjects),
		Status: status([2]bool{true, f <= goalFirst})}
	second.Goal = &Goal{Text: fmt.Sprintf("≤ %.3g s, nothing written (%.0f s for %d projects)", goalSecond, GoalScanSecondSeconds, GoalScanProjects),
		Status: status([2]bool{true, sec <= goalSecond}, [2]bool{true, slices.Max(written) == 0})}
	return []Row{first, second}, nil
}
