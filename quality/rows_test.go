package quality_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"tycho/quality"
)

func TestSortHashes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 4095, 4096, 5000, 100_000} {
		for _, skew := range []uint{0, 8, 60} { // high bits all zero when skewed
			a := make([]uint64, n)
			for i := range a {
				a[i] = r.Uint64() >> skew
				if i%7 == 0 && i > 0 {
					a[i] = a[i-1] // repeats
				}
			}
			want := slices.Clone(a)
			slices.Sort(want)
			quality.SortHashes(a)
			if !slices.Equal(a, want) {
				t.Errorf("%d hashes shifted by %d: not sorted", n, skew)
			}
		}
	}
}

// TestDuplicatesMany counts duplicates among enough rows to take the
// radix sort.
func TestDuplicatesMany(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,x\n")
	for i := range 30_000 {
		fmt.Fprintf(&b, "%d,%d\n", i%20_000, i%20_000%7) // rows 20000 on repeat the first 10000
	}
	rep := csvReport(t, b.String())
	if rep.DuplicateRows != 10_000 {
		t.Errorf("%d duplicate rows, want 10000", rep.DuplicateRows)
	}
}
