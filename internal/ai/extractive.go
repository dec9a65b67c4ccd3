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
		var quote string
		if len(s.Passages) > 0 {
			quote = quotePassages(s.Passages, q, n == 0 && howTo(req.Question))
		} else if passage := bestPassage(s.Text, q, 3); passage != "" {
			quote = quoteBlock(passage)
		}
		if quote == "" {
			continue
		}
		fmt.Fprintf(&b, "From **%s** [%d]:\n\n%s\n\n", s.Title, i+1, quote)
		if n++; n == 3 {
			break
		}
	}
	if n == 0 && len(req.Facts) == 0 {
		b.WriteString("I found nothing about this in the knowledge base.")
	}
	return strings.TrimSpace(b.String())
}

// stepsBudget bounds, in words, the steps quoted for a how-to question.
const stepsBudget = 450

// howTo reports whether a question asks how to do something: its answer
// is a procedure, and the offline responder quotes the steps.
func howTo(question string) bool {
	w := Tokenize(question)
	if len(w) == 0 {
		return false
	}
	switch w[0] {
	case "how", "steps":
		return true
	}
	for i, x := range w {
		switch x {
		case "steps", "setup", "configure", "install", "enable", "connect", "integrate":
			return true
		case "set":
			if i+1 < len(w) && w[i+1] == "up" {
				return true
			}
		}
	}
	return false
}

// quotePassages quotes an article's passages for a question. For the
// first source of a how-to question, the passages with numbered steps,
// in the article's order (each under its heading, its lists whole), as
// far as stepsBudget goes; otherwise the passage that shares the most
// words with the question (search's best on a tie), or its best part
// when it is long.
func quotePassages(ps []Passage, q map[string]bool, steps bool) string {
	var b strings.Builder
	if steps {
		words, quoted, left := 0, 0, 0
		for _, p := range ps {
			if !hasSteps(p.Text) {
				continue
			}
			w := len(strings.Fields(p.Text))
			if quoted > 0 && words+w > stepsBudget {
				left++
				continue
			}
			writeQuoted(&b, p, p.Text)
			words += w
			quoted++
		}
		if left > 0 {
			fmt.Fprintf(&b, "The article has %d more %s of steps.\n\n", left, plural(left, "section", "sections"))
		}
		if quoted > 0 {
			return strings.TrimSpace(b.String())
		}
	}
	best, bestScore := -1, -1
	for i, p := range ps {
		sc := overlap(p.Heading+" "+p.Text, q)
		if sc > bestScore || (sc == bestScore && p.Best && !ps[best].Best) {
			best, bestScore = i, sc
		}
	}
	p := ps[best]
	body := strings.TrimSpace(dropHeading(p.Text))
	if len(strings.Fields(body)) > 120 {
		body = bestPassage(body, q, 3)
	}
	if body == "" {
		return ""
	}
	writeQuoted(&b, p, body)
	return strings.TrimSpace(b.String())
}

// writeQuoted writes a passage's heading in bold and its text as a quote.
func writeQuoted(b *strings.Builder, p Passage, text string) {
	if h := lastHeading(p.Heading); h != "" {
		fmt.Fprintf(b, "**%s**\n\n", h)
	}
	b.WriteString(quoteBlock(strings.TrimSpace(dropHeading(text))) + "\n\n")
}

func lastHeading(path string) string {
	if i := strings.LastIndex(path, " › "); i >= 0 {
		return path[i+len(" › "):]
	}
	return path
}

// dropHeading removes a passage's heading line.
func dropHeading(text string) string {
	if strings.HasPrefix(text, "#") {
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			return text[i+1:]
		}
		return ""
	}
	return text
}

// hasSteps reports whether Markdown holds a numbered list.
func hasSteps(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimLeft(line, " ")
		if len(l) > 2 && l[0] >= '1' && l[0] <= '9' && (l[1] == '.' || l[1] == ')') && l[2] == ' ' && len(line) == len(l) {
			return true
		}
	}
	return false
}

// overlap counts the question's terms a text has.
func overlap(text string, q map[string]bool) int {
	seen := map[string]bool{}
	for _, w := range Tokenize(text) {
		if st := Stem(w); q[st] {
			seen[st] = true
		}
	}
	return len(seen)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
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

// splitUnits cuts markdown into sentences and whole lists (a list, its
// nested items included, is one unit, so steps are never quoted in part),
// dropping headings, code fences and blank lines.
func splitUnits(text string) []string {
	var out []string
	inList := false
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "```") {
			inList = false
			continue
		}
		item := strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || (len(line) > 2 && line[0] >= '0' && line[0] <= '9' && (line[1] == '.' || line[2] == '.'))
		indented := raw != strings.TrimLeft(raw, " \t")
		switch {
		case inList && (item || indented):
			out[len(out)-1] += "\n" + strings.TrimRight(raw, " \t")
		case item:
			out = append(out, strings.TrimRight(raw, " \t"))
			inList = true
		default:
			inList = false
			out = append(out, splitSentences(line)...)
		}
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
