package crm

import (
	"sync"
	"time"
)

// Limiter bounds the calls each key (a workspace and provider) may make
// per window, in memory: a CRM that loops, or someone flooding a
// workspace's address with unsigned calls, is refused (429) before the
// body is read into the database. It remembers at most maxKeys keys per
// window and refuses new keys past that, so its memory is bounded whatever
// arrives.
type Limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	start  time.Time
	counts map[string]int
	now    func() time.Time
}

const maxKeys = 10000

// NewLimiter allows n calls per key per window.
func NewLimiter(n int, window time.Duration) *Limiter {
	return &Limiter{n: n, window: window, counts: map[string]int{}, now: time.Now}
}

// Allow records a call for key and reports whether it is within the limit,
// and when not, how long until the window ends.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	wait := l.window - now.Sub(l.start)
	c, ok := l.counts[key]
	if !ok && len(l.counts) >= maxKeys {
		return false, wait
	}
	if c >= l.n {
		return false, wait
	}
	l.counts[key] = c + 1
	return true, 0
}
