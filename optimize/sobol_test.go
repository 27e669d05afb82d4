package optimize

import (
	"testing"
)

func TestSobolUnscrambledStart(t *testing.T) {
	s, err := newSobol(2)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{0, 0}, {0.5, 0.5}, {0.75, 0.25}, {0.25, 0.75}, {0.375, 0.375}, {0.875, 0.875}}
	for i, w := range want {
		got := make([]float64, 2)
		s.Next(got)
		if got[0] != w[0] || got[1] != w[1] {
			t.Errorf("point %d = %v, want %v", i, got, w)
		}
	}
}

func TestPrimitivePolysMatchJoeKuo(t *testing.T) {
	// (s, a) of dimensions 2–21 in new-joe-kuo-6.21201.
	want := []poly{{1, 0}, {2, 1}, {3, 1}, {3, 2}, {4, 1}, {4, 4}, {5, 2}, {5, 4}, {5, 7}, {5, 11},
		{5, 13}, {5, 14}, {6, 1}, {6, 13}, {6, 16}, {6, 19}, {6, 22}, {6, 25}, {7, 1}, {7, 4}}
	got := primitivePolys(len(want))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("polynomial %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	// Degree 10 has φ(1023)/10 = 60 primitive polynomials.
	n := 0
	for _, p := range primitivePolys(400) {
		if p.s == 10 {
			n++
		}
	}
	if n != 60 {
		t.Errorf("found %d primitive polynomials of degree 10, want 60", n)
	}
}

// TestSobolStratification checks the defining property that survives
// scrambling: the first 2^m points put exactly 2^{m−k} points in every
// interval [i/2^k, (i+1)/2^k) of every coordinate.
func TestSobolStratification(t *testing.T) {
	const m = 8
	for _, d := range []int{1, 6, 50, 300} {
		for _, seed := range []uint64{1, 99} {
			s, err := NewSobol(d, seed)
			if err != nil {
				t.Fatal(err)
			}
			pts := s.Sample(1 << m)
			for j := range d {
				for k := 1; k <= m; k++ {
					counts := make([]int, 1<<k)
					for _, p := range pts {
						counts[int(p[j]*float64(int(1)<<k))]++
					}
					for i, c := range counts {
						if c != 1<<(m-k) {
							t.Fatalf("d=%d seed=%d dim %d: interval %d/2^%d holds %d points, want %d", d, seed, j, i, k, c, 1<<(m-k))
						}
					}
				}
			}
		}
	}
}

// TestSobolNet2D checks the (0,m,2)-net property of the first two
// dimensions: every 2^{−a}×2^{−b} box with a+b = m holds one point.
func TestSobolNet2D(t *testing.T) {
	const m = 6
	s, err := NewSobol(2, 5)
	if err != nil {
		t.Fatal(err)
	}
	pts := s.Sample(1 << m)
	for a := 0; a <= m; a++ {
		b := m - a
		seen := map[[2]int]bool{}
		for _, p := range pts {
			box := [2]int{int(p[0] * float64(int(1)<<a)), int(p[1] * float64(int(1)<<b))}
			if seen[box] {
				t.Fatalf("box %v of size 2^-%d × 2^-%d holds two points", box, a, b)
			}
			seen[box] = true
		}
	}
}

func TestSobolSeeds(t *testing.T) {
	a, _ := NewSobol(3, 1)
	b, _ := NewSobol(3, 1)
	c, _ := NewSobol(3, 2)
	pa, pb, pc := a.Sample(10), b.Sample(10), c.Sample(10)
	same := true
	for i := range pa {
		for j := range pa[i] {
			if pa[i][j] != pb[i][j] {
				t.Fatalf("same seed, different point %d: %v vs %v", i, pa[i], pb[i])
			}
			same = same && pa[i][j] == pc[i][j]
		}
	}
	if same {
		t.Fatal("different seeds gave the same points")
	}
	for _, d := range []int{0, -1, MaxSobolDims + 1} {
		if _, err := NewSobol(d, 1); err == nil {
			t.Errorf("NewSobol(%d) succeeded, want an error", d)
		}
	}
}

func BenchmarkSobolNext(b *testing.B) {
	s, _ := NewSobol(6, 1)
	x := make([]float64, 6)
	for b.Loop() {
		s.Next(x)
	}
}
