package web

import (
	"sync"
	"time"
)

// devMailbox keeps the sign-in and reset links this server made, for the
// development mailbox: deliveries hold no link (the email worker makes it
// when it sends), so the mailbox cannot read them from the database. It
// keeps the newest mailboxSize links of the last hour, in memory only.
type devMailbox struct {
	mu    sync.Mutex
	items []mailboxItem // oldest first
}

const (
	mailboxSize = 100
	mailboxAge  = time.Hour
)

type mailboxItem struct {
	Workspace, To, Subject, Link string
	At                           time.Time
}

func (m *devMailbox) add(it mailboxItem) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.items) >= mailboxSize {
		m.items = append(m.items[:0], m.items[len(m.items)-mailboxSize+1:]...)
	}
	m.items = append(m.items, it)
}

// list returns the workspace's links of the last hour, newest first.
func (m *devMailbox) list(workspace string, now time.Time) []mailboxItem {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mailboxItem
	for i := len(m.items) - 1; i >= 0; i-- {
		if it := m.items[i]; it.Workspace == workspace && now.Sub(it.At) < mailboxAge {
			out = append(out, it)
		}
	}
	return out
}
