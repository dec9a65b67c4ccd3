// Package sketch makes a vector's sketch: the signs of a fixed random
// rotation of it, one bit a dimension (random-hyperplane hashing). The
// share of two sketches' bits that differ estimates the angle between the
// vectors over π, whatever the vectors look like, so a search can keep the
// passages nearest to a query by their sketches (Hamming distance, 128
// bytes a passage, in an index alone) and then compare only those
// passages' full vectors (docs/ai.md, "Scale").
//
// The vector's own signs cannot stand in for it: the offline embedder's
// vectors are sparse and have few negative components, so a short text's
// signs are a few ones and the passages with the fewest ones come out
// nearest to it, whatever they say. Measured against every vector of a
// 19,287-passage workspace, the 160 passages nearest by their own signs
// held 0.26 of the ten nearest articles; by their sketches, 0.99.
//
// The rotation is three rounds of random sign flips, each followed by a
// Walsh–Hadamard transform (HD₃HD₂HD₁ over the vector padded to 1,024
// dimensions): a pseudo-random rotation in O(n log n), about 20 µs a
// vector. The signs come from SHA-256 of fixed strings, so the rotation
// never changes: every stored sketch depends on it.
package sketch

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
)

// Bits is a sketch's length: the dimensions of the padded vector.
const Bits = 1024

// Sketch is a vector's sketch, bit i the sign of the rotated vector's
// component i (1 when positive), most significant bit of each byte first,
// as PostgreSQL stores a bit string.
type Sketch [Bits / 8]byte

// flips holds the three rounds' sign flips, one bit a dimension.
var flips = func() (f [3][Bits / 8]byte) {
	for r := range f {
		for i := 0; i < len(f[r]); i += sha256.Size {
			sum := sha256.Sum256(fmt.Appendf(nil, "onboardiq sketch v1 round %d block %d", r, i/sha256.Size))
			copy(f[r][i:], sum[:])
		}
	}
	return f
}()

// Of returns v's sketch. A vector longer than Bits panics.
func Of(v []float32) Sketch {
	if len(v) > Bits {
		panic(fmt.Sprintf("sketch: %d dimensions, at most %d", len(v), Bits))
	}
	var s Sketch
	for i, x := range rotate(v) {
		if x > 0 {
			s[i/8] |= 1 << (7 - i%8)
		}
	}
	return s
}

// rotate returns v padded to Bits dimensions and rotated: its norm times
// Bits^(3/2), every angle kept.
func rotate(v []float32) *[Bits]float32 {
	var a [Bits]float32
	copy(a[:], v)
	for r := range flips {
		for i, f := range flips[r] {
			for b := range 8 {
				if f>>(7-b)&1 == 1 {
					a[i*8+b] = -a[i*8+b]
				}
			}
		}
		hadamard(&a)
	}
	return &a
}

// hadamard applies the (unnormalised) Walsh–Hadamard transform in place.
func hadamard(a *[Bits]float32) {
	for h := 1; h < Bits; h *= 2 {
		for i := 0; i < Bits; i += 2 * h {
			x, y := a[i:i+h], a[i+h:i+2*h]
			for j := range x {
				x[j], y[j] = x[j]+y[j], x[j]-y[j]
			}
		}
	}
}

// Distance is the number of bits in which a and b differ.
func Distance(a, b Sketch) int {
	n := 0
	for i := range a {
		n += bits.OnesCount8(a[i] ^ b[i])
	}
	return n
}
