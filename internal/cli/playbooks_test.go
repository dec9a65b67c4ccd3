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

// TestPlaybooksAsCode: playbooks export writes the demo tenant's
// playbooks; imported into another tenant (its own defaults replaced by
// name) and exported again, the file is the same, in YAML and in JSON; a
// bad file fails, naming the playbook and field, and changes nothing.
func TestPlaybooksAsCode(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	seed := seedDemo(t, d)
	ctx := context.Background()
	env := appEnv(d)
	if r := runCLI(t, ctx, env, nil, "tenant", "create", "--name", "Umbrella", "--slug", "umbrella", "--admin-email", "a@umbrella.test"); r.code != 0 {
		t.Fatalf("tenant create: %d %s", r.code, r.stderr)
	}
	dir := t.TempDir()
	for _, format := range []string{"yaml", "json"} {
		r := runCLI(t, ctx, env, nil, "playbooks", "export", "--tenant", seed.Slug, "--format", format)
		if r.code != 0 || !strings.Contains(r.stdout, "Health below 40") {
			t.Fatalf("export %s: %d %q %s", format, r.code, r.stdout, r.stderr)
		}
		file := filepath.Join(dir, "playbooks."+format)
		if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
			t.Fatal(err)
		}
		imp := runCLI(t, ctx, env, nil, "playbooks", "import", file, "--tenant", "umbrella", "--json")
		var res struct{ Created, Updated int }
		if err := json.Unmarshal([]byte(imp.stdout), &res); imp.code != 0 || err != nil || res.Created != 0 || res.Updated != 6 {
			t.Fatalf("import %s: %d %q %s", format, imp.code, imp.stdout, imp.stderr)
		}
		out := filepath.Join(dir, "again."+format)
		if r := runCLI(t, ctx, env, nil, "playbooks", "export", "--tenant", "umbrella", "--format", format, "-o", out); r.code != 0 {
			t.Fatalf("export again: %d %s", r.code, r.stderr)
		}
		again, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != r.stdout {
			t.Errorf("%s: the export differs after a round trip", format)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\nplaybooks:\n  - name: Health below 40\n    subject: customer\n    trigger: {schedule: someday}\n    actions: [{type: notify, to: [csm], subject: x}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := runCLI(t, ctx, env, nil, "playbooks", "export", "--tenant", "umbrella").stdout
	if r := runCLI(t, ctx, env, nil, "playbooks", "import", bad, "--tenant", "umbrella"); r.code == 0 || !strings.Contains(r.stderr, "playbooks[0].trigger.schedule") {
		t.Errorf("a bad file: exit %d: %s", r.code, r.stderr)
	}
	if after := runCLI(t, ctx, env, nil, "playbooks", "export", "--tenant", "umbrella").stdout; after != before {
		t.Error("a refused import changed the playbooks")
	}
}

// TestTenantExport: tenant export writes the demo workspace's archive, a
// JSON document with its customers and without password hashes, to a file
// only its owner may read.
func TestTenantExport(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	seed := seedDemo(t, d)
	file := filepath.Join(t.TempDir(), "acme.json")
	if r := runCLI(t, context.Background(), appEnv(d), nil, "tenant", "export", "--tenant", seed.Slug, "-o", file); r.code != 0 {
		t.Fatalf("tenant export: %d %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tables map[string][]map[string]any `json:"tables"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Tables["customers"]) != 3 || strings.Contains(string(b), "password_hash") {
		t.Fatalf("archive: %v, %d customers", err, len(doc.Tables["customers"]))
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", st.Mode(), err)
	}
}
