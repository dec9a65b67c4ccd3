package assistant

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/onboardiq/onboardiq/internal/ai"
)

// MaxAnswer is the longest answer, in characters, note included: what an
// assistant message may hold when it is stored.
const MaxAnswer = 50000

// Shortened ends an answer cut at MaxAnswer.
const Shortened = "\n\n… (answer shortened)"

// errFull stops the model once the answer is as long as it may be.
var errFull = errors.New("assistant: the answer reached its length limit")

// complete has the model answer req. The text is sanitised as it streams
// (ai.Sanitizer) and passed to onDelta (when set) in the pieces it is
// shown in; the answer is their concatenation. An answer that would be
// longer than MaxAnswer is cut there with the Shortened note, and the
// model is stopped, so no more is spent on it. Usage the provider did not
// report is estimated.
func (s *Service) complete(ctx context.Context, req ai.Request, onDelta func(string) error) (string, ai.Usage, error) {
	var (
		z     ai.Sanitizer
		b     strings.Builder
		chars int // in b
		raw   strings.Builder
	)
	full := false
	emit := func(out string) error {
		if out == "" || full {
			return nil
		}
		room := MaxAnswer - utf8.RuneCountInString(Shortened) - chars
		if utf8.RuneCountInString(out) > room {
			out, full = cut(out, room)+Shortened, true
		}
		b.WriteString(out)
		chars += utf8.RuneCountInString(out)
		if onDelta != nil {
			if err := onDelta(out); err != nil {
				return err
			}
		}
		if full {
			return errFull
		}
		return nil
	}
	usage, err := s.Chat.Stream(ctx, req, func(d string) error {
		raw.WriteString(d)
		return emit(z.Write(d))
	})
	if err == nil {
		err = emit(z.Flush())
	}
	if errors.Is(err, errFull) {
		err = nil
	}
	if usage.InputTokens == 0 && usage.OutputTokens == 0 && raw.Len() > 0 {
		usage = ai.EstimateUsage(req, raw.String())
	}
	return b.String(), usage, err
}

// cut returns the first n characters of sanitised text, less an autolink
// left open at the end ("<https://…" without its ">"), which a renderer
// could take for the start of raw HTML.
func cut(s string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	s = s[:i]
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 && lt+1 < len(s) && !strings.Contains(s[lt:], ">") && isTagStart(s[lt+1]) {
		s = s[:lt]
	}
	return s
}

func isTagStart(c byte) bool {
	return c|0x20 >= 'a' && c|0x20 <= 'z' || c == '/' || c == '!' || c == '?'
}
