package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/onboardiq/onboardiq"
)

// TestImportsAPI: a dry run answers the report and stores nothing; a real
// import with a bad row is refused with each problem by line and column,
// storing nothing; row by row is queued, and the job loads it; a missing
// column, an unknown kind and a binary file are 422 naming where.
func TestImportsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := []byte("Company;Account ID;ARR\r\nWidgets GmbH;W-1;1.200,50\r\nBroken AG;B-1;lots\r\n")
	before := e.snapshot(t)
	st, out := e.do(t, "admin", "POST", "/imports?kind=customers&dry_run=true&filename=c.csv", file)
	r := decodeAs[onboardiq.Import](t, out)
	if st != http.StatusOK || r.ID != nil || r.Delimiter != ";" || r.Counts != (onboardiq.ImportCounts{Create: 1, Skip: 1}) ||
		len(r.Problems) != 1 || r.Problems[0].Line != 3 || r.Problems[0].Column != 3 || r.Problems[0].Field != "ARR" {
		t.Fatalf("dry run: %d %s", st, out)
	}
	st, out = e.do(t, "admin", "POST", "/imports?kind=customers", file)
	var problem struct {
		Status int
		Errors []struct{ Location, Message string }
	}
	if err := json.Unmarshal(out, &problem); err != nil || st != http.StatusUnprocessableEntity || len(problem.Errors) != 2 ||
		problem.Errors[0].Location != "body" || problem.Errors[1].Location != "line 3, column 3 (ARR)" || !strings.Contains(problem.Errors[1].Message, "number") {
		t.Fatalf("all or nothing: %d %s", st, out)
	}
	if diff := cmp.Diff(before, e.snapshot(t)); diff != "" {
		t.Fatalf("a dry run or a refused import changed data:\n%s", diff)
	}

	st, out = e.do(t, "admin", "POST", "/imports?kind=customers&mode=rows", file)
	r = decodeAs[onboardiq.Import](t, out)
	if st != http.StatusAccepted || r.ID == nil || r.Status != onboardiq.ImportQueued {
		t.Fatalf("row by row: %d %s", st, out)
	}
	if err := e.db.App.RunImport(context.Background(), e.acme, *r.ID); err != nil {
		t.Fatal(err)
	}
	st, out = e.do(t, "admin", "GET", "/imports/"+r.ID.String(), nil)
	if r := decodeAs[onboardiq.Import](t, out); st != 200 || r.Status != onboardiq.ImportDone || r.Counts.Create != 1 || r.Processed != 2 {
		t.Fatalf("after the job: %d %s", st, out)
	}
	st, out = e.do(t, "admin", "GET", "/customers?q=Widgets", nil)
	if st != 200 || !strings.Contains(string(out), `"external_id":"W-1"`) || !strings.Contains(string(out), `"arr":1200.5`) {
		t.Errorf("the imported customer: %d %s", st, out)
	}

	// Past 50 MB: 413, before anything is read into an import.
	big := append([]byte("Company\n"), bytes.Repeat([]byte("Acme\n"), 50<<20/5+1)...)
	if st, out := e.do(t, "admin", "POST", "/imports?kind=customers&dry_run=true", big); st != http.StatusRequestEntityTooLarge || !strings.Contains(string(out), `"status":413`) {
		t.Errorf("a file of %d bytes: %d %.300s", len(big), st, out)
	}

	for _, c := range []struct{ path, body, location string }{
		{"/imports?kind=customers&map=name=", "Company\nX\n", "query.map"},
		{"/imports?kind=customers&map=name=Nope", "Company\nX\n", "query.map"},
		{"/imports?kind=customers&map=nonsense", "Company\nX\n", "query.map"},
		{"/imports?kind=widgets", "Company\nX\n", "query.kind"},
		{"/imports?kind=customers", "Company\nX\x00Y\n", "body"},
	} {
		st, out := e.do(t, "admin", "POST", c.path, []byte(c.body))
		if st != http.StatusUnprocessableEntity || !strings.Contains(string(out), `"location":"`+c.location) {
			t.Errorf("%s: %d %s, want 422 at %s", c.path, st, out, c.location)
		}
	}
}
