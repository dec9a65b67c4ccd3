package inbound

import (
	"regexp"
	"strings"
)

var (
	// "On Tue, 3 Mar 2026 at 10:00, Ann <ann@example.com> wrote:", which
	// some clients wrap over two lines.
	wroteHeader = regexp.MustCompile(`(?i)^\s*on\b.*\bwrote:\s*$`)
	wroteStart  = regexp.MustCompile(`(?i)^\s*on\b.*(\d|,)`)
	// Outlook's "-----Original Message-----" and "From: …" blocks.
	originalMessage = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|forwarded message)\s*-{2,}\s*$`)
	outlookFrom     = regexp.MustCompile(`(?i)^\s*from:\s.+`)
	// Mobile footers: "Sent from my iPhone", "Sent from Outlook for
	// Android", "Get Outlook for iOS", "Sent from Yahoo Mail…".
	mobileFooter = regexp.MustCompile(`(?i)^\s*(sent from my\b|sent from (outlook|yahoo mail|mail for windows|gmail)\b|get outlook for\b|sent via\b)`)
)

// StripReply returns what the sender wrote in a plain-text reply: the
// lines before the quoted message ("On … wrote:", "-----Original
// Message-----", a "From:" header block), without lines quoted with ">",
// the signature after "-- ", or a mobile footer, trimmed.
func StripReply(text string) string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var out []string
loop:
	for i, line := range lines {
		switch {
		case strings.HasPrefix(strings.TrimLeft(line, " \t"), ">"):
			continue
		case line == "-- " || line == "--" || line == "__":
			break loop
		case wroteHeader.MatchString(line):
			break loop
		case wroteStart.MatchString(line) && i+1 < len(lines) && strings.HasSuffix(strings.TrimSpace(lines[i+1]), "wrote:"):
			break loop
		case originalMessage.MatchString(line):
			break loop
		case outlookFrom.MatchString(line) && i > 0 && nextHas(lines[i+1:], "sent:", "to:", "subject:", "date:"):
			break loop
		case mobileFooter.MatchString(line):
			break loop
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func nextHas(lines []string, prefixes ...string) bool {
	for _, l := range lines[:min(len(lines), 3)] {
		l = strings.ToLower(strings.TrimSpace(l))
		for _, p := range prefixes {
			if strings.HasPrefix(l, p) {
				return true
			}
		}
	}
	return false
}

// Command is what a reply asks of its task: the first word done completes
// it; stuck blocks it, the rest of the text being the reason.
type Command int

// The commands of a reply.
const (
	CommandNone Command = iota
	CommandDone
	CommandStuck
)

// ParseCommand reads a stripped reply's first word (any case, a trailing
// "." "!" or ":" ignored) and returns the command and the rest of the text.
func ParseCommand(text string) (Command, string) {
	text = strings.TrimSpace(text)
	end := strings.IndexFunc(text, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	first, rest := text, ""
	if end >= 0 {
		first, rest = text[:end], strings.TrimSpace(text[end:])
	}
	switch strings.ToLower(strings.TrimRight(first, ".!:,")) {
	case "done":
		return CommandDone, rest
	case "stuck":
		return CommandStuck, rest
	}
	return CommandNone, text
}
