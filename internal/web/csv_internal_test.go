package web

import (
	"strconv"
	"testing"

	"github.com/onboardiq/onboardiq"
	"github.com/onboardiq/onboardiq/internal/csvout"
)

// TestAllPages: a download follows the cursor to the end, and refuses a
// list longer than csvout.MaxRows naming no field of the page's.
func TestAllPages(t *testing.T) {
	t.Parallel()
	pages := func(total int) func(string) ([]int, string, error) {
		return func(cursor string) ([]int, string, error) {
			from, _ := strconv.Atoi(cursor)
			var out []int
			for i := from; i < total && i < from+csvPageSize; i++ {
				out = append(out, i)
			}
			next := ""
			if from+csvPageSize < total {
				next = strconv.Itoa(from + csvPageSize)
			}
			return out, next, nil
		}
	}
	got, err := allPages(pages(450))
	if err != nil || len(got) != 450 || got[449] != 449 {
		t.Fatalf("450 rows: %d, %v", len(got), err)
	}
	if got, err := allPages(pages(csvout.MaxRows)); err != nil || len(got) != csvout.MaxRows {
		t.Fatalf("the most rows: %d, %v", len(got), err)
	}
	if _, err := allPages(pages(csvout.MaxRows + 1)); onboardiq.ErrorCode(err) != onboardiq.EINVALID {
		t.Fatalf("one row too many: %v", err)
	}
	if csvLink("/app/customers", map[string][]string{"q": {"a b"}, "cursor": {"x"}}) != "/app/customers?format=csv&q=a+b" {
		t.Error(csvLink("/app/customers", map[string][]string{"q": {"a b"}, "cursor": {"x"}}))
	}
}
