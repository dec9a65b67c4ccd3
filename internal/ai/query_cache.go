package ai

import (
	"container/list"
	"context"
	"slices"
	"sync"
)

// QueryCache is an Embedder that remembers the embeddings of single texts
// (a search's query, an asked question: what a person types, and often
// again) so the same query is embedded once, not at every search; batches
// (articles, passages) pass through. It holds at most size texts, the
// least recently used leaving first. Safe for concurrent use.
type QueryCache struct {
	next Embedder
	size int

	mu    sync.Mutex
	order *list.List               // of *cachedQuery, most recent first
	byKey map[string]*list.Element // by text
}

type cachedQuery struct {
	text string
	vec  []float32
}

// NewQueryCache wraps e with a cache of size texts.
func NewQueryCache(e Embedder, size int) *QueryCache {
	return &QueryCache{next: e, size: max(size, 1), order: list.New(), byKey: map[string]*list.Element{}}
}

// Model is the wrapped embedder's model.
func (c *QueryCache) Model() string { return c.next.Model() }

// Embed returns a single text's embedding from the cache when it has it,
// and otherwise asks the wrapped embedder (and keeps a single text's
// answer; never an error).
func (c *QueryCache) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) != 1 {
		return c.next.Embed(ctx, texts)
	}
	if v, ok := c.get(texts[0]); ok {
		return [][]float32{v}, nil
	}
	vecs, err := c.next.Embed(ctx, texts)
	if err == nil && len(vecs) == 1 {
		c.put(texts[0], vecs[0])
	}
	return vecs, err
}

// get returns a copy: callers may keep or change what they were given.
func (c *QueryCache) get(text string) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[text]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return slices.Clone(e.Value.(*cachedQuery).vec), true
}

func (c *QueryCache) put(text string, v []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[text]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.byKey[text] = c.order.PushFront(&cachedQuery{text: text, vec: slices.Clone(v)})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cachedQuery).text)
	}
}
