package web_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/mailtest"
	"github.com/onboardiq/onboardiq/internal/mention"
	"github.com/onboardiq/onboardiq/internal/notify"
)

// suggestion is one person a comment box offers to mention.
type suggestion struct{ Name, Email, Detail, Insert string }

// suggestions reads the people the task page's comment box offers.
func suggestions(t *testing.T, p page) []suggestion {
	t.Helper()
	boxes := p.all("textarea#body[data-mentionable]")
	if len(boxes) != 1 {
		t.Fatalf("%d comment boxes offer mentions", len(boxes))
	}
	var out []suggestion
	if err := json.Unmarshal([]byte(attr(boxes[0], "data-mentionable")), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// demoUser adds a user to the demo workspace, as the command line would.
func demoUser(t *testing.T, a *app, in onboardiq.NewUser) *onboardiq.User {
	t.Helper()
	ctx := onboardiq.NewContextWithPrincipal(context.Background(), onboardiq.SystemPrincipal(a.demo.TenantID))
	u, err := a.db.App.CreateUser(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// pressEnter presses Enter as a keyboard does: one key-down that carries
// its text, which the page may cancel (chromedp's SendKeys sends the text
// in an event of its own, which no page can).
var pressEnter = chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeKeyDown, input.DispatchKeyEventTypeKeyUp} {
		k := input.DispatchKeyEventParams{Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		if typ == input.DispatchKeyEventTypeKeyDown {
			k.Text, k.UnmodifiedText = "\r", "\r"
		}
		if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, k); err != nil {
			return err
		}
	}
	return nil
})

// TestTaskPageSuggestsMentions: the task page's comment box offers the
// people a mention would notify (Tx.Mentionable): active staff with their
// role, and the task's customer's contacts with their company when
// customers see the task; never the commenter, a disabled user or another
// customer's contact. Each is inserted as the text the notifier reads as
// them alone: the full name, or the address when two people share the
// name. A role that may not comment gets no box and no list.
func TestTaskPageSuggestsMentions(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	system := onboardiq.NewContextWithPrincipal(context.Background(), onboardiq.SystemPrincipal(a.demo.TenantID))
	// A second Omar Aziz, on the staff: the name no longer mentions
	// either, their addresses do.
	demoUser(t, a, onboardiq.NewUser{Email: "omar.aziz@acme.example", Name: "Omar Aziz", Role: onboardiq.RoleViewer})
	var sam uuid.UUID
	actScan(t, a, `SELECT user_id FROM tenant_users WHERE email = 'sam.lee@acme.example'`, nil, &sam)
	if _, err := a.db.App.UpdateUser(system, sam, onboardiq.UserPatch{Disabled: onboardiq.Set(true)}); err != nil {
		t.Fatal(err)
	}
	shared := actTaskID(t, a, rollout, `t.visibility = 'customer'`)
	internal := actTaskID(t, a, rollout, `t.task_id <> '`+shared+`'`)
	actExec(t, a, `UPDATE tasks SET visibility = 'internal' WHERE task_id = $1`, internal)

	c := signIn(t, a, "priya.shah@acme.example")
	pg := get(t, c, a.url+"/app/tasks/"+shared)
	if pg.status != http.StatusOK {
		t.Fatalf("task page: %d", pg.status)
	}
	box := pg.all("textarea#body")[0]
	if attr(box, "aria-describedby") != "body-hint" || !strings.Contains(pg.text("#body-hint"), "@") {
		t.Errorf("the comment box does not say how to mention: %q", pg.text("#body-hint"))
	}
	got := map[string]suggestion{}
	var names []string
	for _, s := range suggestions(t, pg) {
		got[s.Email] = s
		names = append(names, s.Name)
	}
	want := map[string]suggestion{
		"alex.morgan@acme.example":     {"Alex Morgan", "alex.morgan@acme.example", "Admin", "@Alex Morgan"},
		"marco.rossi@acme.example":     {"Marco Rossi", "marco.rossi@acme.example", "CSM", "@Marco Rossi"},
		"dana.whitfield@acme.example":  {"Dana Whitfield", "dana.whitfield@acme.example", "Sales leader", "@Dana Whitfield"},
		"omar.aziz@acme.example":       {"Omar Aziz", "omar.aziz@acme.example", "Viewer", "@omar.aziz@acme.example"},
		"hannah.becker@globex.example": {"Hannah Becker", "hannah.becker@globex.example", "Globex Logistics", "@Hannah Becker"},
		"omar.aziz@globex.example":     {"Omar Aziz", "omar.aziz@globex.example", "Globex Logistics", "@omar.aziz@globex.example"},
	}
	for email, w := range want {
		if got[email] != w {
			t.Errorf("%s is offered as %+v, want %+v", email, got[email], w)
		}
	}
	for _, email := range []string{"priya.shah@acme.example", "sam.lee@acme.example", "lena.park@initech.example", "raj.patel@initech.example", "tom.fischer@umbrella.example"} {
		if _, ok := got[email]; ok {
			t.Errorf("%s is offered: the commenter, a disabled user or another customer's contact", email)
		}
	}
	if len(got) != len(want) {
		t.Errorf("offered %v, want the %d people above", names, len(want))
	}
	// What each choice inserts mentions that person alone, as the notifier
	// reads it (the offered people and the commenter are its candidates).
	people := []mention.Person{{Name: "Priya Shah", Email: "priya.shah@acme.example"}}
	var offered []suggestion
	for _, s := range suggestions(t, pg) {
		people = append(people, mention.Person{Name: s.Name, Email: s.Email})
		offered = append(offered, s)
	}
	for i, s := range offered {
		if found := mention.Find("Hi "+s.Insert+" there", people); !slices.Equal(found, []int{i + 1}) {
			t.Errorf("inserting %q mentions %v, want only %s", s.Insert, found, s.Email)
		}
	}

	// A task the customer does not see offers no contact.
	for _, s := range suggestions(t, get(t, c, a.url+"/app/tasks/"+internal)) {
		if strings.HasSuffix(s.Email, ".example") && !strings.HasSuffix(s.Email, "@acme.example") {
			t.Errorf("a staff-only task offers the contact %s", s.Email)
		}
	}
	// A sales leader, who may not comment, gets no box and no list.
	if p := get(t, signIn(t, a, "dana.whitfield@acme.example"), a.url+"/app/tasks/"+shared); len(p.all("[data-mentionable]")) != 0 || len(p.all("textarea#body")) != 0 {
		t.Error("a sales leader is offered mentions")
	}
}

// TestMentionAutocomplete: in the browser, typing "@" and letters in the
// task page's comment box lists the matching people (an ARIA listbox the
// box controls); the arrow keys move the active option, Tab and Enter
// insert it, Escape closes the list leaving the text; the comment posted
// notifies each person it mentions once the jobs have run.
func TestMentionAutocomplete(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	box := mailtest.New(t)
	logger := slog.New(slog.DiscardHandler)
	runner, err := jobs.Start(context.Background(), jobs.Deps{DB: a.db.App, Embedder: ai.Local{}, Logger: logger,
		Mailer: &notify.Mailer{SMTPURL: box.URL(), From: "Acme <onboarding@acme.example>", BaseURL: a.url, Logger: logger}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(10 * time.Second) })
	task := actTaskID(t, a, rollout, `t.visibility = 'customer'`)

	ctx := browser(t)
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	// state is the combobox as assistive technology reads it: expanded,
	// the options listed, and the active one.
	state := func() string {
		t.Helper()
		return eval(`(() => {
			const box = document.querySelector("#body");
			const list = document.getElementById(box.getAttribute("aria-controls"));
			if (!list || list.getAttribute("role") !== "listbox" || box.getAttribute("role") !== "combobox") return "no combobox";
			const opts = Array.from(list.querySelectorAll("[role=option]"));
			const active = document.getElementById(box.getAttribute("aria-activedescendant") || "");
			const picked = opts.filter((o) => o.getAttribute("aria-selected") === "true");
			return box.getAttribute("aria-expanded") + (list.hidden ? " hidden" : " shown") + ": " +
				opts.map((o) => o.querySelector(".mention-name").textContent).join(", ") +
				" | " + (active && picked.length === 1 && picked[0] === active ? active.querySelector(".mention-name").textContent : "-");
		})()`)
	}
	value := func() string { t.Helper(); return eval(`document.querySelector("#body").value`) }

	do("sign in and open the task",
		chromedp.Navigate(a.url+"/signin"),
		chromedp.SendKeys(chromedp.CSS("#workspace"), "acme"),
		chromedp.SendKeys(chromedp.CSS("#email"), "priya.shah@acme.example"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#active")),
		chromedp.Navigate(a.url+"/app/tasks/"+task),
		chromedp.WaitVisible(chromedp.CSS("#body")),
	)
	if s := state(); s != "false hidden:  | -" {
		t.Fatalf("before typing: %s", s)
	}
	// "@m": Marco Rossi by his name, Alex Morgan by a later word of his.
	do("type @m", chromedp.Click(chromedp.CSS("#body")), chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent("@m"))
	if s := state(); s != "true shown: Marco Rossi, Alex Morgan | Marco Rossi" {
		t.Fatalf("after @m: %s", s)
	}
	screenshot(t, ctx, "mentions")
	do("arrow down", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent(kb.ArrowDown))
	if s := state(); s != "true shown: Marco Rossi, Alex Morgan | Alex Morgan" {
		t.Errorf("after ArrowDown: %s", s)
	}
	do("arrow down, arrow up", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent(kb.ArrowDown+kb.ArrowUp)) // wraps to Marco, back to Alex
	if s := state(); s != "true shown: Marco Rossi, Alex Morgan | Alex Morgan" {
		t.Errorf("after ArrowDown, ArrowUp: %s", s)
	}
	do("tab", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent(kb.Tab))
	if v := value(); v != "@Alex Morgan " {
		t.Errorf("Tab inserted %q", v)
	}
	if s := state(); s != "false hidden:  | -" {
		t.Errorf("after choosing: %s", s)
	}
	// Escape closes the list and leaves what was typed; typing on opens it
	// again, and Enter inserts without sending the form.
	do("type and escape", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent("and @ha"))
	if s := state(); s != "true shown: Hannah Becker | Hannah Becker" {
		t.Errorf("after @ha: %s", s)
	}
	do("escape", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent(kb.Escape))
	if s, v := state(), value(); s != "false hidden:  | -" || v != "@Alex Morgan and @ha" {
		t.Errorf("after Escape: %s, %q", s, v)
	}
	do("type on and enter", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent("n"), pressEnter)
	if v := value(); v != "@Alex Morgan and @Hannah Becker " {
		t.Errorf("Enter inserted %q", v)
	}
	// Someone the task's customer does not employ is not offered.
	do("type @lena", chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent("@Lena"))
	if s := state(); s != "false hidden:  | -" {
		t.Errorf("after @Lena (Initech's): %s", s)
	}
	do("finish and send",
		chromedp.Focus(chromedp.CSS("#body")), chromedp.KeyEvent("\b\b\b\b\bplease confirm the go-live date."),
		chromedp.Click(chromedp.CSS("#comment-form button")),
	)
	// The form posts and the page comes back with the comment; while it
	// navigates, reading the page may fail.
	body := "@Alex Morgan and @Hannah Becker please confirm the go-live date."
	got := ""
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(got, body) && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		got, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS("ul.comments")))
	}
	if !strings.Contains(got, body) {
		t.Fatalf("the comments read %q", got)
	}

	// Both mentioned hear of it once the fan-out has run: Alex (staff) in
	// the app and by email, Hannah (a contact) in the app.
	var mentioned []string
	for deadline := time.Now().Add(60 * time.Second); len(mentioned) < 2 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		mentioned = nil
		actScan(t, a, `SELECT coalesce(array_agg(u.email ORDER BY u.email), '{}') FROM notifications n
JOIN tenant_users u ON u.tenant_id = n.tenant_id AND u.user_id = n.user_id
WHERE n.kind = 'mentioned' AND n.data->>'task_id' = $1`, []any{task}, &mentioned)
	}
	if !slices.Equal(mentioned, []string{"alex.morgan@acme.example", "hannah.becker@globex.example"}) {
		t.Fatalf("mentioned notifications for %v", mentioned)
	}
	if m := box.WaitForText(t, "alex.morgan@acme.example", "mentioned you", 30*time.Second); !strings.Contains(m.Data, "Priya Shah mentioned you") {
		t.Errorf("Alex's email: %q", m.Data)
	}
}
