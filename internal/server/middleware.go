package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onboardiq/onboardiq/internal/api"
)

type infoKey struct{}

// requestInfo is filled in as a request travels, for its log entry.
type requestInfo struct {
	id       string
	tenantID string
	userID   string
}

// requestIDOf returns the id of the request ctx belongs to, or "".
func requestIDOf(ctx context.Context) string {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return info.id
	}
	return ""
}

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID gives every request an id: the caller's X-Request-Id when it is
// sane, otherwise a new one. It is echoed in the response and logged.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !goodRequestID.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), infoKey{}, &requestInfo{id: id})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onboardiq_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "onboardiq_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush for streamed answers.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs every request and counts it in the metrics, by the route
// pattern that matched (never the raw path, which would explode the labels).
func observe(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())

		info, _ := r.Context().Value(infoKey{}).(*requestInfo)
		attrs := []slog.Attr{
			slog.String("request_id", info.id),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", elapsed),
		}
		if info.tenantID != "" {
			attrs = append(attrs, slog.String("tenant_id", info.tenantID), slog.String("user_id", info.userID))
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		logger.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// recoverPanics turns a panicking handler into a logged 500. The status of
// a response waits for its first byte, so a handler that panics after
// setting one (the API's encoder) still answers a clean 500 instead of a
// 200 with a broken body: an API request gets a problem document, others
// plain text.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lw := &lazyWriter{ResponseWriter: w}
		kept := w.Header().Clone() // what the middleware set: request id, nosniff
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			logger.ErrorContext(r.Context(), "panic", "request_id", requestIDOf(r.Context()), "panic", p)
			if lw.wrote {
				panic(http.ErrAbortHandler) // too late for a status: cut the response short
			}
			for k := range w.Header() {
				if _, ok := kept[k]; !ok {
					w.Header().Del(k) // only what the handler set
				}
			}
			if strings.HasPrefix(r.URL.Path, api.Prefix+"/") {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = w.Write([]byte(`{"title":"Internal Server Error","status":500,"detail":"internal error"}` + "\n"))
				return
			}
			http.Error(w, "internal error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(lw, r)
		lw.commit() // a status without a body (204, 304)
	})
}

// lazyWriter holds a response's status until its first byte (or flush).
type lazyWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *lazyWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		w.ResponseWriter.WriteHeader(code) // informational: sent at once
		return
	}
	if !w.wrote && w.status == 0 {
		w.status = code
	}
}

func (w *lazyWriter) commit() {
	if !w.wrote {
		w.wrote = true
		if w.status != 0 {
			w.ResponseWriter.WriteHeader(w.status)
		}
	}
}

func (w *lazyWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// Flush sends the status and what is buffered (streamed answers).
func (w *lazyWriter) Flush() {
	w.commit()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (w *lazyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// headers sets the headers every response carries.
func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// requestAttrs adds the request's id, and its tenant and user once known,
// to every record logged with the request's context.
type requestAttrs struct{ slog.Handler }

func (h requestAttrs) Handle(ctx context.Context, r slog.Record) error {
	if info, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		r.AddAttrs(slog.String("request_id", info.id))
		if info.tenantID != "" {
			r.AddAttrs(slog.String("tenant_id", info.tenantID), slog.String("user_id", info.userID))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestAttrs{h.Handler.WithAttrs(attrs)}
}

func (h requestAttrs) WithGroup(name string) slog.Handler {
	return requestAttrs{h.Handler.WithGroup(name)}
}
