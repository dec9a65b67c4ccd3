package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// PortalBrand is how a workspace's portal looks, with what the portal shows
// beside it: the workspace's name and slug (for the logo's URL).
type PortalBrand struct {
	onboardiq.Branding
	Workspace string // the tenant's name
	Slug      string
}

// Title is what the portal calls itself.
func (b *PortalBrand) Title() string { return onboardiq.PortalTitle(b.PortalName, b.Workspace) }

// Version changes whenever the branding does: the pages put it in the
// stylesheet's and the logo's URLs, so a browser fetches them again.
func (b *PortalBrand) Version() string {
	if b.UpdatedAt.IsZero() {
		return "0"
	}
	return fmt.Sprintf("%x", b.UpdatedAt.UnixMicro())
}

// GetBranding returns the workspace's portal branding (staff).
func (db *DB) GetBranding(ctx context.Context) (*onboardiq.Branding, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*onboardiq.Branding, error) {
		if err := p.Check(onboardiq.ReadSettings); err != nil {
			return nil, err
		}
		return loadBranding(ctx, tx, p.TenantSlug)
	})
}

// SetBranding changes the workspace's portal branding (admins): the name
// and colour are replaced, the logo replaced, removed or kept
// (onboardiq.BrandingInput). The logo's type is sniffed from its bytes.
func (db *DB) SetBranding(ctx context.Context, in onboardiq.BrandingInput) (*onboardiq.Branding, error) {
	typ, err := in.Validate()
	if err != nil {
		return nil, err
	}
	var out *onboardiq.Branding
	err = db.as(ctx, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) error {
		if err := p.Check(onboardiq.ManageSettings); err != nil {
			return err
		}
		before, err := loadBranding(ctx, tx, p.TenantSlug)
		if err != nil {
			return err
		}
		if in.Logo != nil {
			grows := int64(len(in.Logo))
			if before.Logo != nil {
				grows -= int64(before.Logo.Size)
			}
			if err := checkQuota(ctx, tx, onboardiq.QuotaStorage, grows); err != nil {
				return err
			}
		}
		var sum *string
		if in.Logo != nil {
			h := sha256.Sum256(in.Logo)
			s := hex.EncodeToString(h[:])
			sum = &s
		}
		replace := in.Logo != nil || in.RemoveLogo
		if _, err := tx.Exec(ctx, `
INSERT INTO tenant_branding (tenant_id, portal_name, accent_color, logo, logo_type, logo_sha256, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $8)
ON CONFLICT (tenant_id) DO UPDATE SET portal_name = excluded.portal_name, accent_color = excluded.accent_color,
    logo = CASE WHEN $7 THEN excluded.logo ELSE tenant_branding.logo END,
    logo_type = CASE WHEN $7 THEN excluded.logo_type ELSE tenant_branding.logo_type END,
    logo_sha256 = CASE WHEN $7 THEN excluded.logo_sha256 ELSE tenant_branding.logo_sha256 END,
    updated_at = excluded.updated_at`,
			tx.TenantID(), in.PortalName, in.AccentColor, in.Logo, nullIfEmpty(typ), sum, replace, time.Now()); err != nil {
			return fmt.Errorf("save branding: %w", err)
		}
		if err := tx.credentialsChanged(ctx); err != nil { // sessions are kept with their portal's branding
			return err
		}
		if out, err = loadBranding(ctx, tx, p.TenantSlug); err != nil {
			return err
		}
		ch := map[string]any{}
		note := func(field string, from, to any) {
			if from != to {
				ch[field] = map[string]any{"from": from, "to": to}
			}
		}
		note("portal_name", before.PortalName, out.PortalName)
		note("accent_color", before.AccentColor, out.AccentColor)
		note("logo", logoSum(before.Logo), logoSum(out.Logo))
		if len(ch) == 0 {
			return nil
		}
		return tx.Emit(ctx, onboardiq.Event{Kind: onboardiq.EventBrandingChanged, Changes: ch})
	})
	return out, err
}

func logoSum(l *onboardiq.Logo) any {
	if l == nil {
		return nil
	}
	return l.SHA256
}

// GetPublicBranding returns the branding of the workspace slug names, for
// the portal's pages before sign-in and its stylesheet: what any visitor of
// the portal sees, so it acts as nobody (like TenantIDBySlug). An unknown
// slug is ENOTFOUND.
func (db *DB) GetPublicBranding(ctx context.Context, slug string) (*PortalBrand, error) {
	tenant, err := db.TenantIDBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	var out *PortalBrand
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		b := &pgx.Batch{}
		out = queuePortalBrand(b, tx.TenantID())
		return tx.SendBatch(ctx, b).Close()
	})
	return out, err
}

// GetPortalBrand returns the caller's workspace's branding, for the portal
// pages whose own read does not bring it.
func (db *DB) GetPortalBrand(ctx context.Context) (*PortalBrand, error) {
	return readValue(ctx, db, func(ctx context.Context, tx *Tx, p *onboardiq.Principal) (*PortalBrand, error) {
		b := &pgx.Batch{}
		out := queuePortalBrand(b, tx.TenantID())
		return out, tx.SendBatch(ctx, b).Close()
	})
}

// LogoImage is a portal's logo, to serve.
type LogoImage struct {
	ContentType, SHA256 string
	Data                []byte
}

// GetPublicLogo returns the logo of the workspace slug names, to anyone
// (the portal's sign-in page shows it). No workspace, or no logo, is
// ENOTFOUND.
func (db *DB) GetPublicLogo(ctx context.Context, slug string) (*LogoImage, error) {
	tenant, err := db.TenantIDBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	out := &LogoImage{}
	err = db.InTenantReadOnly(ctx, tenant, func(ctx context.Context, tx *Tx) error {
		return storeError(tx.QueryRow(ctx, `SELECT logo_type, logo_sha256, logo FROM tenant_branding WHERE tenant_id = $1 AND logo IS NOT NULL`,
			tx.TenantID()).Scan(&out.ContentType, &out.SHA256, &out.Data), "logo")
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// brandingQuery reads tenant $1's branding row: none until it is saved.
const brandingQuery = `SELECT portal_name, accent_color, logo_type, octet_length(logo), logo_sha256, updated_at
FROM tenant_branding WHERE tenant_id = $1`

func scanBranding(row pgx.Row, slug string, out *onboardiq.Branding) error {
	var typ, sum *string
	var size *int
	err := row.Scan(&out.PortalName, &out.AccentColor, &typ, &size, &sum, &out.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // the defaults
	}
	if err != nil {
		return fmt.Errorf("branding: %w", err)
	}
	if typ != nil && size != nil && sum != nil {
		out.Logo = &onboardiq.Logo{ContentType: *typ, Size: *size, SHA256: *sum, URL: "/portal/" + slug + "/logo"}
	}
	return nil
}

func loadBranding(ctx context.Context, tx *Tx, slug string) (*onboardiq.Branding, error) {
	out := &onboardiq.Branding{}
	return out, scanBranding(tx.QueryRow(ctx, brandingQuery, tx.TenantID()), slug, out)
}

// queuePortalBrand queues the reads of tenant's name, slug and branding on
// b, to fill the brand it returns when b is sent: one round trip with the
// rest of a page's reads.
func queuePortalBrand(b *pgx.Batch, tenant uuid.UUID) *PortalBrand {
	out := &PortalBrand{}
	b.Queue(`SELECT name, slug FROM tenants WHERE tenant_id = $1`, tenant).QueryRow(func(row pgx.Row) error {
		return storeError(row.Scan(&out.Workspace, &out.Slug), "workspace")
	})
	b.Queue(brandingQuery, tenant).QueryRow(func(row pgx.Row) error { return scanBranding(row, out.Slug, &out.Branding) })
	return out
}
