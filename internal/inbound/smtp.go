package inbound

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/emersion/go-smtp"
)

// ApplyFunc applies a reply (postgres.DB.ApplyReply) and returns its
// outcome.
type ApplyFunc func(ctx context.Context, m Message) (string, error)

// Server is the built-in SMTP listener for replies: it takes mail only for
// reply+<token>@Domain, at most MaxMessageBytes, and applies each.
type Server struct {
	smtp   *smtp.Server
	domain string
	apply  ApplyFunc
	log    *slog.Logger
}

// NewServer makes a listener for replies to domain.
func NewServer(domain string, apply ApplyFunc, log *slog.Logger) *Server {
	s := &Server{domain: domain, apply: apply, log: log}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil })
	srv := smtp.NewServer(be)
	srv.Domain = domain
	srv.MaxMessageBytes = MaxMessageBytes
	srv.MaxRecipients = 10
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	s.smtp = srv
	return s
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	err := s.smtp.Serve(l)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting and waits for the sessions in progress.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

type session struct {
	s      *Server
	tokens []string
}

func (se *session) Reset()        { se.tokens = nil }
func (se *session) Logout() error { return nil }

func (se *session) Mail(from string, _ *smtp.MailOptions) error { return nil }

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	tok, ok := TokenOf(to, se.s.domain)
	if !ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox: this server takes only replies to OnboardIQ's emails"}
	}
	se.tokens = append(se.tokens, tok)
	return nil
}

func (se *session) Data(r io.Reader) error {
	from, text, err := ParseMail(io.LimitReader(r, MaxMessageBytes+1))
	if err != nil {
		_, _ = io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "the message could not be read: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tok := range se.tokens {
		outcome, err := se.s.apply(ctx, Message{Transport: "smtp", Token: tok, From: from, Text: text})
		if err != nil {
			se.s.log.Error("inbound reply", "transport", "smtp", "from", from, "error", err)
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure, try again later"}
		}
		// Refusals are accepted all the same (the reply is logged): a
		// bounce would tell a stranger which addresses are genuine.
		se.s.log.Info("inbound reply", "transport", "smtp", "from", from, "outcome", outcome)
	}
	return nil
}

// Run serves the listener on addr until ctx ends, then shuts it down within
// grace. It is serve's: off unless ONBOARDIQ_INBOUND_SMTP_ADDR is set.
func (s *Server) Run(ctx context.Context, addr string, grace time.Duration) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.log.Info("inbound SMTP listening", "addr", l.Addr().String(), "domain", s.domain)
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	return s.Shutdown(sctx)
}
