package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// TestImportCLI: a Windows-1252, semicolon-separated file is read as
// such; a dry run lists the bad row by line and column and changes
// nothing; all-or-nothing refuses it (exit 1); row by row loads the good
// rows with a progress bar, and the same file again creates nothing.
func TestImportCLI(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	ctx := context.Background()
	env := appEnv(d)
	if r := runCLI(t, ctx, env, nil, "tenant", "create", "--name", "Globex", "--slug", "globex", "--admin-email", "a@globex.test"); r.code != 0 {
		t.Fatalf("tenant create: %d %s", r.code, r.stderr)
	}
	// "Café Müller" in Windows-1252: é is 0xE9, ü is 0xFC.
	file := filepath.Join(t.TempDir(), "customers.csv")
	raw := []byte("Account Name;ARR;Renewal Date\r\nCaf\xe9 M\xfcller;1.500,50;2027-05-01\r\nInitech;lots;\r\n")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	dry := runCLI(t, ctx, env, nil, "import", "customers", file, "--tenant", "globex", "--dry-run")
	if dry.code != 0 || !strings.Contains(dry.stdout, "windows-1252") || !strings.Contains(dry.stdout, `line 3, column 2 (ARR): must be a number`) ||
		!strings.Contains(dry.stdout, "would import: 1 created") {
		t.Fatalf("dry run: %d %q %s", dry.code, dry.stdout, dry.stderr)
	}
	all := runCLI(t, ctx, env, nil, "import", "customers", file, "--tenant", "globex")
	if all.code != 1 || !strings.Contains(all.stderr, "1 row has a problem") {
		t.Fatalf("all or nothing: %d %q %s", all.code, all.stdout, all.stderr)
	}
	list := runCLI(t, ctx, env, nil, "customer", "list", "--tenant", "globex")
	if strings.Contains(list.stdout, "Caf") {
		t.Fatalf("a refused import added a customer: %s", list.stdout)
	}
	rows := runCLI(t, ctx, env, nil, "import", "customers", file, "--tenant", "globex", "--mode", "rows", "--json")
	var r struct {
		Status string
		Counts struct{ Create, Same, Skip int }
	}
	if err := json.Unmarshal([]byte(rows.stdout), &r); err != nil || rows.code != 0 || r.Status != "done" || r.Counts.Create != 1 || r.Counts.Skip != 1 ||
		!strings.Contains(rows.stderr, "] 1/1") {
		t.Fatalf("row by row: %d %q %s (%v)", rows.code, rows.stdout, rows.stderr, err)
	}
	list = runCLI(t, ctx, env, nil, "customer", "list", "--tenant", "globex")
	if !strings.Contains(list.stdout, "Café Müller") {
		t.Fatalf("imported customer missing: %s", list.stdout)
	}
	again := runCLI(t, ctx, env, nil, "import", "customers", file, "--tenant", "globex", "--mode", "rows", "--json")
	if err := json.Unmarshal([]byte(again.stdout), &r); err != nil || r.Counts.Create != 0 || r.Counts.Same != 1 {
		t.Fatalf("again: %q %s", again.stdout, again.stderr)
	}
	if bad := runCLI(t, ctx, env, nil, "import", "widgets", file, "--tenant", "globex"); bad.code != 2 || !strings.Contains(bad.stderr, "kind") {
		t.Fatalf("unknown kind: %d %s", bad.code, bad.stderr)
	}
}
