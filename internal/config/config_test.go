package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onboardiq/onboardiq/internal/config"

	"github.com/onboardiq/onboardiq"
)

func env(m map[string]string) config.Getenv {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Embedder != "local" || c.LLM != "local" || c.LogFormat != "json" ||
		c.StatementTimeout != 30*time.Second || c.BaseURL != "http://localhost:8080" || c.WebhookAllowPrivate {
		t.Errorf("defaults: %+v", c)
	}
	if _, err := c.OwnerURL(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("OwnerURL without DATABASE_URL: %v", err)
	}
	if _, err := c.AppURL(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("AppURL without any URL: %v", err)
	}
}

func TestBadValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	cases := map[string]map[string]string{
		"DATABASE_URL":                     {"DATABASE_URL": "mysql://x"},
		"ONBOARDIQ_APP_DATABASE_URL":       {"ONBOARDIQ_APP_DATABASE_URL": "http://x"},
		"ONBOARDIQ_EMBEDDER":               {"ONBOARDIQ_EMBEDDER": "magic"},
		"ONBOARDIQ_LLM":                    {"ONBOARDIQ_LLM": "gpt"},
		"ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE":  {"ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE": "maybe"},
		"ONBOARDIQ_STATEMENT_TIMEOUT":      {"ONBOARDIQ_STATEMENT_TIMEOUT": "-3s"},
		"ONBOARDIQ_LOG_LEVEL":              {"ONBOARDIQ_LOG_LEVEL": "loud"},
		"ONBOARDIQ_BASE_URL":               {"ONBOARDIQ_BASE_URL": "example.com"},
		"ONBOARDIQ_SMTP_URL":               {"ONBOARDIQ_SMTP_URL": "mail.example.com:25"},
		"ONBOARDIQ_ADDR":                   {"ONBOARDIQ_ADDR": "8080"},
		"ONBOARDIQ_DEV_MAILBOX":            {"ONBOARDIQ_DEV_MAILBOX": "true", "ONBOARDIQ_SMTP_URL": "smtp://mail.example.com:25"},
		"ANTHROPIC_API_KEY":                {"ONBOARDIQ_LLM": "anthropic"},
		"OPENAI_API_KEY":                   {"OPENAI_API_KEY": "a", "OPENAI_API_KEY_FILE": "/b"},
		"DATABASE_URL_FILE":                {"DATABASE_URL_FILE": "/does/not/exist"},
		"ONBOARDIQ_TRUSTED_PROXIES":        {"ONBOARDIQ_TRUSTED_PROXIES": "10.0.0.0/8, proxy.internal"},
		"ONBOARDIQ_SECRET_KEY":             {"ONBOARDIQ_SECRET_KEY": "c2hvcnQ="},
		"ONBOARDIQ_METRICS_ADDR":           {"ONBOARDIQ_METRICS_ADDR": "9464"},
		"ONBOARDIQ_DB_MAX_CONNS":           {"ONBOARDIQ_DB_MAX_CONNS": "1"},
		"ONBOARDIQ_ASSISTANT_USER_LIMIT":   {"ONBOARDIQ_ASSISTANT_USER_LIMIT": "20 per minute"},
		"ONBOARDIQ_AI_USER_BUDGET_PERCENT": {"ONBOARDIQ_AI_USER_BUDGET_PERCENT": "0"},
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Load(env(vars))
			if err == nil || !strings.Contains(err.Error(), name+":") {
				t.Errorf("got %v, want an error naming %s", err, name)
			}
		})
	}
}

func TestAllBadValuesReportedAtOnce(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{"ONBOARDIQ_LLM": "x", "ONBOARDIQ_EMBEDDER": "y"}))
	if err == nil || !strings.Contains(err.Error(), "ONBOARDIQ_LLM") || !strings.Contains(err.Error(), "ONBOARDIQ_EMBEDDER") {
		t.Errorf("got %v, want both variables named", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("s3cret pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(env(map[string]string{
		"DATABASE_URL":                   "postgres://owner:ownerpw@db.internal:5432/onboardiq?sslmode=require",
		"ONBOARDIQ_APP_DB_PASSWORD_FILE": file,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.AppDBPassword != "s3cret pass" {
		t.Errorf("password from file = %q", c.AppDBPassword)
	}
	got, err := c.AppURL()
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://onboardiq_app:s3cret%20pass@db.internal:5432/onboardiq?sslmode=require"; got != want {
		t.Errorf("AppURL = %s, want %s", got, want)
	}
	if c.AppRoleName() != "onboardiq_app" || c.AppPassword() != "s3cret pass" {
		t.Errorf("role %q password %q", c.AppRoleName(), c.AppPassword())
	}
	if s := c.String(); strings.Contains(s, "ownerpw") || strings.Contains(s, "s3cret") {
		t.Errorf("String() leaks a secret: %s", s)
	}
}

func TestAppURLSwapsUserWithoutPassword(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{"DATABASE_URL": "postgres://owner:pw@localhost/db"}))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.AppURL()
	if got != "postgres://onboardiq_app@localhost/db" {
		t.Errorf("AppURL = %s", got)
	}
}

func TestExplicitAppURLWins(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{
		"DATABASE_URL":               "postgres://owner@localhost/db",
		"ONBOARDIQ_APP_DATABASE_URL": "postgres://svc_onboard:pw2@localhost/db",
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.AppURL()
	if got != "postgres://svc_onboard:pw2@localhost/db" || c.AppRoleName() != "svc_onboard" || c.AppPassword() != "pw2" {
		t.Errorf("AppURL %s role %s password %s", got, c.AppRoleName(), c.AppPassword())
	}
}

func TestSecuritySettings(t *testing.T) {
	t.Parallel()
	key1, key2 := strings.Repeat("A", 43)+"=", strings.Repeat("B", 43)+"="
	c, err := config.Load(env(map[string]string{
		"ONBOARDIQ_TRUSTED_PROXIES":      "10.0.0.0/8, 192.168.1.10,::1",
		"ONBOARDIQ_SECRET_KEY":           key1 + "," + key2,
		"ONBOARDIQ_METRICS_ADDR":         "off",
		"ONBOARDIQ_ASSISTANT_USER_LIMIT": "5/1m",
		"ONBOARDIQ_DB_MAX_CONNS":         "12",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if got := strings.Join(proxies, " "); got != "10.0.0.0/8 192.168.1.10/32 ::1/128" {
		t.Errorf("trusted proxies: %s", got)
	}
	if len(c.SecretKeys) != 2 || len(c.SecretKeys[0]) != 32 || c.SecretKeys[0][0] != 0 {
		t.Errorf("secret keys: %d", len(c.SecretKeys))
	}
	if c.MetricsAddr != "" || c.AssistantUserAsks != (onboardiq.Rate{N: 5, Window: time.Minute}) || c.DBMaxConns != 12 {
		t.Errorf("got %+v", c)
	}
	if strings.Contains(c.String(), key1) {
		t.Error("the secret key is logged")
	}
	d, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if d.MetricsAddr != "127.0.0.1:9464" || d.DBMaxConns < 8 || d.AIUserBudgetPercent != 25 || d.AssistantUserAsks.N != 20 {
		t.Errorf("defaults: %+v", d)
	}
}

func TestPoolURL(t *testing.T) {
	t.Parallel()
	c := &config.Config{DBMaxConns: 12}
	for in, want := range map[string]string{
		"postgres://app@db/onboardiq?sslmode=disable":  "postgres://app@db/onboardiq?pool_max_conns=12&sslmode=disable",
		"postgres://app@db/onboardiq?pool_max_conns=3": "postgres://app@db/onboardiq?pool_max_conns=3",
		"host=db user=app dbname=onboardiq":            "host=db user=app dbname=onboardiq pool_max_conns=12",
	} {
		if got := c.PoolURL(in); got != want {
			t.Errorf("PoolURL(%q) = %q, want %q", in, got, want)
		}
	}
}
