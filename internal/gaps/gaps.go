// Package gaps groups the questions the assistant could not answer by
// meaning and ranks the groups (docs/knowledge-gaps.md). It is pure: the
// store gathers the questions, their embeddings and the projects' blocked
// spells, and this package computes the report, deterministically.
package gaps

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/ai"
)

// Thresholds above which two questions mean the same (measured with the
// offline embedder, ai.Local, in TestThresholdsSeparateParaphrases; the
// figures are in docs/knowledge-gaps.md).
const (
	// MinCosine: the cosine similarity of two questions' embeddings.
	// Unrelated questions reached at most 0.28, paraphrases sharing words
	// 0.33 to 0.96.
	MinCosine = 0.35
	// MinOverlap: the share of the shorter question's content words the
	// other one has too, counting an acronym ("SSO") as the words it
	// abbreviates ("single sign-on"). It catches paraphrases the hashing
	// embedder cannot see, which share no word part.
	MinOverlap = 0.5
)

// Question is a question with its embedding (nil when it has none: it is
// grouped by its words only).
type Question struct {
	onboardiq.GapQuestion
	Vector []float32
}

// Transition is a task of a project becoming blocked, or no longer
// blocked, at a time.
type Transition struct {
	Task    uuid.UUID
	At      time.Time
	Blocked bool
}

// Similarity is how alike two questions are for grouping: the larger of
// the cosine of their embeddings and their word overlap, each divided by
// its threshold, so that 1 or more means "the same question".
func Similarity(a, b Question) float64 {
	s := overlap(words(a.Question), words(b.Question)) / MinOverlap
	if a.Vector != nil && b.Vector != nil {
		s = max(s, cosine(a.Vector, b.Vector)/MinCosine)
	}
	return s
}

// Group puts the questions into groups of the same meaning: two questions
// whose Similarity is 1 or more share a group, and so do the questions
// linked through a chain of such pairs (single linkage; the result does
// not depend on the order of the input). Each group starts with its most
// central question (the highest mean similarity to the others; ties: the
// earliest asked, then the lowest id), then the others newest first.
func Group(qs []Question) [][]Question {
	n := len(qs)
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	sim := make([][]float64, n)
	for i := range sim {
		sim[i] = make([]float64, n)
	}
	pre := make([]prepared, n)
	for i, q := range qs {
		pre[i] = prepare(q)
	}
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			s := pre[i].overlap(&pre[j]) / MinOverlap
			if pre[i].unit != nil && pre[j].unit != nil {
				s = max(s, dot(pre[i].unit, pre[j].unit)/MinCosine)
			}
			sim[i][j], sim[j][i] = s, s
			if s >= 1 {
				if a, b := find(i), find(j); a != b {
					parent[max(a, b)] = min(a, b)
				}
			}
		}
	}
	members := map[int][]int{}
	for i := range qs {
		r := find(i)
		members[r] = append(members[r], i)
	}
	var out [][]Question
	for _, m := range members {
		centre := slices.MinFunc(m, func(a, b int) int {
			if c := cmp.Compare(meanSim(sim, b, m), meanSim(sim, a, m)); c != 0 {
				return c
			}
			if c := qs[a].AskedAt.Compare(qs[b].AskedAt); c != 0 {
				return c
			}
			return strings.Compare(qs[a].ID.String(), qs[b].ID.String())
		})
		g := []Question{qs[centre]}
		for _, i := range m {
			if i != centre {
				g = append(g, qs[i])
			}
		}
		slices.SortStableFunc(g[1:], newestFirst)
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b []Question) int { return strings.Compare(a[0].ID.String(), b[0].ID.String()) })
	return out
}

func newestFirst(a, b Question) int {
	if c := b.AskedAt.Compare(a.AskedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID.String(), b.ID.String())
}

func meanSim(sim [][]float64, i int, m []int) float64 {
	if len(m) < 2 {
		return 0
	}
	var s float64
	for _, j := range m {
		if j != i {
			s += sim[i][j]
		}
	}
	return s / float64(len(m)-1)
}

// Report groups the questions and ranks the groups: by Score (questions +
// distinct askers + blocked days / 7), then the latest question first.
// blocked holds each project's task transitions, oldest first; a project's
// blocked days count from its first question in the group until now.
func Report(qs []Question, blocked map[uuid.UUID][]Transition, now time.Time) []onboardiq.GapGroup {
	var out []onboardiq.GapGroup
	for _, g := range Group(qs) {
		gg := onboardiq.GapGroup{Representative: g[0].GapQuestion, Count: len(g)}
		askers := map[uuid.UUID]bool{}
		firstAsked := map[uuid.UUID]time.Time{}
		for _, q := range g {
			gg.Questions = append(gg.Questions, q.GapQuestion)
			askers[q.AskerID] = true
			if q.CustomerID != nil {
				gg.Public = true
			}
			if q.AskedAt.After(gg.LastAskedAt) {
				gg.LastAskedAt = q.AskedAt
			}
			if q.ProjectID != nil {
				if t, ok := firstAsked[*q.ProjectID]; !ok || q.AskedAt.Before(t) {
					firstAsked[*q.ProjectID] = q.AskedAt
				}
			}
		}
		gg.Askers, gg.Projects = len(askers), len(firstAsked)
		for p, since := range firstAsked {
			gg.BlockedDays += BlockedDays(blocked[p], since, now)
		}
		gg.BlockedDays = math.Round(gg.BlockedDays*10) / 10
		gg.Score = math.Round((float64(gg.Count)+float64(gg.Askers)+gg.BlockedDays/7)*100) / 100
		out = append(out, gg)
	}
	slices.SortStableFunc(out, func(a, b onboardiq.GapGroup) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := b.LastAskedAt.Compare(a.LastAskedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Representative.ID.String(), b.Representative.ID.String())
	})
	return out
}

// BlockedDays is how many days, between from and now, the project had at
// least one blocked task, from its tasks' transitions (any order).
func BlockedDays(ts []Transition, from, now time.Time) float64 {
	if !now.After(from) {
		return 0
	}
	ts = slices.Clone(ts)
	slices.SortStableFunc(ts, func(a, b Transition) int { return a.At.Compare(b.At) })
	blockedTasks := map[uuid.UUID]bool{}
	var total time.Duration
	var since time.Time // when the current blocked spell began (zero: none)
	for _, t := range ts {
		if t.At.After(now) {
			break
		}
		wasBlocked := len(blockedTasks) > 0
		if t.Blocked {
			blockedTasks[t.Task] = true
		} else {
			delete(blockedTasks, t.Task)
		}
		switch isBlocked := len(blockedTasks) > 0; {
		case !wasBlocked && isBlocked:
			since = t.At
		case wasBlocked && !isBlocked:
			total += spell(since, t.At, from)
		}
	}
	if len(blockedTasks) > 0 {
		total += spell(since, now, from)
	}
	return total.Hours() / 24
}

// spell is the part of [start, end] after from.
func spell(start, end, from time.Time) time.Duration {
	if start.Before(from) {
		start = from
	}
	if !end.After(start) {
		return 0
	}
	return end.Sub(start)
}

// prepared is a question made ready for many comparisons: its words, its
// content words, the acronyms it could fold and the initials of its runs
// of words, and its vector at unit length.
type prepared struct {
	words   []string
	content map[string]bool
	acr     map[string]bool // words that could abbreviate others
	runs    map[string]bool // initials of 3 to 6 consecutive words
	unit    []float32
}

func prepare(q Question) prepared {
	p := prepared{words: words(q.Question), acr: map[string]bool{}, runs: map[string]bool{}}
	p.content = content(p.words)
	for i, w := range p.words {
		if n := len(w); n >= 3 && n <= 6 && !stopwords[w] && isLetters(w) {
			p.acr[w] = true
		}
		var b strings.Builder
		allStop := true
		for k := i; k < len(p.words) && k < i+6; k++ {
			b.WriteByte(p.words[k][0])
			allStop = allStop && stopwords[p.words[k]]
			if k-i >= 2 && !allStop {
				p.runs[b.String()] = true
			}
		}
	}
	if q.Vector != nil {
		var sum float64
		for _, x := range q.Vector {
			sum += float64(x) * float64(x)
		}
		if sum > 0 {
			norm := float32(math.Sqrt(sum))
			p.unit = make([]float32, len(q.Vector))
			for i, x := range q.Vector {
				p.unit[i] = x / norm
			}
		}
	}
	return p
}

// overlap is overlap(p.words, o.words), taking the short way when neither
// could fold an acronym of the other.
func (p *prepared) overlap(o *prepared) float64 {
	if meets(p.runs, o.acr) || meets(o.runs, p.acr) {
		return overlap(p.words, o.words)
	}
	if len(p.content) == 0 || len(o.content) == 0 {
		return 0
	}
	shared := 0
	for w := range p.content {
		if o.content[w] {
			shared++
		}
	}
	return float64(shared) / float64(min(len(p.content), len(o.content)))
}

func meets(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

func dot(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	var d float32
	for i := range a {
		d += a[i] * b[i]
	}
	return float64(d)
}

// cosine is the vectors' cosine similarity; 0 for vectors of different
// models (lengths).
func cosine(a, b []float32) float64 {
	if len(a) != len(b) {
		return 0
	}
	return ai.Cosine(a, b)
}

// words are a question's words, lowercased, split at anything but letters
// and digits (so "sign-on" is two), with light stemming; stop words are
// kept (an acronym may abbreviate one: the "on" of "sign-on"), and left
// out when counting (overlap).
func words(text string) []string {
	ws := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range ws {
		ws[i] = stem(w)
	}
	return ws
}

func stem(w string) string {
	for _, suf := range []string{"ations", "ation", "ings", "ing", "ies", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			switch {
			case suf == "ies":
				return w[:len(w)-3] + "y"
			case suf == "es" && !strings.HasSuffix(w, "ses") && !strings.HasSuffix(w, "xes") && !strings.HasSuffix(w, "ches") && !strings.HasSuffix(w, "shes"):
				return w[:len(w)-1] // "invoices": "invoice", as the singular
			}
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be by can could do doe does for from get how i if in into is it its
		me my of on or our should so that the their them then there these this to up was we what when where which who
		why will with would you your`) {
		m[w] = true
	}
	return m
}()

// overlap is the share of the shorter list's content words found in the
// other, after folding acronyms: a short word of one list that spells the
// initials of consecutive words of the other stands for them there.
func overlap(a, b []string) float64 {
	a, b = fold(a, b), fold(b, a)
	sa, sb := content(a), content(b)
	if len(sa) == 0 || len(sb) == 0 {
		return 0
	}
	shared := 0
	for w := range sa {
		if sb[w] {
			shared++
		}
	}
	return float64(shared) / float64(min(len(sa), len(sb)))
}

func content(ws []string) map[string]bool {
	m := map[string]bool{}
	for _, w := range ws {
		if !stopwords[w] {
			m[w] = true
		}
	}
	return m
}

// fold replaces, in ws, each run of 3 to 6 consecutive words whose
// initials spell a word of other (not a stop word, all letters) by that
// word: "single sign on" becomes "sso" when other has "sso".
func fold(ws, other []string) []string {
	acr := map[string]bool{}
	for _, w := range other {
		if n := len(w); n >= 3 && n <= 6 && !stopwords[w] && isLetters(w) {
			acr[w] = true
		}
	}
	if len(acr) == 0 {
		return ws
	}
	var out []string
	for i := 0; i < len(ws); {
		matched := 0
		for n := min(6, len(ws)-i); n >= 3; n-- {
			var b strings.Builder
			allStop := true
			for _, w := range ws[i : i+n] {
				b.WriteByte(w[0])
				allStop = allStop && stopwords[w]
			}
			if !allStop && acr[b.String()] {
				out, matched = append(out, b.String()), n
				break
			}
		}
		if matched == 0 {
			out, matched = append(out, ws[i]), 1
		}
		i += matched
	}
	return out
}

func isLetters(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
