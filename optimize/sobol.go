package optimize

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync"
)

// MaxSobolDims is the largest dimension NewSobol accepts.
const MaxSobolDims = 1000

// sobolBits is the resolution of the sequence: 2³² points at most.
const sobolBits = 32

// joeKuo holds the initial direction numbers m₁…m_s of dimensions 2–21
// from Joe and Kuo's new-joe-kuo-6.21201 table; their primitive polynomials
// are found by primitivePolys, which enumerates them in the same order.
var joeKuo = [][]uint32{
	{1},
	{1, 3},
	{1, 3, 1},
	{1, 1, 1},
	{1, 1, 3, 3},
	{1, 3, 5, 13},
	{1, 1, 5, 5, 17},
	{1, 1, 5, 5, 5},
	{1, 1, 7, 11, 19},
	{1, 1, 5, 1, 1},
	{1, 1, 1, 3, 11},
	{1, 3, 5, 5, 31},
	{1, 3, 3, 9, 7, 49},
	{1, 1, 1, 15, 21, 21},
	{1, 3, 1, 13, 27, 49},
	{1, 1, 1, 15, 7, 5},
	{1, 3, 1, 15, 13, 25},
	{1, 1, 5, 5, 19, 61},
	{1, 3, 7, 11, 23, 15, 103},
	{1, 3, 7, 13, 13, 15, 69},
}

// poly is a primitive polynomial over GF(2) of degree s; a holds the
// coefficients of x^{s−1} … x¹ as bits, most significant first.
type poly struct {
	s int
	a uint32
}

var (
	directionOnce sync.Once
	directions    [][sobolBits]uint32 // per dimension, unscrambled
)

// directionNumbers returns the direction numbers v_k = m_k·2^{32−k} of the
// first MaxSobolDims dimensions. Dimensions beyond the Joe–Kuo table get
// the next primitive polynomials and odd initial numbers from a fixed
// seed: they keep every one-dimensional stratification property but not
// Joe and Kuo's optimized two-dimensional projections.
func directionNumbers() [][sobolBits]uint32 {
	directionOnce.Do(func() {
		polys := primitivePolys(MaxSobolDims - 1)
		rng := rand.New(rand.NewPCG(0x5eed, 0x50b01))
		directions = make([][sobolBits]uint32, MaxSobolDims)
		for k := range sobolBits {
			directions[0][k] = 1 << (sobolBits - 1 - k)
		}
		for d := 1; d < MaxSobolDims; d++ {
			p := polys[d-1]
			m := make([]uint32, sobolBits)
			if d-1 < len(joeKuo) {
				copy(m, joeKuo[d-1])
			} else {
				for k := range p.s {
					m[k] = uint32(rng.IntN(1<<k))*2 + 1 // odd, < 2^{k+1}
				}
			}
			for k := p.s; k < sobolBits; k++ {
				v := m[k-p.s] ^ (m[k-p.s] << p.s)
				for j := 1; j < p.s; j++ {
					if p.a>>(p.s-1-j)&1 == 1 {
						v ^= m[k-j] << j
					}
				}
				m[k] = v
			}
			for k := range sobolBits {
				directions[d][k] = m[k] << (sobolBits - 1 - k)
			}
		}
	})
	return directions
}

// primitivePolys returns the first n primitive polynomials over GF(2) of
// degree ≥ 1 in Joe–Kuo order: by degree, then by coefficients.
func primitivePolys(n int) []poly {
	out := make([]poly, 0, n)
	for s := 1; len(out) < n; s++ {
		for a := uint32(0); a < 1<<(s-1) && len(out) < n; a++ {
			full := uint64(1)<<s | uint64(a)<<1 | 1
			if isPrimitive(full, s) {
				out = append(out, poly{s: s, a: a})
			}
		}
	}
	return out
}

// isPrimitive reports whether the polynomial p of degree s over GF(2)
// (bit i is the coefficient of xⁱ) is primitive: x has order 2^s − 1
// modulo p.
func isPrimitive(p uint64, s int) bool {
	order := uint64(1)<<s - 1
	if polyPowX(order, p, s) != 1 {
		return false
	}
	// x^{order/q} ≠ 1 for every prime q dividing the order.
	for _, q := range primeFactors(order) {
		if polyPowX(order/q, p, s) == 1 {
			return false
		}
	}
	return true
}

// polyPowX returns x^e mod p over GF(2).
func polyPowX(e, p uint64, s int) uint64 {
	result, base := uint64(1), uint64(2)%p
	if s == 1 {
		base = 1 // x ≡ 1 mod (x+1)
	}
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			result = polyMulMod(result, base, p, s)
		}
		base = polyMulMod(base, base, p, s)
	}
	return result
}

func polyMulMod(a, b, p uint64, s int) uint64 {
	var r uint64
	for ; b > 0; b >>= 1 {
		if b&1 == 1 {
			r ^= a
		}
		a <<= 1
		if a>>s&1 == 1 {
			a ^= p
		}
	}
	return r
}

func primeFactors(n uint64) []uint64 {
	var out []uint64
	for q := uint64(2); q*q <= n; q++ {
		if n%q == 0 {
			out = append(out, q)
			for n%q == 0 {
				n /= q
			}
		}
	}
	if n > 1 {
		out = append(out, n)
	}
	return out
}

// Sobol generates points of a scrambled Sobol sequence in [0,1)^d.
// Scrambling is a random linear matrix scramble plus a random digital
// shift (as in SciPy's qmc.Sobol), which keeps the net's stratification
// while removing the unscrambled sequence's bias towards 0.
type Sobol struct {
	v     [][sobolBits]uint32 // scrambled direction numbers
	x     []uint32            // current point
	index uint64
}

// NewSobol returns a generator of d dimensions scrambled with seed.
func NewSobol(d int, seed uint64) (*Sobol, error) {
	s, err := newSobol(d)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x50b01c0ffee))
	for j := range d {
		// Lower-triangular binary matrix L with unit diagonal, applied to
		// every direction number (as a column of bits, most significant
		// first): v'_k = L·v_k.
		var rows [sobolBits]uint32
		for r := range sobolBits {
			bit := uint32(1) << (sobolBits - 1 - r)
			rows[r] = bit | (rng.Uint32() &^ (bit<<1 - 1) &^ bit) // bits above the diagonal only
		}
		for k := range sobolBits {
			var out uint32
			for r := range sobolBits {
				if bits.OnesCount32(rows[r]&s.v[j][k])&1 == 1 {
					out |= 1 << (sobolBits - 1 - r)
				}
			}
			s.v[j][k] = out
		}
		s.x[j] = rng.Uint32() // digital shift
	}
	return s, nil
}

// newSobol returns an unscrambled generator.
func newSobol(d int) (*Sobol, error) {
	if d < 1 || d > MaxSobolDims {
		return nil, fmt.Errorf("sobol: dimension %d outside 1…%d", d, MaxSobolDims)
	}
	all := directionNumbers()
	s := &Sobol{v: make([][sobolBits]uint32, d), x: make([]uint32, d)}
	copy(s.v, all[:d])
	return s, nil
}

// Next writes the next point into x, which must have length d. The first
// point of an unscrambled sequence is the origin; scrambled points are
// uniformly spread and reach 0 with probability 2⁻³².
func (s *Sobol) Next(x []float64) {
	if s.index > 0 {
		// Gray code: flip the direction of the lowest zero bit of index−1.
		c := bits.TrailingZeros64(^(s.index - 1))
		for j := range s.x {
			s.x[j] ^= s.v[j][c]
		}
	}
	s.index++
	for j := range s.x {
		x[j] = float64(s.x[j]) / (1 << sobolBits)
	}
}

// Sample returns the next n points as rows.
func (s *Sobol) Sample(n int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, len(s.x))
		s.Next(out[i])
	}
	return out
}
