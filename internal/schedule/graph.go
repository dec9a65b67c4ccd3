package schedule

// Finish-to-start dependencies: a task may start when every task it
// depends on (its predecessors) is finished. The graph is given as the
// nodes, in a stable order, and a function from a node to its
// predecessors; every answer follows that order, so it is deterministic.

// FindCycle returns a cycle of the graph as the nodes along it, each
// depending on the next and the last on the first (a task that depends on
// itself is a cycle of one), or nil when there is none. Predecessors that
// are not among nodes are ignored.
func FindCycle[K comparable](nodes []K, dependsOn func(K) []K) []K {
	const (
		unseen = iota
		onPath
		done
	)
	known := make(map[K]bool, len(nodes))
	for _, n := range nodes {
		known[n] = true
	}
	state := make(map[K]int, len(nodes))
	var path []K
	var visit func(K) []K
	visit = func(n K) []K {
		state[n] = onPath
		path = append(path, n)
		for _, p := range dependsOn(n) {
			if !known[p] {
				continue
			}
			switch state[p] {
			case onPath:
				for i := len(path) - 1; i >= 0; i-- {
					if path[i] == p {
						return append([]K(nil), path[i:]...)
					}
				}
			case unseen:
				if c := visit(p); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, n := range nodes {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// Dependents returns the nodes that depend on from, directly or through
// others, each once, every one after the nodes it depends on among them
// (so shifting them in this order moves a predecessor before its
// dependents). The graph must have no cycle (FindCycle).
func Dependents[K comparable](nodes []K, dependsOn func(K) []K, from K) []K {
	// Who depends on whom, in node order.
	waiting := make(map[K][]K, len(nodes))
	for _, n := range nodes {
		for _, p := range dependsOn(n) {
			waiting[p] = append(waiting[p], n)
		}
	}
	reached := map[K]bool{}
	var walk func(K)
	walk = func(n K) {
		for _, d := range waiting[n] {
			if !reached[d] {
				reached[d] = true
				walk(d)
			}
		}
	}
	walk(from)
	var out []K
	for _, n := range TopoOrder(nodes, dependsOn) {
		if reached[n] && n != from {
			out = append(out, n)
		}
	}
	return out
}

// TopoOrder returns nodes ordered so that each comes after every
// predecessor among them, otherwise keeping the given order. The graph
// must have no cycle (FindCycle); nodes on one are left out.
func TopoOrder[K comparable](nodes []K, dependsOn func(K) []K) []K {
	known := make(map[K]bool, len(nodes))
	for _, n := range nodes {
		known[n] = true
	}
	placed := make(map[K]bool, len(nodes))
	visiting := map[K]bool{}
	out := make([]K, 0, len(nodes))
	var place func(K) bool
	place = func(n K) bool {
		if placed[n] {
			return true
		}
		if visiting[n] {
			return false
		}
		visiting[n] = true
		for _, p := range dependsOn(n) {
			if known[p] && !place(p) {
				return false
			}
		}
		visiting[n] = false
		placed[n] = true
		out = append(out, n)
		return true
	}
	for _, n := range nodes {
		place(n)
	}
	return out
}

// CriticalPath is the longest chain of the graph by duration: the nodes
// from the first to start to the last to finish, and their total length.
// A node's duration is what remains of it (zero for a finished one); the
// chain decides the earliest finish of the whole, whatever else runs in
// parallel. The graph must have no cycle (FindCycle).
func CriticalPath[K comparable](nodes []K, dependsOn func(K) []K, duration func(K) int) (length int, path []K) {
	known := make(map[K]bool, len(nodes))
	for _, n := range nodes {
		known[n] = true
	}
	finish := make(map[K]int, len(nodes))
	via := make(map[K]K, len(nodes))
	hasVia := make(map[K]bool, len(nodes))
	var last K
	found := false
	for _, n := range TopoOrder(nodes, dependsOn) {
		start := 0
		for _, p := range dependsOn(n) {
			if known[p] && (finish[p] > start || !hasVia[n]) {
				start, via[n], hasVia[n] = finish[p], p, true
			}
		}
		finish[n] = start + max(duration(n), 0)
		if !found || finish[n] > length {
			length, last, found = finish[n], n, true
		}
	}
	if !found {
		return 0, nil
	}
	for n := last; ; n = via[n] {
		path = append([]K{n}, path...)
		if !hasVia[n] {
			break
		}
	}
	return length, path
}
