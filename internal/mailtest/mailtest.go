// Package mailtest is an SMTP server on loopback for tests: it keeps every
// message it is sent, so a test can read what a real mail transfer would
// have delivered.
package mailtest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message as it arrived.
type Message struct {
	From string
	To   []string
	// Data is the message, headers and body, with quoted-printable soft
	// line breaks and "=3D" undone: enough to read links out of it.
	Data string
}

// Server is the SMTP server; Addr is its host:port.
type Server struct {
	Addr   string
	mu     sync.Mutex
	msgs   []Message
	reject map[string]bool
}

// Reject makes the server refuse the address for good, as a mail server
// refuses a mailbox that does not exist: 550 5.1.1 to RCPT TO.
func (s *Server) Reject(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reject == nil {
		s.reject = map[string]bool{}
	}
	s.reject[strings.ToLower(addr)] = true
}

// New starts a server on 127.0.0.1 for the test's lifetime.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // ends when the test closes it
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	return s
}

// URL is the server's address as an smtp:// URL (ONBOARDIQ_SMTP_URL).
func (s *Server) URL() string { return "smtp://" + s.Addr }

// Messages returns what arrived so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitFor returns the first message to the address, waiting up to timeout
// for it (mail goes out from a background job); it fails the test when
// none comes.
func (s *Server) WaitFor(t testing.TB, to string, timeout time.Duration) Message {
	t.Helper()
	return s.WaitForText(t, to, "", timeout)
}

// WaitForText is WaitFor for the first message to the address whose data
// contains text: other mail (reminders, alerts) may reach the same
// person first.
func (s *Server) WaitForText(t testing.TB, to, text string, timeout time.Duration) Message {
	t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		for _, m := range s.Messages() {
			for _, r := range m.To {
				if strings.EqualFold(r, to) && strings.Contains(m.Data, text) {
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email to %s with %q within %s (%d others arrived)", to, text, timeout, len(s.Messages()))
		}
	}
}

type session struct {
	srv  *Server
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.srv.mu.Lock()
	rejected := s.srv.reject[strings.ToLower(to)]
	s.srv.mu.Unlock()
	if rejected {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	data := strings.NewReplacer("=\r\n", "", "=\n", "", "=3D", "=").Replace(string(b))
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.msgs = append(s.srv.msgs, Message{From: s.from, To: s.to, Data: data})
	return nil
}
