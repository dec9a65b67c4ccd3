package web_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/demo"
)

// TestTemplateEditorInBrowser: an admin opens the default template, renames
// a task, adds a row under its phase (the script's "Add a row") for a new
// task that waits on it, with details, saves, reloads, and finds both: the
// renamed task with its details, the new one with its details and its
// predecessor.
func TestTemplateEditorInBrowser(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	id := a.defaultTemplateID(t)
	ctx := browser(t)
	const (
		kickoff = "Kickoff call: goals, scope and success criteria"
		renamed = "Kickoff meeting"
		added   = "Send the welcome pack"
		notes   = "Logins, the plan and the first steps."
	)
	err := chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "alex.morgan@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#inbox")), // signed in: the console's navigation
		chromedp.Navigate(a.url+"/app/templates"),
		chromedp.Click(chromedp.CSS(`#templates a[href="/app/templates/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("form#template-editor")),
	)
	if err != nil {
		t.Fatal(err)
	}
	kickoffID, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
  const title = [...document.querySelectorAll("input[name$='.description']")].find((i) => i.value === `+jsString(kickoff)+`);
  return title.closest("tr").querySelector("input[name$='.id']").value;
})()`))
	if err != nil || kickoffID == "" {
		t.Fatalf("the kickoff call's row: %v", err)
	}
	kickoffRow, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
  const title = [...document.querySelectorAll("input[name$='.description']")].find((i) => i.value === `+jsString(kickoff)+`);
  return title.closest("tr").id;
})()`))
	if err != nil {
		t.Fatal(err)
	}
	titleSel := chromedp.CSS("#" + kickoffRow + " input[name$='.description']")
	err = chromedp.Do(ctx,
		chromedp.Clear(titleSel),
		chromedp.SendKeys(titleSel, renamed),
		// The first phase (Kickoff) gets a new row.
		chromedp.Click(chromedp.CSS(`#template-tasks tbody.phase-group button.add-row`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
  const rows = document.querySelectorAll("#template-tasks tbody:first-of-type tr.task-row.blank");
  return rows[rows.length - 1].id;
})()`))
	if err != nil || row == "" {
		t.Fatalf("the added row: %q %v", row, err)
	}
	in := func(sel string) chromedp.CSS { return chromedp.CSS("#" + row + " " + sel) }
	err = chromedp.Do(ctx,
		chromedp.SendKeys(in("input[name$='.description']"), added),
		chromedp.Click(in("details.task-details summary")),
		chromedp.SendKeys(in("textarea[name$='.details']"), notes),
		chromedp.Click(in("details.waits summary")),
		chromedp.Click(in(`input[type=checkbox][value="`+kickoffID+`"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "template-editor")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("form#template-editor button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if flash := text(t, ctx, ".flash"); !strings.Contains(flash, "Saved") {
		t.Fatalf("after saving: %q", flash)
	}
	// Reload: both are there, with their details; the new task waits on
	// the renamed one.
	err = chromedp.Do(ctx,
		chromedp.Navigate(a.url+"/app/templates/"+id),
		chromedp.WaitVisible(chromedp.CSS("form#template-editor")),
	)
	if err != nil {
		t.Fatal(err)
	}
	type found struct {
		ID, Details string
		Waits       []string
	}
	read := func(title string) found {
		t.Helper()
		f, err := chromedp.Run(ctx, chromedp.Evaluate[found](`(() => {
  const title = [...document.querySelectorAll("input[name$='.description']")].find((i) => i.value === `+jsString(title)+`);
  if (!title) return {ID: "", Details: "", Waits: []};
  const tr = title.closest("tr");
  return {
    ID: tr.querySelector("input[name$='.id']").value,
    Details: tr.querySelector("textarea[name$='.details']").value,
    Waits: [...tr.querySelectorAll("input[name$='.depends_on']:checked")].map((c) => c.value),
  };
})()`))
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if got := read(renamed); got.ID != kickoffID || got.Details != onboardiq.DefaultTemplate[1].Details {
		t.Errorf("the renamed task: %+v, want id %s with its details", got, kickoffID)
	}
	if got := read(added); got.ID == "" || got.Details != notes || len(got.Waits) != 1 || got.Waits[0] != kickoffID {
		t.Errorf("the new task: %+v, want it waiting on %s", got, kickoffID)
	}
	// The new task is where it was added: after the kickoff phase's last
	// task.
	order, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr.task-row:not(.blank) input[name$='.description']")].map((i) => i.value)`))
	if i := slices.Index(order, added); err != nil || i < 1 || order[i-1] != "Share the project plan and communication channels" {
		t.Errorf("the tasks' order: %q (%v)", order, err)
	}
	if got := read(kickoff); got.ID != "" {
		t.Errorf("the old title is still there")
	}
	// The "waits on" list names the renamed task by its new title.
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name$='.depends_on'][value='`+kickoffID+`']").closest("label").textContent.trim()`))
	if err != nil || label != renamed {
		t.Errorf("the predecessor's label: %q %v", label, err)
	}

	// On a phone, neither page scrolls sideways.
	for _, path := range []string{"/app/templates", "/app/templates/" + id} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(a.url+path), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
			t.Fatal(err)
		}
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.scrollingElement.scrollWidth`))
		if path != "/app/templates" {
			screenshot(t, ctx, "template-editor-phone")
		}
		if err != nil || width > 390 {
			t.Errorf("%s at 390 px: %d wide (%v)", path, width, err)
		}
	}
}

// jsString quotes s for a script.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
