package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq/internal/demo"
)

// waitFor polls a script until it returns true, while the page may be
// navigating (a form posted and the page coming back).
func waitFor(t *testing.T, ctx interface{ Done() <-chan struct{} }, what string, check func() (bool, error)) {
	t.Helper()
	var last error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ok, err := check()
		if err == nil && ok {
			return
		}
		last = err
	}
	t.Fatalf("%s: not after 15 s (%v)", what, last)
}

// TestProjectTaskTableInBrowser: on the project page a CSM changes a
// task's status in place — choosing "blocked" shows the reason field
// first, and the row comes back blocked with its reason —, filters the
// overdue tasks, and selects two rows to move their due dates by three
// days, keeping the filter.
func TestProjectTaskTableInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	ctx := browser(t)
	const name = "Globex platform rollout"
	projectURL := a.url + "/app/projects/" + a.projectID(t, name)
	target := actTaskID(t, a, name, `t.status = 'in_progress'`)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#active")),
		chromedp.Navigate(projectURL),
		chromedp.WaitVisible(chromedp.CSS("#task-table")),
	)
	if err != nil {
		t.Fatal(err)
	}
	eval := func(js string) bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	row := `document.getElementById("status-` + target + `")`
	// With script, a row that is not blocked shows no reason field and no
	// Save button: choosing a status saves it.
	if !eval(row + `.querySelector(".reason-field").hidden && ` + row + `.querySelector("button").hidden`) {
		t.Fatal("the reason field or the Save button shows before blocked is chosen")
	}
	eval(`(() => { const s = ` + row + `.querySelector("select"); s.value = "blocked"; s.dispatchEvent(new Event("change", { bubbles: true })); return true })()`)
	if !eval(`!` + row + `.querySelector(".reason-field").hidden && !` + row + `.querySelector("button").hidden && document.activeElement.id === "r-` + target + `"`) {
		t.Fatal("choosing blocked does not show and focus the reason field")
	}
	screenshot(t, ctx, "project-blocking")
	reason := "Waiting for the customer's DBA"
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#r-"+target), reason),
		chromedp.Click(chromedp.CSS("#status-"+target+" button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the row comes back blocked", func() (bool, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const r = document.getElementById("task-`+target+`");
			return !!r && r.classList.contains("blocked") && r.querySelector(".pill.blocked") !== null && r.textContent.includes(`+"`"+reason+"`"+`) })()`))
	})
	if st := actTaskState(t, a, target); st.status != "blocked" || st.reason != reason {
		t.Errorf("stored: %+v", st)
	}

	// The overdue filter: every row shown is overdue, as many as its count.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//nav[contains(@class,"filters")]//a[starts-with(normalize-space(.), "Overdue")]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the overdue filter", func() (bool, error) {
		// The new page, loaded: its address, and its table and counts.
		return chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search === "?filter=overdue" && document.readyState === "complete" &&
			document.querySelector("nav.filters a.current .count") !== null`))
	})
	var overdue int
	actScan(t, a, `SELECT count(*) FROM tasks t JOIN projects p ON p.project_id = t.project_id
WHERE p.name = $1 AND t.due_at < now() AND t.status NOT IN ('completed', 'cancelled')`, []any{name}, &overdue)
	if overdue < 2 {
		t.Fatalf("the demo project has %d overdue tasks; the test needs two", overdue)
	}
	counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.querySelectorAll("#task-table tr.task").length,
		document.querySelectorAll("#task-table tr.task.overdue").length,
		Number(document.querySelector("nav.filters a.current .count").textContent)]`))
	if err != nil || len(counts) != 3 || counts[0] != overdue || counts[1] != overdue || counts[2] != overdue {
		t.Fatalf("overdue view: rows, overdue rows, count = %v (%v); want %d each", counts, err, overdue)
	}
	screenshot(t, ctx, "project-overdue")

	// Select the first two rows and move their dates three days on.
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#task-table tr.task")).slice(0, 2).map((r) => r.id.slice(5))`))
	if err != nil || len(ids) != 2 {
		t.Fatalf("rows: %v %v", ids, err)
	}
	due := func(id string) time.Time {
		var d time.Time
		actScan(t, a, `SELECT due_at FROM tasks WHERE task_id = $1`, []any{id}, &d)
		return d
	}
	before := []time.Time{due(ids[0]), due(ids[1])}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sel-"+ids[0])),
		chromedp.Click(chromedp.CSS("#sel-"+ids[1])),
		chromedp.SendKeys(chromedp.CSS("#bulk-shift"), "3"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "#bulk .selected-count"); got != "2 tasks selected" {
		t.Errorf("the bulk form says %q", got)
	}
	if !eval(`document.querySelector("#bulk .reason-field").hidden`) {
		t.Error("the bulk form shows its reason field without blocked chosen")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#bulk button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the flash after the bulk change", func() (bool, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector(".flash") || {}).textContent === "Changed 2 tasks."`))
	})
	for i, id := range ids {
		if got, want := due(id), before[i].AddDate(0, 0, 3); !got.Equal(want) {
			t.Errorf("task %s due %v, want %v", id, got, want)
		}
	}
	if search, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`)); err != nil || search != "?filter=overdue" {
		t.Errorf("after the bulk change the page shows %q, want the overdue filter kept", search)
	}
	screenshot(t, ctx, "project-shifted")
	if strings.Contains(text(t, ctx, "main"), "Something went wrong") {
		t.Error("an error page")
	}

	// On a phone, neither the project page nor the portfolio timeline
	// scrolls sideways: the table and the chart keep to their boxes.
	for _, path := range []string{"/app/projects/" + a.projectID(t, name), "/app/timeline"} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS("svg.timeline"))); err != nil {
			t.Fatal(err)
		}
		if width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`)); err != nil || width > 390 {
			t.Errorf("%s at 390 px: %d px wide (%v)", path, width, err)
		}
	}
	screenshot(t, ctx, "timeline-phone")
}
