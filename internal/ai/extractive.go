package ai

import (
	"context"
	"fmt"
	"strings"
)

// Extractive is the offline responder: no language model, so it answers
// with the most relevant passages of the sources (and the facts as they
// are), and says so. It is deterministic.
type Extractive struct{}

// NoModelNotice opens every answer of the offline responder.
const NoModelNotice = "No language model is configured, so this answer quotes the most relevant passages I found."

// Provider names it.
func (Extractive) Provider() string { return "local" }

// Model names it.
func (Extractive) Model() string { return "extractive-v1" }

// Stream writes the answer in a few chunks.
func (Extractive) Stream(ctx context.Context, req Request, onDelta func(string) error) (Usage, error) {
	answer := extractiveAnswer(req)
	usage := Usage{InputTokens: countTokens(req.Question), OutputTokens: countTokens(answer)}
	for _, s := range req.Sources {
		usage.InputTokens += countTokens(s.Text)
	}
	for _, chunk := range chunks(answer, 200) {
		if err := ctx.Err(); err != nil {
			return usage, err
		}
		if err := onDelta(chunk); err != nil {
			return usage, err
		}
	}
	return usage, nil
}

func extractiveAnswer(req Request) string {
	var b strings.Builder
	b.WriteString(NoModelNotice + "\n\n")
	if len(req.Facts) > 0 {
		for _, f := range req.Facts {
			b.WriteString("- " + f + "\n")
		}
		b.WriteString("\n")
	}
	q := questionTerms(req.Question)
	n := 0
	for i, s := range req.Sources {
		if !s.Cite {
			continue
		}
		passage := bestPassage(s.Text, q, 3)
		if passage == "" {
			continue
		}
		fmt.Fprintf(&b, "From **%s** [%d]:\n\n%s\n\n", s.Title, i+1, quoteBlock(passage))
		if n++; n == 3 {
			break
		}
	}
	if n == 0 && len(req.Facts) == 0 {
		b.WriteString("I found nothing about this in the knowledge base.")
	}
	return strings.TrimSpace(b.String())
}

func questionTerms(q string) map[string]bool {
	terms := map[string]bool{}
	for _, w := range Tokenize(q) {
		if !stopwords[w] {
			terms[Stem(w)] = true
		}
	}
	return terms
}

// bestPassage returns the window of up to n consecutive sentences (or list
// items) of text that shares the most words with the question.
func bestPassage(text string, q map[string]bool, n int) string {
	units := splitUnits(text)
	if len(units) == 0 {
		return ""
	}
	score := make([]float64, len(units))
	for i, u := range units {
		seen := map[string]bool{}
		for _, w := range Tokenize(u) {
			if st := Stem(w); q[st] && !seen[st] {
				seen[st] = true
				score[i]++
			}
		}
	}
	best, bestScore := 0, -1.0
	for i := range units {
		s := 0.0
		for j := i; j < i+n && j < len(units); j++ {
			s += score[j]
		}
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	end := min(best+n, len(units))
	return strings.Join(units[best:end], "\n")
}

// splitUnits cuts markdown into lines and sentences, dropping headings
// and blank lines.
func splitUnits(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "```") {
			continue
		}
		if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || (len(line) > 2 && line[0] >= '0' && line[0] <= '9' && (line[1] == '.' || line[2] == '.')) {
			out = append(out, line)
			continue
		}
		out = append(out, splitSentences(line)...)
	}
	return out
}

func splitSentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s)-1; i++ {
		if (s[i] == '.' || s[i] == '?' || s[i] == '!') && s[i+1] == ' ' {
			out = append(out, strings.TrimSpace(s[start:i+1]))
			start = i + 2
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

func quoteBlock(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "> " + l
	}
	return strings.Join(lines, "\n")
}

func chunks(s string, size int) []string {
	var out []string
	words := strings.SplitAfter(s, " ")
	var cur strings.Builder
	for _, w := range words {
		cur.WriteString(w)
		if cur.Len() >= size {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// countTokens estimates tokens as OpenAI's rule of thumb: four characters
// each.
func countTokens(s string) int { return (len(s) + 3) / 4 }
