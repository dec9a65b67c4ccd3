package postgres

import (
	"slices"
	"strings"
	"testing"
)

func TestSearchBands(t *testing.T) {
	for _, c := range []struct {
		keyword, semantic  bool
		articles, passages int64
		scanMax            int
		exact              bool
		wantKeyword        keywordBand
		wantSemantic       semanticBand
	}{
		{true, true, 0, 0, exactScanMax, false, kwAll, semAll},
		{true, false, searchPostingsPerTerm, 5000, exactScanMax, false, kwAll, semNone},
		{true, false, searchPostingsPerTerm + 1, 5000, exactScanMax, false, kwBest, semNone},
		{false, true, 5000, vectorCandidates, exactScanMax, false, kwNone, semAll},
		{false, true, 5000, vectorCandidates + 1, exactScanMax, false, kwNone, semSketches},
		{false, true, 5000, exactScanMax, exactScanMax, false, kwNone, semSketches},
		{false, true, 5000, exactScanMax + 1, exactScanMax, false, kwNone, semHNSW},
		// A test's limit below vectorCandidates: the index above it.
		{false, true, 5000, 60, 50, false, kwNone, semHNSW},
		{false, true, 5000, 50, 50, false, kwNone, semAll},
		{true, true, 5000, 0, -1, false, kwBest, semHNSW},
		// The exact answer reads everything, whatever the size.
		{true, true, 1e6, 1e7, exactScanMax, true, kwAll, semAll},
	} {
		kw, sem := searchBands(c.keyword, c.semantic, c.articles, c.passages, c.scanMax, c.exact)
		if kw != c.wantKeyword || sem != c.wantSemantic {
			t.Errorf("%+v: bands %d, %d; want %d, %d", c, kw, sem, c.wantKeyword, c.wantSemantic)
		}
	}
}

func TestNumbered(t *testing.T) {
	sql, names := numbered("SELECT @b, @a WHERE x @@ @b AND @a_c = @a")
	if want := "SELECT $1, $2 WHERE x @@ $1 AND $3 = $2"; sql != want {
		t.Errorf("numbered: %q; want %q", sql, want)
	}
	if want := []string{"b", "a", "a_c"}; !slices.Equal(names, want) {
		t.Errorf("names %q; want %q", names, want)
	}
}

// TestSearchStatementsTakeKnownArguments: every statement of every band
// names only the arguments SearchArticles gives, and has the parts of its
// bands and no others.
func TestSearchStatementsTakeKnownArguments(t *testing.T) {
	known := map[string]bool{"tenant": true, "q": true, "public": true, "limit": true, "plain": true, "min_similarity": true, "model": true,
		"vector": true, "sketch": true}
	if len(searchStatements) != 11 {
		t.Errorf("%d search statements; want 11 (two keyword bands and three semantic, alone or both)", len(searchStatements))
	}
	for bands, st := range searchStatements {
		for _, name := range st.args {
			if !known[name] {
				t.Errorf("bands %v: argument @%s is not one SearchArticles gives", bands, name)
			}
		}
		if strings.Contains(st.sql, "@") && strings.Count(st.sql, "@") != 2*strings.Count(st.sql, "@@") {
			t.Errorf("bands %v: a placeholder was left unnumbered", bands)
		}
		kw, sem := bands.kw, bands.sem
		for part, want := range map[string]bool{
			"postings AS":                    kw != kwNone,
			"rescored AS":                    kw == kwBest,
			"near AS":                        sem != semNone,
			"(+ 0: never the HNSW index)":    sem == semAll,
			"(+ 0: every sketch, never the":  sem == semSketches,
			"ORDER BY b.vector_sketch <~> $": sem == semHNSW,
			"FULL OUTER JOIN":                kw != kwNone && sem != semNone,
			"LEFT JOIN idf i ON p.terms @@":  kw != kwNone,
		} {
			if strings.Contains(st.sql, part) != want {
				t.Errorf("bands %v: has %q: %v; want %v", bands, part, !want, want)
			}
		}
	}
}
