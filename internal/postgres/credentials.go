package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/onboardiq/onboardiq"
)

// Verified credentials.
//
// An API token or web session, once looked up, is kept in memory with the
// principal it stands for, so a request that brings it again runs one
// transaction, its own, instead of a second one to check who is asking
// (docs/performance.md). What keeps that safe:
//
//   - A change that could alter what a kept credential stands for (a token
//     revoked, a session ended, a user's role, name or access changed, a
//     customer deleted, a workspace suspended, re-tiered, renamed or
//     re-branded) calls tx.credentialsChanged in its transaction: a
//     NOTIFY on credentialChannel with the tenant's id, which PostgreSQL
//     delivers to every server when the transaction commits, and each
//     server then forgets every credential of that tenant. The server that
//     made the change forgets them at its commit, before it answers.
//     TestEveryCredentialWriteNotifies finds the store's statements that
//     write those tables and fails for one whose function does not call it.
//   - Credentials are used from memory only while this server listens on
//     the channel. When the listening connection fails, every credential is
//     forgotten and each request looks its credential up again until the
//     server listens again.
//   - A lookup that began before a change was announced does not keep what
//     it read (the epoch).
//   - Nothing is kept longer than credentialTTL, or past the credential's
//     own expiry.
//
// When a token or session was last used is written at most once a minute
// (a session: every five minutes), in the background, one statement per
// tenant.

// credentialChannel is the channel changes to credentials are announced on.
const credentialChannel = "onboardiq_credentials"

const (
	credentialTTL      = time.Minute
	credentialCacheMax = 50_000
	tokenTouchEvery    = time.Minute
	sessionTouchEvery  = 5 * time.Minute
	touchFlushEvery    = 10 * time.Second
	listenPingEvery    = 30 * time.Second
)

type credentialKind uint8

const (
	kindToken credentialKind = iota + 1
	kindSession
	kindBrandedSession // a session kept with its portal's branding
)

type credentialKey struct {
	kind credentialKind
	hash [32]byte
}

// verified is what a credential's lookup found.
type verified struct {
	p       onboardiq.Principal
	id      uuid.UUID     // the token's or session's id
	quotas  quotaSettings // the tenant's tier and overrides (now: when read)
	calls   int64         // the month's API calls stored when read
	brand   *PortalBrand  // a session's portal branding, when read with it
	expires *time.Time    // the credential's own expiry
	used    *time.Time    // when it was last used, as stored or last recorded
}

type credentialEntry struct {
	verified
	until time.Time // read again after this
}

type touchKey struct {
	kind credentialKind
	id   uuid.UUID
}

// credentials is the server's memory of verified credentials.
type credentials struct {
	mu      sync.Mutex
	live    bool   // listening: entries may be used
	epoch   uint64 // bumped by every change announced
	entries map[credentialKey]*credentialEntry
	touches map[uuid.UUID]map[touchKey]time.Time // tenant → last uses to write

	startOnce sync.Once
	stop      context.CancelFunc
	done      chan struct{}
}

// get returns the kept credential of key, a copy, and the epoch a lookup
// that misses must hand to put.
func (c *credentials) get(key credentialKey, now time.Time) (verified, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !c.live {
		return verified{}, c.epoch, false
	}
	if now.After(e.until) || (e.expires != nil && !now.Before(*e.expires)) {
		delete(c.entries, key)
		return verified{}, c.epoch, false
	}
	return e.verified, c.epoch, true
}

// put keeps v unless a change was announced since epoch was read.
func (c *credentials) put(key credentialKey, v verified, epoch uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.epoch != epoch {
		return
	}
	if len(c.entries) >= credentialCacheMax {
		clear(c.entries)
	}
	c.entries[key] = &credentialEntry{verified: v, until: now.Add(credentialTTL)}
}

// forgetTenant forgets every credential of tenant.
func (c *credentials) forgetTenant(tenant uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k, e := range c.entries {
		if e.p.TenantID == tenant {
			delete(c.entries, k)
		}
	}
}

// setLive says whether the server listens; either way, everything kept is
// forgotten, since changes may have gone unheard.
func (c *credentials) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.live = live
	clear(c.entries)
}

// touch records a use of the credential key at now, to be written when
// the last recorded use is older than every.
func (c *credentials) touch(key credentialKey, v verified, kind credentialKind, every time.Duration, now time.Time) {
	if v.used != nil && now.Sub(*v.used) < every {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		e.used = &now
	}
	t := c.touches[v.p.TenantID]
	if t == nil {
		t = map[touchKey]time.Time{}
		c.touches[v.p.TenantID] = t
	}
	t[touchKey{kind, v.id}] = now
}

// takeTouches hands over the uses recorded and not yet written.
func (c *credentials) takeTouches() map[uuid.UUID]map[touchKey]time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.touches
	c.touches = map[uuid.UUID]map[touchKey]time.Time{}
	return out
}

// giveBack returns touches that could not be written, unless newer ones
// were recorded since.
func (c *credentials) giveBack(tenant uuid.UUID, touches map[touchKey]time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.touches[tenant]
	if t == nil {
		c.touches[tenant] = touches
		return
	}
	for k, at := range touches {
		if _, newer := t[k]; !newer {
			t[k] = at
		}
	}
}

// credential returns the principal behind a credential: from memory, or
// looked up (and kept) on a miss.
func (db *DB) credential(ctx context.Context, key credentialKey, lookup func(context.Context) (verified, bool, error)) (verified, error) {
	db.startCredentials()
	now := time.Now()
	v, epoch, ok := db.creds.get(key, now)
	if ok {
		return v, nil
	}
	v, keep, err := lookup(ctx)
	if err != nil {
		return verified{}, err
	}
	if keep {
		db.creds.put(key, v, epoch, now)
	}
	return v, nil
}

// startCredentials starts, once, listening for changes and writing last
// uses: at the first credential checked, so that the commands that check
// none open no connection for it.
func (db *DB) startCredentials() {
	db.creds.startOnce.Do(func() {
		db.creds.mu.Lock()
		db.creds.entries, db.creds.touches = map[credentialKey]*credentialEntry{}, map[uuid.UUID]map[touchKey]time.Time{}
		db.creds.mu.Unlock()
		ctx, cancel := context.WithCancel(context.Background())
		db.creds.stop, db.creds.done = cancel, make(chan struct{})
		go func() {
			defer close(db.creds.done)
			var wg sync.WaitGroup
			wg.Go(func() { db.listenCredentials(ctx) })
			wg.Go(func() { db.writeTouches(ctx) })
			wg.Wait()
		}()
	})
}

// stopCredentials stops the listener and writes the last uses recorded.
func (db *DB) stopCredentials(ctx context.Context) {
	if db.creds.stop == nil {
		return
	}
	db.creds.stop()
	<-db.creds.done
	db.flushTouches(ctx)
}

// listenCredentials listens on credentialChannel, again after every
// failure, until ctx ends.
func (db *DB) listenCredentials(ctx context.Context) {
	wait := 100 * time.Millisecond
	for {
		err := db.listenOnce(ctx)
		db.creds.setLive(false)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			wait = min(wait*2, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context) error {
	cfg := db.Pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil // the listener's statements are no request's
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+credentialChannel); err != nil {
		return err
	}
	db.creds.setLive(true)
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			// Quiet: make sure the connection still stands.
			if err := conn.Ping(ctx); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		tenant, err := uuid.Parse(n.Payload)
		if err != nil {
			db.creds.setLive(true) // an announcement not understood: forget everything
			continue
		}
		db.creds.forgetTenant(tenant)
	}
}

// writeTouches writes the recorded last uses every touchFlushEvery.
func (db *DB) writeTouches(ctx context.Context) {
	tick := time.NewTicker(touchFlushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			db.flushTouches(ctx)
		}
	}
}

// flushTouches writes the last uses recorded, one transaction per tenant;
// a tenant whose write fails keeps them for the next time.
func (db *DB) flushTouches(ctx context.Context) {
	for tenant, touches := range db.creds.takeTouches() {
		var tokens, sessions []uuid.UUID
		var tokenAt, sessionAt []time.Time
		for k, at := range touches {
			if k.kind == kindToken {
				tokens, tokenAt = append(tokens, k.id), append(tokenAt, at)
			} else {
				sessions, sessionAt = append(sessions, k.id), append(sessionAt, at)
			}
		}
		err := db.InTenant(ctx, tenant, func(ctx context.Context, tx *Tx) error {
			b := &pgx.Batch{}
			if len(tokens) > 0 {
				b.Queue(`
UPDATE api_tokens a SET last_used_at = u.at
FROM unnest($2::uuid[], $3::timestamptz[]) AS u(token_id, at)
WHERE a.tenant_id = $1 AND a.token_id = u.token_id AND (a.last_used_at IS NULL OR a.last_used_at < u.at)`, tenant, tokens, tokenAt)
			}
			if len(sessions) > 0 {
				b.Queue(`
UPDATE web_sessions w SET last_seen_at = u.at
FROM unnest($2::uuid[], $3::timestamptz[]) AS u(session_id, at)
WHERE w.tenant_id = $1 AND w.session_id = u.session_id AND w.last_seen_at < u.at`, tenant, sessions, sessionAt)
			}
			return tx.SendBatch(ctx, b).Close()
		})
		if err != nil && ctx.Err() == nil {
			db.creds.giveBack(tenant, touches)
		}
	}
}

// credentialsChanged announces, when tx commits, that what the tenant's
// credentials stand for may have changed (see Verified credentials above).
func (tx *Tx) credentialsChanged(ctx context.Context) error {
	if tx.credentialsDirty {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, credentialChannel, tx.TenantID().String()); err != nil {
		return fmt.Errorf("announce credentials changed: %w", err)
	}
	tx.credentialsDirty = true
	return nil
}
