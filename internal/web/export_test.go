package web

import "strconv"

// FloodLimiters records n attempts under as many distinct keys in each of
// h's limiters, as a flood of junk sign-ins and link requests with distinct
// emails from distinct addresses would (without spending a password check
// on each).
func (h *Handler) FloodLimiters(n int) {
	for i := range n {
		k := strconv.Itoa(i)
		h.perUser.allow("link:acme/junk" + k + "@junk.example")
		h.perIP.allow("198.18." + k)
	}
}
