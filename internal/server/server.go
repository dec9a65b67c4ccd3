// Package server assembles OnboardIQ's HTTP server: the routes of the API and
// the pages, health and metrics endpoints, and the middleware every request
// passes through.
package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
	"github.com/onboardiq/onboardiq/internal/api"
	"github.com/onboardiq/onboardiq/internal/assistant"
	"github.com/onboardiq/onboardiq/internal/postgres"
	"github.com/onboardiq/onboardiq/internal/web"
)

// Options is what the server is built from.
type Options struct {
	DB       *postgres.DB
	Embedder ai.Embedder // default: the local embedder
	Chat     ai.Chat     // default: the offline extractive responder
	// DevMailbox serves sign-in emails at /dev/mailbox to loopback
	// clients: development without an SMTP server only.
	DevMailbox bool
	// LogLinks logs sign-in links, for operators without an SMTP server.
	LogLinks bool
	Logger   *slog.Logger
	BaseURL  string
	Version  string
	// Registry receives the server's metrics; serve it with
	// MetricsHandler, on an address of its own. Default: a private one.
	Registry *prometheus.Registry

	// TrustedProxies are the reverse proxies whose forwarding headers
	// name the client.
	TrustedProxies []netip.Prefix

	// AssistantLimits bound the assistant's calls (default: the assistant's own).
	AssistantLimits assistant.Limits

	// InboundDomain and InboundWebhookSecret turn on replies by email
	// through a mail provider's webhook (POST /api/v1/inbound/email).
	InboundDomain, InboundWebhookSecret string
}

// New returns the server's handler. Its metrics go to o.Registry; /metrics
// is not among its routes (see MetricsHandler).
func New(o Options) http.Handler {
	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newPoolCollector(o.DB),
	)
	m := newMetrics(reg)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(o.DB))
	if o.Embedder == nil {
		o.Embedder = ai.Local{}
	}
	if o.Chat == nil {
		o.Chat = ai.Extractive{}
	}
	// What handlers log carries the request's id, tenant and user.
	logger := slog.New(requestAttrs{o.Logger.Handler()})
	asst := &assistant.Service{DB: o.DB, Embedder: o.Embedder, Chat: o.Chat, Logger: logger, Limits: o.AssistantLimits}
	api.New(mux, api.Deps{DB: o.DB, Logger: logger, Version: o.Version, BaseURL: o.BaseURL, OnAuth: noteIdentity, Embedder: o.Embedder, Assistant: asst,
		InboundDomain: o.InboundDomain, InboundWebhookSecret: o.InboundWebhookSecret})
	(&web.Handler{DB: o.DB, Assistant: asst, BaseURL: o.BaseURL, Version: o.Version, Logger: logger, DevMailbox: o.DevMailbox, LogLinks: o.LogLinks,
		Metrics: reg, TrustedProxies: o.TrustedProxies, OnAuth: noteIdentity}).Register(mux)

	return headers(requestID(observe(o.Logger, m, recoverPanics(o.Logger, mux))))
}

// MetricsHandler serves reg's metrics at /metrics: on an address of its own
// (ONBOARDIQ_METRICS_ADDR, loopback by default), and, when token is set,
// only to requests that bear it.
func MetricsHandler(reg prometheus.Gatherer, token string) http.Handler {
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "a bearer token is required", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	return headers(mux)
}

// readyz answers 200 when the database answers and its schema is the one
// this binary expects, 503 saying why otherwise.
func readyz(db *postgres.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		have, want, err := db.SchemaVersion(ctx)
		switch {
		case err != nil:
			w.Header().Set("Retry-After", api.RetryAfter)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database unreachable"})
		case have < want:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable",
				"reason": "schema is behind this binary: run onboardiq migrate", "schema_version": have, "want_version": want})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "schema_version": have})
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Run serves h on addr until ctx ends, then shuts down gracefully: it stops
// accepting, lets requests in flight finish (up to grace), and returns.
// onListen, when set, is told the bound address (for port 0).
func Run(ctx context.Context, addr string, h http.Handler, logger *slog.Logger, grace time.Duration, onListen func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // streamed assistant answers
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	logger.Info("listening", "addr", ln.Addr().String())
	if onListen != nil {
		onListen(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// noteIdentity records the authenticated caller in the request's log entry.
func noteIdentity(ctx context.Context, p *onboardiq.Principal) {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		info.tenantID, info.userID = p.TenantID.String(), p.UserID.String()
	}
}
