package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/jobs"
	"github.com/onboardiq/onboardiq/internal/postgres"
)

func (a *app) reembedCmd() *cobra.Command {
	var (
		slug   string
		asJSON bool
	)
	c := &cobra.Command{
		Use:   "reembed",
		Short: "Embed now everything whose vector is missing or made by another model",
		Long: `reembed brings every knowledge-base passage, task and project up to date with
the configured embedder (ONBOARDIQ_EMBEDDER, ONBOARDIQ_EMBEDDING_MODEL): items
embedded by another model, or not yet, are embedded in batches. Run it after
changing the model; the server also does it item by item in the background.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			db, cfg, err := a.openApp(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			e, err := ai.NewEmbedder(cfg.AIOptions())
			if err != nil {
				return err
			}
			tenants, err := tenantIDs(ctx, db, slug)
			if err != nil {
				return err
			}
			start := time.Now()
			bar := &progressBar{w: a.env.Stderr}
			n, err := jobs.Reembed(ctx, db, e, tenants, bar.show)
			bar.end()
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(map[string]any{"model": e.Model(), "embedded": n, "tenants": len(tenants), "seconds": time.Since(start).Seconds()})
			}
			_, err = fmt.Fprintf(a.env.Stdout, "Embedded %d items in %d tenant(s) with %s in %s.\n", n, len(tenants), e.Model(), time.Since(start).Round(time.Millisecond))
			return err
		},
	}
	c.Flags().StringVar(&slug, "tenant", "", "only this tenant (default: all)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// progressBar draws "[#####·····] 120/400" on one line of w.
type progressBar struct {
	w     io.Writer
	drawn bool
}

func (p *progressBar) show(done, total int) {
	const width = 30
	filled := 0
	if total > 0 {
		filled = done * width / total
	}
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("#", filled), strings.Repeat("·", width-filled), done, total)
	p.drawn = true
}

func (p *progressBar) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// tenantIDs is the tenant slug names, or every tenant when slug is "".
func tenantIDs(ctx context.Context, db *postgres.DB, slug string) ([]uuid.UUID, error) {
	if slug == "" {
		return db.AllTenantIDs(ctx)
	}
	id, err := db.TenantIDBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return []uuid.UUID{id}, nil
}
