package quality_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"tycho/quality"
)

// screenCSV returns about size bytes of CSV shaped like a reaction screen.
func screenCSV(size int) []byte {
	var b bytes.Buffer
	b.WriteString("entry,ligand,base,solvent,temperature [K],time (h),yield (%),run_at\n")
	r := rand.New(rand.NewPCG(7, 7))
	ligands := []string{"PPh3", "XPhos", "SPhos", "dppf", "P(tBu)3", ""}
	bases := []string{"NaOH", "K3PO4", "CsF", "Et3N"}
	solvents := []string{"MeCN", "THF", "DMF", "MeOH"}
	for i := 1; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d,%s,%s,%s,%.2f,%d,%.3f,2024-03-%02dT%02d:%02d:00Z\n", i,
			ligands[r.IntN(len(ligands))], bases[r.IntN(len(bases))], solvents[r.IntN(len(solvents))],
			293.15+r.Float64()*80, 1+r.IntN(24), r.Float64()*100, 1+r.IntN(28), r.IntN(24), r.IntN(60))
	}
	return b.Bytes()
}

func BenchmarkCSV(b *testing.B) {
	data := screenCSV(32 << 20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := quality.CSV(ctx, "screen.csv", bytes.NewReader(data), ',', nil); err != nil {
			b.Fatal(err)
		}
	}
}
