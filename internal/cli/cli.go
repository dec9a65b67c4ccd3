// Package cli is the onboardiq command: serve, migrate, seed, tenant and
// user management. Main is testable: it takes the arguments, environment
// and output streams instead of reading the process's.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/config"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/secret"
)

// Version is set at build time (-ldflags "-X …/internal/cli.Version=v1.2.3").
var Version = ""

// Env is the world the command runs in.
type Env struct {
	Getenv config.Getenv
	Stdout io.Writer
	Stderr io.Writer
	// OnListen, when set, is told the address serve listens on.
	OnListen func(net.Addr)
}

// Main runs the command line args (without the program name) and returns
// the exit code: 0 for success, 1 for a failure, 2 for bad usage.
func Main(ctx context.Context, args []string, env Env) int {
	root := newRoot(env)
	root.SetArgs(args)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(env.Stderr, "onboardiq: %s\n", describe(err))
		if _, ok := err.(usageError); ok {
			return 2
		}
		return 1
	}
	return 0
}

type usageError struct{ error }

// describe renders an error for the terminal: a domain error by its message
// and field, anything else as it is.
func describe(err error) string {
	if f := onboardiq.ErrorField(err); f != "" {
		return fmt.Sprintf("--%s: %s", flagName(f), onboardiq.ErrorMessage(err))
	}
	if onboardiq.ErrorCode(err) != onboardiq.EINTERNAL {
		return onboardiq.ErrorMessage(err)
	}
	return err.Error()
}

func flagName(field string) string {
	out := []byte(field)
	for i, c := range out {
		if c == '_' {
			out[i] = '-'
		}
	}
	return string(out)
}

func newRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "onboardiq",
		Short:         "OnboardIQ: customer onboarding for B2B software vendors",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{err} })
	a := &app{env: env}
	root.AddCommand(
		a.serveCmd(),
		a.migrateCmd(),
		a.seedCmd(),
		a.tenantCmd(),
		a.userCmd(),
		a.operatorCmd(),
		a.customerCmd(),
		a.projectCmd(),
		a.reembedCmd(),
		a.usageCmd(),
		a.healthCmd(),
		a.playbooksCmd(),
		a.importCmd(),
		a.evalCmd(),
		a.benchCmd(),
		a.scanCmd(),
		a.deliveriesCmd(),
		a.secretKeyCmd(),
		a.secretsCmd(),
		a.versionCmd(),
	)
	return root
}

// app holds what the commands share: the environment, and the configuration
// once it is loaded.
type app struct {
	env Env
	cfg *config.Config
}

func (a *app) config() (*config.Config, error) {
	if a.cfg == nil {
		cfg, err := config.Load(a.env.Getenv)
		if err != nil {
			return nil, fmt.Errorf("configuration:\n%w", err)
		}
		a.cfg = cfg
	}
	return a.cfg, nil
}

func (a *app) logger(cfg *config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(a.env.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(a.env.Stderr, opts))
}

// openApp connects as the application role, the way every data command
// and serve do.
func (a *app) openApp(ctx context.Context) (*postgres.DB, *config.Config, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, nil, err
	}
	url, err := cfg.AppURL()
	if err != nil {
		return nil, nil, err
	}
	opts := []postgres.Option{postgres.WithWebhookGuard(&netguard.Guard{AllowPrivate: cfg.WebhookAllowPrivate})}
	if len(cfg.SecretKeys) > 0 {
		ring, err := secret.NewKeyring(cfg.SecretKeys)
		if err != nil {
			return nil, nil, fmt.Errorf("ONBOARDIQ_SECRET_KEY: %w", err)
		}
		opts = append(opts, postgres.WithSecrets(ring))
	}
	db, err := postgres.Open(ctx, cfg.PoolURL(url), opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (is the database migrated? run `onboardiq migrate`)", err)
	}
	return db, cfg, nil
}

// errNoSecretKey is why serve and secrets rotate do not run without a key.
var errNoSecretKey = errors.New(`ONBOARDIQ_SECRET_KEY is not set: it encrypts webhook signing secrets at rest.
Make one with ` + "`onboardiq secret-key`" + ` and set ONBOARDIQ_SECRET_KEY to it (or put it in a file named by
ONBOARDIQ_SECRET_KEY_FILE); keep it safe: without it the stored webhook secrets cannot be read`)

// table starts a table on stdout with its tab-separated header; the caller
// writes the rows and flushes it.
func (a *app) table(header string) *tabwriter.Writer {
	w := tabwriter.NewWriter(a.env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	return w
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *app) versionCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v := version()
			if asJSON {
				return a.printJSON(map[string]any{"version": v, "schema_version": postgres.LatestMigration()})
			}
			_, err := fmt.Fprintf(a.env.Stdout, "onboardiq %s (schema %d)\n", v, postgres.LatestMigration())
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// version is the build's version: the -X value, else the module version or
// VCS revision recorded by go build.
func version() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev
}
