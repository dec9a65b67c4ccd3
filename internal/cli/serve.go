package cli

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/config"
	"github.com/onboardiq/onboardiq/internal/inbound"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/netguard"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/server"
)

func (a *app) serveCmd() *cobra.Command {
	var grace time.Duration
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web app and the API",
		Long: `serve connects as the application role and refuses to start when that role
could cross tenants: a superuser, a role with BYPASSRLS, the owner of a tenant
table, or a tenant table without forced row-level security. It also refuses
to start without ONBOARDIQ_SECRET_KEY, and at start it seals any webhook
secret still stored in plaintext (from before secrets were encrypted). It
stops gracefully on SIGTERM or SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if len(cfg.SecretKeys) == 0 {
				return fmt.Errorf("refusing to start: %w", errNoSecretKey)
			}
			db, _, err := a.openApp(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.CheckIsolation(ctx); err != nil {
				return fmt.Errorf("refusing to start: %w", err)
			}
			logger := a.logger(cfg)
			switch have, want, err := db.SchemaVersion(ctx); {
			case err == nil && have < want:
				logger.Warn("the schema is behind this binary: run onboardiq migrate; /readyz answers 503 until then", "schema_version", have, "want_version", want)
			case err == nil:
				sealStoredSecrets(ctx, db, logger)
				giveDefaultPlaybooks(ctx, db, logger)
				indexArticles(ctx, db, logger)
			}
			embedder, err := ai.NewEmbedder(cfg.AIOptions())
			if err != nil {
				return err
			}
			chat, err := ai.NewChat(cfg.AIOptions())
			if err != nil {
				return err
			}
			runner, err := jobs.Start(context.WithoutCancel(ctx), jobDeps(cfg, db, embedder, logger), cfg.JobWorkers)
			if err != nil {
				return err
			}
			reg := prometheus.NewRegistry()
			h := server.New(serverOptions(cfg, db, embedder, chat, logger, reg))
			logger.Info("starting", "config", cfg, "version", version(), "embedder", embedder.Model(), "llm", chat.Provider()+"/"+chat.Model())
			// Setting up (the routes' schemas, the pages' templates, the
			// indexing at start) leaves garbage the heap would otherwise
			// keep from the system until it is reused: give it back
			// (docs/performance.md, "Idle memory").
			debug.FreeOSMemory()
			ctx, stop := context.WithCancel(ctx)
			defer stop()
			metricsDone := make(chan error, 1)
			if cfg.MetricsAddr != "" {
				go func() {
					metricsDone <- server.Run(ctx, cfg.MetricsAddr, server.MetricsHandler(reg, cfg.MetricsToken), logger.With("server", "metrics"), grace, nil)
					stop() // a metrics listener that fails stops the whole server
				}()
			} else {
				metricsDone <- nil
			}
			inboundDone := make(chan error, 1)
			if cfg.InboundSMTPAddr != "" {
				go func() {
					inboundDone <- inbound.NewServer(cfg.InboundDomain, db.ApplyReply, logger.With("server", "inbound")).Run(ctx, cfg.InboundSMTPAddr, grace)
					stop() // like metrics: a listener that fails stops the whole server
				}()
			} else {
				inboundDone <- nil
			}
			err = server.Run(ctx, cfg.Addr, h, logger, grace, a.env.OnListen)
			stop()
			if ierr := <-inboundDone; ierr != nil && err == nil {
				err = fmt.Errorf("inbound SMTP: %w", ierr)
			}
			if merr := <-metricsDone; merr != nil && err == nil {
				err = fmt.Errorf("metrics: %w", merr)
			}
			if stopErr := runner.Stop(grace); stopErr != nil && err == nil {
				err = fmt.Errorf("stop jobs: %w", stopErr)
			}
			return err
		},
	}
	c.Flags().DurationVar(&grace, "shutdown-grace", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	return c
}

// serverOptions is what serve builds its handler from; bench builds the
// same.
func serverOptions(cfg *config.Config, db *postgres.DB, embedder ai.Embedder, chat ai.Chat, logger *slog.Logger, reg *prometheus.Registry) server.Options {
	// The server embeds what people type (searches, questions): the same
	// text is embedded once.
	return server.Options{DB: db, Logger: logger, BaseURL: cfg.BaseURL, Version: version(), Embedder: ai.NewQueryCache(embedder, 4096), Chat: chat,
		DevMailbox: cfg.DevMailbox, LogLinks: cfg.SMTPURL == "",
		Registry: reg, TrustedProxies: cfg.TrustedProxies,
		InboundDomain: cfg.InboundDomain, InboundWebhookSecret: cfg.InboundWebhookSecret,
		AssistantLimits: assistant.Limits{User: cfg.AssistantUserAsks, Tenant: cfg.AssistantTenantAsks,
			UserBudgetPercent: cfg.AIUserBudgetPercent}}
}

// jobDeps is what serve's workers use; bench's fan-out row runs the same.
func jobDeps(cfg *config.Config, db *postgres.DB, embedder ai.Embedder, logger *slog.Logger) jobs.Deps {
	return jobs.Deps{
		DB: db, Embedder: embedder, Logger: logger, ScanInterval: cfg.ScanInterval,
		Mailer:   &notify.Mailer{SMTPURL: cfg.SMTPURL, From: cfg.EmailFrom, BaseURL: cfg.BaseURL, InboundDomain: cfg.InboundDomain, Logger: logger},
		Webhooks: notify.NewWebhooks(&netguard.Guard{AllowPrivate: cfg.WebhookAllowPrivate}),
	}
}

// giveDefaultPlaybooks gives the workspaces created before playbooks
// existed the default playbooks (all disabled), once. A failure is logged,
// not fatal.
func giveDefaultPlaybooks(ctx context.Context, db *postgres.DB, logger *slog.Logger) {
	n, err := db.CreateMissingDefaultPlaybooks(ctx)
	if err != nil {
		logger.Error("giving workspaces the default playbooks failed", "error", err)
		return
	}
	if n > 0 {
		logger.Info("gave workspaces the default playbooks (disabled)", "workspaces", n)
	}
}

// indexArticles indexes, once, the articles written before keyword search
// kept postings and passages.
func indexArticles(ctx context.Context, db *postgres.DB, logger *slog.Logger) {
	n, err := db.IndexUnindexedArticles(ctx)
	if err != nil {
		logger.Error("indexing articles for search failed", "error", err)
		return
	}
	if n > 0 {
		logger.Info("indexed articles for search", "articles", n)
	}
}

// sealStoredSecrets seals the webhook secrets stored before they were
// encrypted (migrations run without the key), and warns about secrets that
// the configured keys cannot open. A failure is logged, not fatal: the
// endpoints concerned keep working from their plaintext until it is fixed.
func sealStoredSecrets(ctx context.Context, db *postgres.DB, logger *slog.Logger) {
	r, err := db.ResealWebhookSecrets(ctx, false)
	if err != nil {
		logger.Error("sealing stored webhook secrets failed; run onboardiq secrets rotate", "error", err)
		return
	}
	if r.Sealed > 0 {
		logger.Info("sealed webhook secrets stored in plaintext", "count", r.Sealed)
	}
	if len(r.Unreadable) > 0 {
		logger.Error("webhook secrets sealed with a key missing from ONBOARDIQ_SECRET_KEY: their deliveries fail until that key is listed again (after the first)",
			"count", len(r.Unreadable), "endpoint_ids", r.Unreadable)
	}
}
