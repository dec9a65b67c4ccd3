package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/demo"
	"github.com/onboardiq/onboardiq/internal/server"
	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestWalkthrough runs the curl walk-through of docs/api.md, as written,
// against the demo workspace, so the documentation cannot drift from the
// API.
func TestWalkthrough(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "grep", "cut"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walk-through needs %s", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	walk := string(doc)
	walk = walk[strings.Index(walk, "## A walk through"):strings.Index(walk, "The same from the command line")]
	var script strings.Builder
	script.WriteString("set -eu\n")
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(walk, -1) {
		script.WriteString(m[1])
		script.WriteString("echo\n")
	}

	d := testdb.New(t)
	res, err := demo.Seed(context.Background(), d.App, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.New(server.Options{DB: d.App, Logger: slog.New(slog.DiscardHandler), Version: "test"}))
	defer srv.Close()
	tokens := map[string]string{}
	for _, l := range res.Logins {
		tokens[l.Email] = l.Token
	}
	s := script.String()
	s = strings.Replace(s, "API=http://localhost:8080/api/v1", "API="+srv.URL+"/api/v1", 1)
	s = strings.Replace(s, "ADMIN=oiq_…", "ADMIN="+tokens["alex.morgan@acme.example"], 1)
	s = strings.Replace(s, "CSM=oiq_…", "CSM="+tokens["priya.shah@acme.example"], 1)

	out, err := exec.Command("bash", "-c", s).CombinedOutput()
	if err != nil {
		t.Fatalf("the walk-through failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		`"name":"Hooli rollout","description":"","status":"in_progress","progress":10,`,
		`"kind":"task.blocked"`,
		`"kind":"customer.support_member_assigned"`,
		`"author":"Gavin Belson"`,
		`"status":422`, `"location":"body.progress"`,
		`"status":403`,
		`"status":404`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walk-through's output lacks %s:\n%s", want, out)
		}
	}
}
