package inbound

import (
	"encoding/base64"
	"errors"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
)

// Message is a reply as a transport received it, for the store to apply.
type Message struct {
	Transport string // smtp or webhook
	Token     string // from reply+<token>@…
	From      string // the sender's address
	Text      string // the plain text of the message, quotes and all
}

// MaxMessageBytes caps a reply: a reply is a few lines; larger mail
// (attachments) is refused by the listener and the webhook.
const MaxMessageBytes = 1 << 20

// ParseMail reads a MIME message: the From address and the text, from its
// text/plain part or, when there is none, its HTML without tags and
// blockquotes.
func ParseMail(r io.Reader) (from, text string, err error) {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return "", "", err
	}
	a, err := mail.ParseAddress(m.Header.Get("From"))
	if err != nil {
		return "", "", errors.New("the message has no From address")
	}
	plain, htm, err := parts(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0)
	if err != nil {
		return "", "", err
	}
	if strings.TrimSpace(plain) == "" && htm != "" {
		plain = HTMLText(htm)
	}
	return a.Address, plain, nil
}

// parts finds the first text/plain and text/html parts, through nested
// multiparts.
func parts(ctype, cte string, body io.Reader, depth int) (plain, htm string, err error) {
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return "", "", err
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth > 5 {
			return "", "", errors.New("too deeply nested")
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return plain, htm, nil
			}
			if err != nil {
				return "", "", err
			}
			pp, ph, err := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if err != nil {
				return "", "", err
			}
			if plain == "" {
				plain = pp
			}
			if htm == "" {
				htm = ph
			}
		}
	}
	if mt != "text/plain" && mt != "text/html" {
		return "", "", nil
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return "", "", err
	}
	// Charsets other than UTF-8 and ASCII are read as they are: replies
	// from today's clients are UTF-8.
	if mt == "text/html" {
		return "", string(b), nil
	}
	return string(b), "", nil
}

type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	out := p[:0]
	for _, c := range p[:k] {
		if c != '\r' && c != '\n' {
			out = append(out, c)
		}
	}
	return len(out), err
}

var (
	htmlQuote  = regexp.MustCompile(`(?is)<blockquote.*</blockquote>|<div class="gmail_quote.*|<(script|style|head)\b.*?</(script|style|head)>`)
	htmlBreak  = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|li|tr|h[1-6])>`)
	htmlTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	blankLines = regexp.MustCompile(`\n{3,}`)
)

// HTMLText returns the text of an HTML reply: without quoted blocks,
// scripts and styles, tags, with line breaks where blocks end.
func HTMLText(s string) string {
	s = htmlQuote.ReplaceAllString(s, "")
	s = htmlBreak.ReplaceAllString(s, "\n")
	s = htmlTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}
