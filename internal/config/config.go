// Package config reads OnboardIQ's configuration from the environment, once,
// and validates it. Every secret may instead be read from a file named by
// the variable with a _FILE suffix (for Docker and Kubernetes secrets).
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
)

// Config is the whole configuration. Secrets are masked when it is printed
// or logged.
type Config struct {
	DatabaseURL      string // the schema owner, for migrate
	AppDatabaseURL   string // the application role, for serve and the data commands
	AppDBPassword    string
	Addr             string
	BaseURL          string
	LogFormat        string // json or text
	LogLevel         slog.Level
	StatementTimeout time.Duration

	SMTPURL string

	Embedder       string // local or openai
	EmbeddingModel string
	LLM            string // local, openai or anthropic
	LLMModel       string
	OpenAIBaseURL  string
	OpenAIAPIKey   string
	AnthropicKey   string

	WebhookAllowPrivate bool

	AITimeout    time.Duration // per model call
	JobWorkers   int           // background jobs run at once per server
	ScanInterval time.Duration // the delay scan's period
	EmailFrom    string
	DevMailbox   bool // serve /dev/mailbox when there is no SMTP server (development only)

	// DBMaxConns bounds the application role's connection pool.
	DBMaxConns int
	// TrustedProxies are the peers whose X-Forwarded-For and Forwarded
	// headers are believed: the reverse proxies in front of the server.
	TrustedProxies []netip.Prefix
	// SecretKeys encrypt recoverable secrets at rest (webhook signing
	// secrets): each is 32 bytes; the first encrypts, all decrypt, so a key
	// can be rotated in by putting the new one first.
	SecretKeys [][]byte
	// MetricsAddr is where /metrics is served ("" when off); MetricsToken,
	// when set, is the bearer token it requires.
	MetricsAddr  string
	MetricsToken string

	// The assistant's limits: asks per user and per tenant in a window,
	// and the share of the tenant's monthly token budget one user may use.
	AssistantUserAsks   onboardiq.Rate
	AssistantTenantAsks onboardiq.Rate
	AIUserBudgetPercent int

	// Replies by email: the domain of reply+<token>@ addresses ("" when
	// replies by email are off), the address of the built-in SMTP listener
	// for them ("" when off), and the secret that signs a mail provider's
	// inbound webhook (POST /api/v1/inbound/email; "" when off).
	InboundDomain        string
	InboundSMTPAddr      string
	InboundWebhookSecret string
}

// Getenv is os.Getenv's shape, so tests can pass a map.
type Getenv func(string) string

// Load reads and validates the configuration. An error names the variable.
func Load(getenv Getenv) (*Config, error) {
	r := reader{getenv: getenv}
	c := &Config{
		DatabaseURL:    r.secret("DATABASE_URL"),
		AppDatabaseURL: r.secret("ONBOARDIQ_APP_DATABASE_URL"),
		AppDBPassword:  r.secret("ONBOARDIQ_APP_DB_PASSWORD"),
		Addr:           r.str("ONBOARDIQ_ADDR", ":8080"),
		BaseURL:        r.str("ONBOARDIQ_BASE_URL", ""),
		LogFormat:      r.oneOf("ONBOARDIQ_LOG_FORMAT", "json", "json", "text"),
		SMTPURL:        r.secret("ONBOARDIQ_SMTP_URL"),
		Embedder:       r.oneOf("ONBOARDIQ_EMBEDDER", "local", "local", "openai"),
		EmbeddingModel: r.str("ONBOARDIQ_EMBEDDING_MODEL", ""),
		LLM:            r.oneOf("ONBOARDIQ_LLM", "local", "local", "openai", "anthropic"),
		LLMModel:       r.str("ONBOARDIQ_LLM_MODEL", ""),
		OpenAIBaseURL:  r.str("OPENAI_BASE_URL", ""),
		OpenAIAPIKey:   r.secret("OPENAI_API_KEY"),
		AnthropicKey:   r.secret("ANTHROPIC_API_KEY"),

		WebhookAllowPrivate: r.boolean("ONBOARDIQ_WEBHOOK_ALLOW_PRIVATE"),
		StatementTimeout:    r.duration("ONBOARDIQ_STATEMENT_TIMEOUT", 30*time.Second),
		AITimeout:           r.duration("ONBOARDIQ_AI_TIMEOUT", 60*time.Second),
		JobWorkers:          r.integer("ONBOARDIQ_JOB_WORKERS", 4, 1, 100),
		ScanInterval:        r.duration("ONBOARDIQ_SCAN_INTERVAL", 5*time.Minute),
		EmailFrom:           r.str("ONBOARDIQ_EMAIL_FROM", ""),
		DevMailbox:          r.boolean("ONBOARDIQ_DEV_MAILBOX"),

		DBMaxConns:          r.integer("ONBOARDIQ_DB_MAX_CONNS", defaultMaxConns(), 2, 1000),
		TrustedProxies:      r.prefixes("ONBOARDIQ_TRUSTED_PROXIES"),
		SecretKeys:          r.keys("ONBOARDIQ_SECRET_KEY"),
		MetricsAddr:         r.str("ONBOARDIQ_METRICS_ADDR", "127.0.0.1:9464"),
		MetricsToken:        r.secret("ONBOARDIQ_METRICS_TOKEN"),
		AssistantUserAsks:   r.rate("ONBOARDIQ_ASSISTANT_USER_LIMIT", onboardiq.Rate{N: 20, Window: 10 * time.Minute}),
		AssistantTenantAsks: r.rate("ONBOARDIQ_ASSISTANT_TENANT_LIMIT", onboardiq.Rate{N: 300, Window: 10 * time.Minute}),
		AIUserBudgetPercent: r.integer("ONBOARDIQ_AI_USER_BUDGET_PERCENT", 25, 1, 100),

		InboundDomain:        strings.ToLower(r.str("ONBOARDIQ_INBOUND_DOMAIN", "")),
		InboundSMTPAddr:      r.str("ONBOARDIQ_INBOUND_SMTP_ADDR", ""),
		InboundWebhookSecret: r.secret("ONBOARDIQ_INBOUND_WEBHOOK_SECRET"),
	}
	if c.InboundDomain != "" && (!strings.Contains(c.InboundDomain, ".") || strings.ContainsAny(c.InboundDomain, "@/: ")) {
		r.fail("ONBOARDIQ_INBOUND_DOMAIN", "want a domain such as reply.example.com, got %q", c.InboundDomain)
	}
	if c.InboundSMTPAddr != "" && !strings.Contains(c.InboundSMTPAddr, ":") {
		r.fail("ONBOARDIQ_INBOUND_SMTP_ADDR", "want host:port or :port, got %q", c.InboundSMTPAddr)
	}
	if (c.InboundSMTPAddr != "" || c.InboundWebhookSecret != "") && c.InboundDomain == "" {
		r.fail("ONBOARDIQ_INBOUND_DOMAIN", "required when ONBOARDIQ_INBOUND_SMTP_ADDR or ONBOARDIQ_INBOUND_WEBHOOK_SECRET is set: replies go to reply+…@ that domain")
	}
	if c.InboundWebhookSecret != "" && len(c.InboundWebhookSecret) < 24 {
		r.fail("ONBOARDIQ_INBOUND_WEBHOOK_SECRET", "must be at least 24 characters")
	}
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if !strings.Contains(c.MetricsAddr, ":") {
		r.fail("ONBOARDIQ_METRICS_ADDR", "want host:port, or off, got %q", c.MetricsAddr)
	}
	c.LogLevel = r.level("ONBOARDIQ_LOG_LEVEL")

	r.postgresURL("DATABASE_URL", c.DatabaseURL)
	r.postgresURL("ONBOARDIQ_APP_DATABASE_URL", c.AppDatabaseURL)
	r.httpURL("ONBOARDIQ_BASE_URL", c.BaseURL)
	r.httpURL("OPENAI_BASE_URL", c.OpenAIBaseURL)
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			r.fail("ONBOARDIQ_SMTP_URL", "want smtp://user:pass@host:port or smtps://…")
		}
	}
	if c.Addr != "" && !strings.Contains(c.Addr, ":") {
		r.fail("ONBOARDIQ_ADDR", "want host:port or :port, got %q", c.Addr)
	}
	if c.DevMailbox && c.SMTPURL != "" {
		r.fail("ONBOARDIQ_DEV_MAILBOX", "is for development without an SMTP server; unset it when ONBOARDIQ_SMTP_URL is set")
	}
	if c.LLM == "anthropic" && c.AnthropicKey == "" && len(r.errs) == 0 {
		r.fail("ANTHROPIC_API_KEY", "required when ONBOARDIQ_LLM=anthropic")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + localHost(c.Addr)
	}
	if c.EmailFrom == "" {
		host := "localhost"
		if u, err := url.Parse(c.BaseURL); err == nil && u.Hostname() != "" && strings.Contains(u.Hostname(), ".") {
			host = u.Hostname()
		}
		c.EmailFrom = "OnboardIQ <onboardiq@" + host + ">"
	} else if _, err := mail.ParseAddress(c.EmailFrom); err != nil {
		r.fail("ONBOARDIQ_EMAIL_FROM", "want an address such as OnboardIQ <onboarding@example.com>")
	}
	if err := errors.Join(r.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// OwnerURL returns the schema owner's connection URL, or an error naming
// the variable to set.
func (c *Config) OwnerURL() (string, error) {
	if c.DatabaseURL == "" {
		return "", errors.New("DATABASE_URL is not set: it names the database and the role that owns the schema (for example postgres://onboardiq@localhost/onboardiq)")
	}
	return c.DatabaseURL, nil
}

// AppURL returns the connection URL of the application role:
// ONBOARDIQ_APP_DATABASE_URL when set, otherwise DATABASE_URL with the user
// swapped for onboardiq_app and the password from ONBOARDIQ_APP_DB_PASSWORD
// (none when it is unset).
func (c *Config) AppURL() (string, error) {
	if c.AppDatabaseURL != "" {
		return c.AppDatabaseURL, nil
	}
	if c.DatabaseURL == "" {
		return "", errors.New("neither ONBOARDIQ_APP_DATABASE_URL nor DATABASE_URL is set: one must name the database")
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	if c.AppDBPassword != "" {
		u.User = url.UserPassword(appRole, c.AppDBPassword)
	} else {
		u.User = url.User(appRole)
	}
	return u.String(), nil
}

// PoolURL returns the connection string dsn with the pool bounded to
// DBMaxConns connections, unless dsn sets pool_max_conns itself.
func (c *Config) PoolURL(dsn string) string {
	if c.DBMaxConns == 0 || strings.Contains(dsn, "pool_max_conns") {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		q.Set("pool_max_conns", strconv.Itoa(c.DBMaxConns))
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " pool_max_conns=" + strconv.Itoa(c.DBMaxConns) // key=value form
}

// AppRoleName returns the user of the application URL.
func (c *Config) AppRoleName() string {
	if c.AppDatabaseURL != "" {
		if u, err := url.Parse(c.AppDatabaseURL); err == nil && u.User != nil && u.User.Username() != "" {
			return u.User.Username()
		}
	}
	return appRole
}

// AppPassword returns the password the application role should have, from
// ONBOARDIQ_APP_DB_PASSWORD or the application URL.
func (c *Config) AppPassword() string {
	if c.AppDBPassword != "" {
		return c.AppDBPassword
	}
	if u, err := url.Parse(c.AppDatabaseURL); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	return ""
}

// AIOptions returns the AI providers' settings.
func (c *Config) AIOptions() ai.Options {
	return ai.Options{
		Embedder: c.Embedder, EmbeddingModel: c.EmbeddingModel,
		LLM: c.LLM, LLMModel: c.LLMModel,
		OpenAIBaseURL: c.OpenAIBaseURL, OpenAIAPIKey: c.OpenAIAPIKey, AnthropicKey: c.AnthropicKey,
		Timeout: c.AITimeout, MaxRetries: 3,
	}
}

// defaultMaxConns is the pool size when ONBOARDIQ_DB_MAX_CONNS is unset:
// four connections per CPU, at least eight. Requests hold a connection for
// one short transaction, and River's workers take their own.
func defaultMaxConns() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// appRole is the application role's default name.
const appRole = "onboardiq_app"

// LogValue masks the secrets when the configuration is logged.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("database_url", maskURL(c.DatabaseURL)),
		slog.String("app_database_url", maskURL(c.AppDatabaseURL)),
		slog.String("addr", c.Addr),
		slog.String("base_url", c.BaseURL),
		slog.String("smtp_url", maskURL(c.SMTPURL)),
		slog.String("embedder", c.Embedder),
		slog.String("llm", c.LLM),
		slog.Bool("openai_api_key_set", c.OpenAIAPIKey != ""),
		slog.Bool("anthropic_api_key_set", c.AnthropicKey != ""),
		slog.Bool("webhook_allow_private", c.WebhookAllowPrivate),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.Int("trusted_proxies", len(c.TrustedProxies)),
		slog.Int("secret_keys", len(c.SecretKeys)),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Bool("metrics_token_set", c.MetricsToken != ""),
		slog.String("assistant_user_limit", c.AssistantUserAsks.String()),
		slog.String("assistant_tenant_limit", c.AssistantTenantAsks.String()),
		slog.Int("ai_user_budget_percent", c.AIUserBudgetPercent),
		slog.String("inbound_domain", c.InboundDomain),
		slog.String("inbound_smtp_addr", c.InboundSMTPAddr),
		slog.Bool("inbound_webhook_secret_set", c.InboundWebhookSecret != ""),
	)
}

// String masks the secrets too.
func (c *Config) String() string { return c.LogValue().String() }

// maskURL hides a URL's password.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func localHost(addr string) string {
	if strings.HasPrefix(addr, ":") {
		return "localhost" + addr
	}
	return addr
}

// reader collects every bad variable, so one run reports them all.
type reader struct {
	getenv Getenv
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads name, or the file named by name_FILE; setting both is an error.
func (r *reader) secret(name string) string {
	v, file := r.getenv(name), r.getenv(name+"_FILE")
	switch {
	case v != "" && file != "":
		r.fail(name, "set either %s or %s_FILE, not both", name, name)
		return ""
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			r.fail(name+"_FILE", "read: %v", err)
			return ""
		}
		return strings.TrimRight(string(b), "\r\n")
	}
	return strings.TrimSpace(v)
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "want one of %s, got %q", strings.Join(allowed, ", "), v)
	return def
}

func (r *reader) boolean(name string) bool {
	v := r.str(name, "false")
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "want true or false, got %q", v)
	}
	return b
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "want a positive duration such as 30s, got %q", v)
		return def
	}
	return d
}

func (r *reader) integer(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, "want a whole number from %d to %d, got %q", lo, hi, v)
		return def
	}
	return n
}

func (r *reader) level(name string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(r.str(name, "info"))); err != nil {
		r.fail(name, "want debug, info, warn or error, got %q", r.getenv(name))
	}
	return l
}

func (r *reader) postgresURL(name, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		r.fail(name, "want a postgres:// URL")
	}
}

func (r *reader) httpURL(name, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.fail(name, "want an http:// or https:// URL, got %q", v)
	}
}

// prefixes reads a comma-separated list of CIDRs or single addresses.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Split(r.str(name, ""), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		r.fail(name, "want CIDRs or addresses separated by commas, such as 10.0.0.0/8,192.168.1.10; got %q", f)
	}
	return out
}

// keys reads comma-separated base64 keys of 32 bytes each (a secret).
func (r *reader) keys(name string) [][]byte {
	var out [][]byte
	for i, f := range strings.Split(r.secret(name), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(f)
		if err != nil || len(k) != 32 {
			r.fail(name, "key %d: want 32 random bytes in base64 (onboardiq secret-key prints one)", i+1)
			continue
		}
		out = append(out, k)
	}
	return out
}

// rate reads N/duration, such as 20/10m.
func (r *reader) rate(name string, def onboardiq.Rate) onboardiq.Rate {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, w, ok := strings.Cut(v, "/")
	count, err1 := strconv.Atoi(n)
	window, err2 := time.ParseDuration(w)
	if !ok || err1 != nil || err2 != nil || count < 1 || window <= 0 {
		r.fail(name, "want a count per duration such as 20/10m, got %q", v)
		return def
	}
	return onboardiq.Rate{N: count, Window: window}
}
