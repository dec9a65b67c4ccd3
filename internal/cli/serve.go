package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/notify"
	"github.com/onboardiq/onboardiq/internal/server"
)

func (a *app) serveCmd() *cobra.Command {
	var grace time.Duration
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web app and the API",
		Long: `serve connects as the application role and refuses to start when that role
could cross tenants: a superuser, a role with BYPASSRLS, the owner of a tenant
table, or a tenant table without forced row-level security. It stops
gracefully on SIGTERM or SIGINT.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, cfg, err := a.openApp(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.CheckIsolation(ctx); err != nil {
				return fmt.Errorf("refusing to start: %w", err)
			}
			logger := a.logger(cfg)
			if have, want, err := db.SchemaVersion(ctx); err == nil && have < want {
				logger.Warn("the schema is behind this binary: run onboardiq migrate; /readyz answers 503 until then", "schema_version", have, "want_version", want)
			}
			embedder, err := ai.NewEmbedder(cfg.AIOptions())
			if err != nil {
				return err
			}
			chat, err := ai.NewChat(cfg.AIOptions())
			if err != nil {
				return err
			}
			runner, err := jobs.Start(context.WithoutCancel(ctx), jobs.Deps{
				DB: db, Embedder: embedder, Logger: logger, ScanInterval: cfg.ScanInterval,
				Mailer:   &notify.Mailer{SMTPURL: cfg.SMTPURL, From: cfg.EmailFrom, BaseURL: cfg.BaseURL},
				Webhooks: notify.NewWebhooks(&notify.Guard{AllowPrivate: cfg.WebhookAllowPrivate}),
			}, cfg.JobWorkers)
			if err != nil {
				return err
			}
			h := server.New(server.Options{DB: db, Logger: logger, BaseURL: cfg.BaseURL, Version: version(), Embedder: embedder, Chat: chat,
				Guard: &notify.Guard{AllowPrivate: cfg.WebhookAllowPrivate}, DevMailbox: cfg.DevMailbox, LogLinks: cfg.SMTPURL == "",
				AssistantLimits: assistant.Limits{User: assistant.Rate(cfg.AssistantUserAsks), Tenant: assistant.Rate(cfg.AssistantTenantAsks),
					UserBudgetPercent: cfg.AIUserBudgetPercent}})
			logger.Info("starting", "config", cfg, "version", version(), "embedder", embedder.Model(), "llm", chat.Provider()+"/"+chat.Model())
			err = server.Run(ctx, cfg.Addr, h, logger, grace, a.env.OnListen)
			if stopErr := runner.Stop(grace); stopErr != nil && err == nil {
				err = fmt.Errorf("stop jobs: %w", stopErr)
			}
			return err
		},
	}
	c.Flags().DurationVar(&grace, "shutdown-grace", 20*time.Second, "how long requests in flight may take to finish on shutdown")
	return c
}
