package optimize

import "math"

// Constants of the log-h function of Ament et al. (2023).
var (
	logSqrt2Pi  = 0.5 * math.Log(2*math.Pi)
	logSqrtPi2  = 0.5 * math.Log(math.Pi/2)
	invSqrtEps  = 1 / math.Sqrt(0x1p-52)
	invSqrt2    = 1 / math.Sqrt2
	invSqrtPi   = 1 / math.Sqrt(math.Pi)
	erfcxCutoff = 25.0
)

// logEI above is log expected improvement over best for a posterior mean
// and standard deviation, for maximization. It is computed as
// log h(z) + log σ with z = (mean − best)/σ and h(z) = φ(z) + zΦ(z), stable
// for any z (Ament et al. 2023, "Unexpected improvements to expected
// improvement"), so that the acquisition keeps a useful gradient far from
// the incumbent where plain EI underflows to zero.

// logH returns log(φ(z) + zΦ(z)).
func logH(z float64) float64 {
	switch {
	case z > -1:
		return math.Log(phi(z) + z*bigPhi(z))
	case z > -invSqrtEps:
		// h(z) = φ(z)·(1 − |z|·√(π/2)·erfcx(|z|/√2)).
		return -z*z/2 - logSqrt2Pi + log1mexp(math.Log(erfcx(-z*invSqrt2)*-z)+logSqrtPi2)
	default:
		return -z*z/2 - logSqrt2Pi - 2*math.Log(-z)
	}
}

// dLogH returns the derivative of logH at z, Φ(z)/h(z).
func dLogH(z float64) float64 {
	if z > -1 {
		return bigPhi(z) / (phi(z) + z*bigPhi(z))
	}
	// log Φ(z) = log φ(z) + log(√(π/2)·erfcx(−z/√2)).
	logPhi := -z*z/2 - logSqrt2Pi + logSqrtPi2 + math.Log(erfcx(-z*invSqrt2))
	return math.Exp(logPhi - logH(z))
}

func phi(z float64) float64    { return math.Exp(-z*z/2 - logSqrt2Pi) }
func bigPhi(z float64) float64 { return 0.5 * math.Erfc(-z*invSqrt2) }

// erfcx returns the scaled complementary error function exp(x²)·erfc(x)
// for x ≥ 0, without overflow for large x.
func erfcx(x float64) float64 {
	if x < erfcxCutoff {
		return math.Exp(x*x) * math.Erfc(x)
	}
	// Asymptotic series; at x ≥ 25 five terms are exact to double precision.
	t := 1 / (2 * x * x)
	s := 1 - t*(1-3*t*(1-5*t*(1-7*t)))
	return invSqrtPi / x * s
}

// log1mexp returns log(1 − eˣ) for x < 0, accurately on both sides of −log 2.
func log1mexp(x float64) float64 {
	if x > -math.Ln2 {
		return math.Log(-math.Expm1(x))
	}
	return math.Log1p(-math.Exp(x))
}

// logPhi returns log Φ(z), accurate far into the lower tail.
func logPhi(z float64) float64 {
	if z > -5 {
		return math.Log(bigPhi(z))
	}
	return -z*z/2 - logSqrt2Pi + logSqrtPi2 + math.Log(erfcx(-z*invSqrt2))
}

// logPhiDensity returns log φ(z).
func logPhiDensity(z float64) float64 { return -z*z/2 - logSqrt2Pi }

// logSumExp returns log Σ exp(v).
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, 0) {
		return m
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}
