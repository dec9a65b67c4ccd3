package ai

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
	"unicode"

	"github.com/onboardiq/onboardiq"
)

// LocalModel is the name stored for the local embedder's vectors; change
// it whenever the hashing changes, so old vectors are re-embedded.
const LocalModel = "local-hash-v1"

// Local is the offline embedder: feature hashing of words, word pairs and
// character n-grams into 768 signed buckets, weighted by log term
// frequency, normalised to unit length. It is deterministic, needs no
// model file, and puts texts that share words and word parts (a paraphrase,
// "set up SSO" and "SSO setup") close together.
type Local struct{}

// Model names the hashing scheme.
func (Local) Model() string { return LocalModel }

// Embed hashes each text.
func (Local) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = embedLocal(t)
	}
	return out, nil
}

const (
	wordWeight  = 1.0
	pairWeight  = 0.5
	ngramWeight = 0.35
	minGram     = 3
	maxGram     = 5
)

func embedLocal(text string) []float32 {
	counts := map[string]float64{}
	words := Tokenize(text)
	var prev string
	for _, w := range words {
		if stopwords[w] {
			prev = ""
			continue
		}
		stem := Stem(w)
		counts["w:"+stem] += wordWeight
		if prev != "" {
			counts["p:"+prev+" "+stem] += pairWeight
		}
		prev = stem
		// Character n-grams of the word with boundary marks, so that
		// "configure" and "configuration", or "setup" and "set up",
		// share features.
		padded := "<" + w + ">"
		r := []rune(padded)
		for n := minGram; n <= maxGram; n++ {
			for i := 0; i+n <= len(r); i++ {
				counts["g:"+string(r[i:i+n])] += ngramWeight / float64(maxGram-minGram+1)
			}
		}
	}
	v := make([]float32, onboardiq.EmbeddingDimensions)
	for f, c := range counts {
		h := fnv.New64a()
		h.Write([]byte(f))
		sum := h.Sum64()
		idx := sum % onboardiq.EmbeddingDimensions
		w := float32(math.Log1p(c))
		if sum>>63 == 1 {
			w = -w
		}
		v[idx] += w
	}
	return normalise(v)
}

// Tokenize lowercases text and splits it into words of letters and digits.
func Tokenize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Stem strips a few common English endings, enough to let "importing",
// "imported" and "imports" meet.
func Stem(w string) string {
	for _, suf := range []string{"ations", "ation", "ings", "ing", "ies", "ed", "es", "s"} {
		if len(w) > len(suf)+2 && strings.HasSuffix(w, suf) {
			if suf == "ies" {
				return w[:len(w)-3] + "y"
			}
			return w[:len(w)-len(suf)]
		}
	}
	return w
}

var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be by can do does for from how i if in into is it its
		me my of on or our so that the their them then there these this to up was we what when where which who
		why will with you your`) {
		m[w] = true
	}
	return m
}()
