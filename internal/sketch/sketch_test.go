package sketch

import (
	"context"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onboardiq/onboardiq/internal/ai"
)

// TestRotationKeepsAngles: the rotation is one: it scales every vector's
// norm by the same factor and keeps every angle.
func TestRotationKeepsAngles(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	scale := math.Pow(Bits, 1.5)
	for range 20 {
		u, v := gaussian(r, 768), gaussian(r, 768)
		ru, rv := rotate(u), rotate(v)
		if got, want := norm(ru[:]), norm(u)*scale; math.Abs(got-want) > 1e-4*want {
			t.Fatalf("norm %g after the rotation, want %g", got, want)
		}
		if got, want := cosine(ru[:], rv[:]), cosine(u, v); math.Abs(got-want) > 1e-4 {
			t.Fatalf("cosine %g after the rotation, want %g", got, want)
		}
	}
	// It moves vectors: a rotation that kept the axes would keep the
	// vector's own signs, which is what a sketch must not be.
	e := make([]float32, 768)
	e[0] = 1
	if re := rotate(e); math.Abs(float64(re[0]))/norm(re[:]) > 0.1 {
		t.Fatalf("the first axis stays near itself: %v", re[:4])
	}
}

// TestDistanceEstimatesAngle: the share of differing bits of two sketches
// is near the angle between the vectors over π, for the offline
// embedder's sparse vectors too, whose own signs are far from it.
func TestDistanceEstimatesAngle(t *testing.T) {
	t.Parallel()
	texts := []string{
		"How do I set up single sign-on with SAML?",
		"Configure SAML SSO: upload the identity provider's metadata, then map the email attribute.",
		"Import your customers from a CSV file with one row per customer.",
		"Invoices are sent on the first day of each month by email.",
		"Set up SSO",
		"Export the project plan to CSV.",
		"Reset a user's password from the admin console.",
		"Holiday calendars shift every task's due date past the closed days.",
	}
	vecs, err := ai.Local{}.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 8 {
		vecs = append(vecs, sparse(r, 768, 12))
	}
	var worst, ownWorst float64
	for i := range vecs {
		for j := range i {
			angle := math.Acos(max(-1, min(1, cosine(vecs[i], vecs[j])))) / math.Pi
			worst = max(worst, math.Abs(float64(Distance(Of(vecs[i]), Of(vecs[j])))/Bits-angle))
			ownWorst = max(ownWorst, math.Abs(float64(Distance(signs(vecs[i]), signs(vecs[j])))/768-angle))
		}
	}
	// The estimate's standard deviation is at most √(¼/1,024) ≈ 0.016.
	t.Logf("worst: sketch %.3f, own signs %.3f", worst, ownWorst)
	if worst > 0.06 {
		t.Errorf("a sketch distance is %.3f off the angle over π, want at most 0.06", worst)
	}
	if ownWorst < 0.2 {
		t.Errorf("the vectors' own signs are within %.3f of the angle: the test's vectors do not tell a sketch from them", ownWorst)
	}
}

// TestSketchIsFixed: every stored sketch was made with the same rotation;
// a change to it would leave them all comparing wrongly with the query's.
func TestSketchIsFixed(t *testing.T) {
	t.Parallel()
	v := make([]float32, 768)
	for i := range v {
		v[i] = float32(math.Sin(float64(i)))
	}
	const want = "d4d8dcd1d1f86b019bd3b03ff0b6edc12b1e52055a52cafbceed8ae8336fd360a129e1a81a99b666eef87dcc35b864d186a9a6e0b9d17805bd7cc3bac3ca0ee3f834962b5c13c1305a6bf60e6b7c2c95165c6b427614a3d51809ce4c5a024a8726c9c2c63a1f43d37c5831f166c6444ecc9c2f77705609ca5bea320fd0d3d637"
	s := Of(v)
	if got := hex.EncodeToString(s[:]); got != want {
		t.Errorf("sketch %s, want %s", got, want)
	}
}

func TestLongVectorPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Of(make([]float32, Bits+1))
}

func BenchmarkOf(b *testing.B) {
	v := gaussian(rand.New(rand.NewPCG(5, 6)), 768)
	for b.Loop() {
		Of(v)
	}
}

func gaussian(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// sparse returns a vector with k non-negative components, as the offline
// embedder's are.
func sparse(r *rand.Rand, n, k int) []float32 {
	v := make([]float32, n)
	for range k {
		v[r.IntN(n/8)] += r.Float32()
	}
	return v
}

func signs(v []float32) Sketch {
	var s Sketch
	for i, x := range v {
		if x > 0 {
			s[i/8] |= 1 << (7 - i%8)
		}
	}
	return s
}

func norm(v []float32) float64 { return math.Sqrt(dot(v, v)) }

func cosine(u, v []float32) float64 { return dot(u, v) / (norm(u) * norm(v)) }

func dot(u, v []float32) float64 {
	var s float64
	for i := range u {
		s += float64(u[i]) * float64(v[i])
	}
	return s
}
