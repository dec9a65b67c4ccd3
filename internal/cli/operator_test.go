package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/testdb"
)

// operator token create prints the token once; list shows it without the
// secret; revoke ends it, and the app then refuses it.
func TestOperatorTokenCommands(t *testing.T) {
	t.Parallel()
	d := testdb.New(t)
	env := appEnv(d)
	ctx := context.Background()
	r := runCLI(t, ctx, env, nil, "operator", "token", "create", "--name", "billing", "--json")
	if r.code != 0 {
		t.Fatalf("create: %d %s", r.code, r.stderr)
	}
	var created struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || !strings.HasPrefix(created.Token, "oiqop_") || created.Name != "billing" {
		t.Fatalf("create printed %q (%v)", r.stdout, err)
	}
	if _, err := d.App.AuthenticateOperator(ctx, created.Token); err != nil {
		t.Fatalf("the new token: %v", err)
	}
	r = runCLI(t, ctx, env, nil, "operator", "token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, created.ID) || !strings.Contains(r.stdout, "billing") || strings.Contains(r.stdout, created.Token[6:]) {
		t.Fatalf("list: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, ctx, env, nil, "operator", "token", "revoke", created.ID); r.code != 0 {
		t.Fatalf("revoke: %d %s", r.code, r.stderr)
	}
	if _, err := d.App.AuthenticateOperator(ctx, created.Token); err == nil {
		t.Error("a revoked operator token still works")
	}
	if r := runCLI(t, ctx, env, nil, "operator", "token", "create"); r.code == 0 || !strings.Contains(r.stderr, "name") {
		t.Errorf("create without a name: %d %s", r.code, r.stderr)
	}
	// The application role cannot make operator tokens.
	appOnly := map[string]string{"DATABASE_URL": d.AppURL, "ONBOARDIQ_SECRET_KEY": testdb.SecretKey}
	if r := runCLI(t, ctx, appOnly, nil, "operator", "token", "create", "--name", "sneaky"); r.code == 0 {
		t.Errorf("create as the app role: %d %s", r.code, r.stdout)
	}
}
