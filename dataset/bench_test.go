package dataset_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"tycho/dataset"
)

// writeCSV writes a CSV of about size bytes in the shape of a reaction
// screen: an id, categorical columns, numbers and a timestamp.
func writeCSV(tb testing.TB, path string, size int64) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "entry,ligand,base,solvent,temperature [K],time (h),yield (%),run_at")
	r := rand.New(rand.NewPCG(7, 7))
	ligands := []string{"PPh3", "XPhos", "SPhos", "dppf", "P(tBu)3", ""}
	bases := []string{"NaOH", "K3PO4", "CsF", "Et3N"}
	solvents := []string{"MeCN", "THF", "DMF", "MeOH"}
	var n int64
	for i := 1; ; i++ {
		m, err := fmt.Fprintf(w, "%d,%s,%s,%s,%.2f,%d,%.3f,2024-03-%02dT%02d:%02d:00Z\n", i,
			ligands[r.IntN(len(ligands))], bases[r.IntN(len(bases))], solvents[r.IntN(len(solvents))],
			293.15+r.Float64()*80, 1+r.IntN(24), r.Float64()*100, 1+r.IntN(28), r.IntN(24), r.IntN(60))
		if err != nil {
			tb.Fatal(err)
		}
		if n += int64(m); n >= size {
			break
		}
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkAddCSV adds a 128 MB CSV as a new dataset each time: chunking,
// hashing, storing and (with the quality report) reading it as a table.
func BenchmarkAddCSV(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "screen.csv")
	size := writeCSV(b, path, 128<<20)
	s := newService(b)
	b.SetBytes(size)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Add(ctx, dataset.AddRequest{Project: fmt.Sprint("p", i), Name: "screen", Paths: []string{path}}); err != nil {
			b.Fatal(err)
		}
	}
}
