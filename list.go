package onboardiq

// ListOptions pages through a list: at most Limit items (1–200, default
// 50) after the opaque Cursor of the previous page.
type ListOptions struct {
	Limit  int
	Cursor string
}

// Normalise applies the default and bounds of Limit.
func (o *ListOptions) Normalise() error {
	switch {
	case o.Limit == 0:
		o.Limit = 50
	case o.Limit < 1 || o.Limit > 200:
		return Invalid("limit", "must be between 1 and 200")
	}
	return nil
}

// Page is one page of a list and the cursor of the next ("" at the end).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}
