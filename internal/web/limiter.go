package web

import (
	"container/list"
	"crypto/sha256"
	"sync"
	"time"
)

// limiterKeys is how many keys a limiter remembers: under 200 bytes each,
// so some 12 MB at most per limiter, whatever arrives.
const limiterKeys = 1 << 16

// limiter allows n attempts per key in a sliding window. It keeps a key as
// its SHA-256 and two counters, so an entry's size does not depend on what
// a client sends, and it remembers at most max keys, forgetting the least
// recently used first. What must survive a flood of distinct keys (failed
// passwords per account) is not kept here but in the database.
type limiter struct {
	mu      sync.Mutex
	n       int
	window  time.Duration
	max     int
	entries map[[sha256.Size]byte]*list.Element
	lru     list.List // of *limiterEntry, the most recently used first
	now     func() time.Time
}

// limiterEntry counts the attempts of the current window and of the one
// before; the estimate weighs the previous window by how much of it still
// overlaps the sliding window.
type limiterEntry struct {
	key       [sha256.Size]byte
	start     time.Time // of the current window
	prev, cur uint32
}

func newLimiter(n int, window time.Duration, max int) *limiter {
	return &limiter{n: n, window: window, max: max, entries: map[[sha256.Size]byte]*list.Element{}, now: time.Now}
}

// allow records an attempt for key and reports whether it is within the
// limit. Refused attempts count too, so a client that keeps trying stays
// refused.
func (l *limiter) allow(key string) bool {
	k := sha256.Sum256([]byte(key))
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	el, ok := l.entries[k]
	if !ok {
		if l.lru.Len() >= l.max {
			oldest := l.lru.Back()
			delete(l.entries, oldest.Value.(*limiterEntry).key)
			l.lru.Remove(oldest)
		}
		el = l.lru.PushFront(&limiterEntry{key: k, start: now})
		l.entries[k] = el
	} else {
		l.lru.MoveToFront(el)
	}
	e := el.Value.(*limiterEntry)
	switch elapsed := now.Sub(e.start); {
	case elapsed >= 2*l.window:
		e.start, e.prev, e.cur = now, 0, 0
	case elapsed >= l.window:
		e.start, e.prev, e.cur = e.start.Add(l.window), e.cur, 0
	}
	if e.cur < 1<<31 {
		e.cur++
	}
	overlap := 1 - float64(now.Sub(e.start))/float64(l.window)
	return float64(e.prev)*overlap+float64(e.cur) <= float64(l.n)
}

// size is how many keys the limiter remembers.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}
