package onboardiq

// Patch is one field of an update: left as it is unless Set; when Set, Null
// clears it and otherwise Value replaces it.
type Patch[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// Set returns a Patch that sets v.
func Set[T any](v T) Patch[T] { return Patch[T]{Set: true, Value: v} }

// Apply applies the patch to a nullable field.
func (p Patch[T]) Apply(field **T) {
	switch {
	case !p.Set:
	case p.Null:
		*field = nil
	default:
		v := p.Value
		*field = &v
	}
}

// ApplyValue applies the patch to a field that cannot be null; it reports
// false when the patch would null it.
func (p Patch[T]) ApplyValue(field *T) bool {
	switch {
	case !p.Set:
	case p.Null:
		return false
	default:
		*field = p.Value
	}
	return true
}
