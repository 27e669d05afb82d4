// SnAr flow-reaction twin.
//
// Source: C. A. Hone, N. Holmes, G. R. Akien, R. A. Bourne and F. L. Muller,
// "Rapid multistep kinetic model generation from transient flow data",
// React. Chem. Eng., 2017, 2, 103–108, doi:10.1039/C6RE00109B, as implemented
// in the Summit benchmark library (github.com/sustainable-processes/summit),
// class SnarBenchmark in summit/benchmarks/snar.py. This file follows that
// Python code line by line; every constant below is copied from it.
//
// Reaction: 2,4-difluoronitrobenzene (1, DFNB) + pyrrolidine (2, PLDN) gives
// the ortho product (3, the desired one), the para product (4) and the
// bis-adduct (5). Species indices 0..4 below are 1..5 in that order.
//
// Kinetics (second order, plug flow, integrated over the residence time tau
// in minutes):
//
//	r0 = -(ka+kb)·C0·C1
//	r1 = -(ka+kb)·C0·C1 - kc·C1·C2 - kd·C1·C3
//	r2 =  ka·C0·C1 - kc·C1·C2
//	r3 =  ka·C0·C1 - kd·C1·C3   (sic: Summit uses ka here, not kb)
//	r4 =  kc·C1·C2 + kd·C1·C3
//
// with k = 0.6·kref·exp(-Ea/R·(1/T - 1/Tref)) in M^-1 min^-1 (0.6 converts
// 10^-2 M^-1 s^-1 to M^-1 min^-1), R = 8.314e-3 kJ K^-1 mol^-1,
// T = temperature + 273.71 K, Tref = 90 + 273.71 K (Summit's 273.71, sic), and
//
//	ka: kref 57.9,  Ea 33.3 kJ/mol
//	kb: kref 2.70,  Ea 35.3 kJ/mol
//	kc: kref 0.865, Ea 38.9 kJ/mol
//	kd: kref 1.63,  Ea 44.8 kJ/mol
//
// Before the rates are computed, C0 and C1 are set to zero when below 1e-6
// of their inlet values. Summit does this in place on the state array that
// scipy passes in, which also clips the accepted state at the end of each
// step; rk45 below passes the same arrays, so the clipping acts identically.
//
// Inlet: C0 = conc_dfnb, C1 = equiv_pldn·conc_dfnb, C2..C4 = 0 (M).
// Reactor volume V = 3 mL, total flow q = V/tau mL/min. (Summit also
// computes reservoir flows from reservoir concentrations 2.0 M and 4.2 M,
// but never uses them in either objective.)
//
// Objectives, from the outlet concentrations C (M), with molecular weights
// M = [159.09, 71.12, 210.21, 210.21, 261.33] g/mol and ethanol density
// rho = 0.789 g/mL:
//
//	STY = 6e4/1000·M2·C2·q/V kg m^-3 h^-1, floored at 1e-6
//	E   = (q·rho + 1e-3·Σ_{i≠2} Mi·Ci·q) / (1e-3·M2·C2·q),
//	      set to 1e3 if |C2| <= 1e-8 (numpy isclose to 0) and capped at 1e3.
//
// Summit integrates with scipy's solve_ivp(RK45) at its default tolerances
// (rtol 1e-3, atol 1e-6). rk45 here is the same Dormand–Prince 5(4) method
// with the same step-size control; SnAr runs it at tight tolerances
// (rtol 1e-10, atol 1e-13), so its values are the converged solution of
// Summit's equations and differ from Summit's outputs by Summit's own
// integration error (below 1e-4 relative at the points tested).

package twin

import (
	"errors"
	"fmt"
	"math"
)

// Input describes one input of a model (for SnAr, its name as in Summit),
// its bounds and its unit.
type Input struct {
	Name         string
	Lower, Upper float64
	Unit         string
}

// SnArInputs names the SnAr model's inputs in the order SnAr takes them,
// with Summit's bounds: residence time, equivalents of pyrrolidine, inlet
// concentration of 2,4-difluoronitrobenzene and reactor temperature.
var SnArInputs = []Input{
	{Name: "tau", Lower: 0.5, Upper: 2, Unit: "min"},
	{Name: "equiv_pldn", Lower: 1, Upper: 5, Unit: "equiv"},
	{Name: "conc_dfnb", Lower: 0.1, Upper: 0.5, Unit: "M"},
	{Name: "temperature", Lower: 30, Upper: 120, Unit: "°C"},
}

// Constants of Summit's SnarBenchmark.
const (
	snarVolume      = 3.0         // reactor volume, mL
	snarRhoEthanol  = 0.789       // g/mL at 25 °C
	snarR           = 8.314e-3    // kJ K^-1 mol^-1
	snarKelvin      = 273.71      // Summit's Celsius-to-kelvin offset (sic)
	snarTref        = 90 + 273.71 // reference temperature, K
	snarClip        = 1e-6        // reactants below this fraction of inlet are zero
	snarSTYFloor    = 1e-6        // minimum STY
	snarEFactorCap  = 1e3         // maximum E-factor, also used when no product forms
	snarZeroProduct = 1e-8        // |C2| at or below this counts as no product (np.isclose)

	snarRtol = 1e-10
	snarAtol = 1e-13
)

// snarMW holds the molecular weights (g/mol) of DFNB, pyrrolidine, the ortho
// product, the para product and the bis-adduct.
var snarMW = [5]float64{159.09, 71.12, 210.21, 210.21, 261.33}

// snarArrhenius holds kref (10^-2 M^-1 s^-1) and Ea (kJ/mol) of ka..kd.
var snarArrhenius = [4][2]float64{
	{57.9, 33.3},
	{2.70, 35.3},
	{0.865, 38.9},
	{1.63, 44.8},
}

// SnAr evaluates the SnAr model at residence time tau (min), equivalents of
// pyrrolidine equiv, inlet DFNB concentration conc (M) and temperature (°C).
// It returns the space-time yield sty (kg m^-3 h^-1, to be maximized) and
// the E-factor eFactor (to be minimized), computed as Summit's SnarBenchmark
// computes them. It returns an error if an input is not finite or lies
// outside its bounds in SnArInputs.
func SnAr(tau, equiv, conc, temperature float64) (sty, eFactor float64, err error) {
	if err := checkSnArInputs(tau, equiv, conc, temperature); err != nil {
		return 0, 0, err
	}
	c, err := snarOutlet(tau, equiv, conc, temperature, snarRtol, snarAtol)
	if err != nil {
		return 0, 0, err
	}
	sty, eFactor = snarObjectives(tau, c)
	return sty, eFactor, nil
}

// checkSnArInputs reports the first input that is not finite or lies
// outside its bounds.
func checkSnArInputs(x ...float64) error {
	for i, v := range x {
		in := SnArInputs[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("twin: snar: %s is %v", in.Name, v)
		}
		if v < in.Lower || v > in.Upper {
			return fmt.Errorf("twin: snar: %s = %g outside [%g, %g]", in.Name, v, in.Lower, in.Upper)
		}
	}
	return nil
}

// snarRates returns the rate constants ka..kd (M^-1 min^-1) at temperature
// (°C).
func snarRates(temperature float64) [4]float64 {
	t := temperature + snarKelvin
	var k [4]float64
	for i, a := range snarArrhenius {
		k[i] = 0.6 * a[0] * math.Exp(-a[1]/snarR*(1/t-1/snarTref))
	}
	return k
}

// snarOutlet integrates the SnAr kinetics over the residence time and
// returns the outlet concentrations (M) of the five species. It does not
// check the inputs' bounds.
func snarOutlet(tau, equiv, conc, temperature, rtol, atol float64) ([]float64, error) {
	c0 := []float64{conc, equiv * conc, 0, 0, 0}
	k := snarRates(temperature)
	ka, kb, kc, kd := k[0], k[1], k[2], k[3]
	f := func(_ float64, c, dc []float64) {
		for i := range 2 {
			if c[i] < snarClip*c0[i] {
				c[i] = 0 // in place, as Summit does
			}
		}
		r01 := c[0] * c[1]
		dc[0] = -(ka + kb) * r01
		dc[1] = -(ka+kb)*r01 - kc*c[1]*c[2] - kd*c[1]*c[3]
		dc[2] = ka*r01 - kc*c[1]*c[2]
		dc[3] = ka*r01 - kd*c[1]*c[3]
		dc[4] = kc*c[1]*c[2] + kd*c[1]*c[3]
	}
	return rk45(f, 0, tau, c0, rtol, atol)
}

// snarObjectives returns Summit's space-time yield and E-factor for outlet
// concentrations c at residence time tau.
func snarObjectives(tau float64, c []float64) (sty, eFactor float64) {
	q := snarVolume / tau
	sty = 6e4 / 1000 * snarMW[2] * c[2] * q / snarVolume
	if sty < snarSTYFloor {
		sty = snarSTYFloor
	}
	if math.Abs(c[2]) <= snarZeroProduct {
		return sty, snarEFactorCap
	}
	waste := 0.0
	for i, m := range snarMW {
		if i != 2 {
			waste += m * c[i] * q
		}
	}
	eFactor = (q*snarRhoEthanol + 1e-3*waste) / (1e-3 * snarMW[2] * c[2] * q)
	return sty, math.Min(eFactor, snarEFactorCap)
}

// odeFunc writes dy/dt at (t, y) into dydt. It may modify y in place.
type odeFunc func(t float64, y, dydt []float64)

// Dormand–Prince 5(4) tableau, as in scipy.integrate.RK45.
var (
	dpC = [6]float64{0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1}
	dpA = [6][5]float64{
		{},
		{1.0 / 5},
		{3.0 / 40, 9.0 / 40},
		{44.0 / 45, -56.0 / 15, 32.0 / 9},
		{19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
		{9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
	}
	dpB = [6]float64{35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}
	// dpE is the difference between the 4th- and 5th-order weights over
	// the six stages and the FSAL stage.
	dpE = [7]float64{-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40}
)

// Step-size control of scipy's RK45.
const (
	rkSafety    = 0.9
	rkMinFactor = 0.2
	rkMaxFactor = 10
	rkMaxSteps  = 1_000_000
)

// errStepTooSmall reports that the adaptive step fell below the spacing of
// floating-point numbers near t.
var errStepTooSmall = errors.New("twin: rk45: step size too small")

// rk45 integrates y' = f(t, y) from t0 to t1 > t0 with the Dormand–Prince
// 5(4) pair and returns y(t1). Its step-size control (initial step, RMS
// error norm with scale atol + rtol·max(|y|, |y_new|), safety 0.9, factors
// in [0.2, 10]) mirrors scipy.integrate.RK45, and like scipy it evaluates f
// at the accepted new state in place (first-same-as-last).
func rk45(f odeFunc, t0, t1 float64, y0 []float64, rtol, atol float64) ([]float64, error) {
	n := len(y0)
	y := append([]float64(nil), y0...)
	if !(t1 > t0) {
		return y, nil
	}
	var k [7][]float64
	for i := range k {
		k[i] = make([]float64, n)
	}
	yNew, tmp := make([]float64, n), make([]float64, n)
	f(t0, y, k[0])
	h := rkInitialStep(f, t0, t1, y, k[0], rtol, atol, tmp)
	t := t0
	for step := 0; t < t1; step++ {
		if step == rkMaxSteps {
			return nil, fmt.Errorf("twin: rk45: more than %d steps", rkMaxSteps)
		}
		var err error
		if t, h, err = rkStep(f, t, t1, h, y, yNew, tmp, &k, rtol, atol); err != nil {
			return nil, err
		}
		copy(y, yNew)
		k[0], k[6] = k[6], k[0]
	}
	return y, nil
}

// rkStep takes one accepted step from (t, y) with trial size h, writing the
// new state into yNew and its derivative into k[6]. It returns the new time
// and the proposed next step size.
func rkStep(f odeFunc, t, t1, h float64, y, yNew, tmp []float64, k *[7][]float64, rtol, atol float64) (float64, float64, error) {
	minStep := 10 * (math.Nextafter(t, math.Inf(1)) - t)
	rejected := false
	for {
		if h < minStep || math.IsNaN(h) {
			return t, h, errStepTooSmall
		}
		tNew := math.Min(t+h, t1)
		h = tNew - t
		rkStages(f, t, h, y, yNew, tmp, k)
		en := rkErrorNorm(k, h, y, yNew, rtol, atol)
		if en < 1 {
			factor := float64(rkMaxFactor)
			if en > 0 {
				factor = math.Min(rkMaxFactor, rkSafety*math.Pow(en, -0.2))
			}
			if rejected {
				factor = math.Min(1, factor)
			}
			return tNew, h * factor, nil
		}
		h *= math.Max(rkMinFactor, rkSafety*math.Pow(en, -0.2))
		rejected = true
	}
}

// rkStages evaluates the Dormand–Prince stages k[1..5] from k[0], the
// 5th-order solution yNew and its derivative k[6].
func rkStages(f odeFunc, t, h float64, y, yNew, tmp []float64, k *[7][]float64) {
	for s := 1; s < 6; s++ {
		for j := range y {
			dy := 0.0
			for i := range s {
				dy += dpA[s][i] * k[i][j]
			}
			tmp[j] = y[j] + h*dy
		}
		f(t+dpC[s]*h, tmp, k[s])
	}
	for j := range y {
		dy := 0.0
		for i, b := range dpB {
			dy += b * k[i][j]
		}
		yNew[j] = y[j] + h*dy
	}
	f(t+h, yNew, k[6])
}

// rkErrorNorm returns the RMS norm of the embedded error estimate scaled by
// atol + rtol·max(|y|, |yNew|).
func rkErrorNorm(k *[7][]float64, h float64, y, yNew []float64, rtol, atol float64) float64 {
	sum := 0.0
	for j := range y {
		e := 0.0
		for i, w := range dpE {
			e += w * k[i][j]
		}
		scale := atol + rtol*math.Max(math.Abs(y[j]), math.Abs(yNew[j]))
		sum += (e * h / scale) * (e * h / scale)
	}
	return math.Sqrt(sum / float64(len(y)))
}

// rkInitialStep chooses the first step size as scipy's select_initial_step
// does for an error estimator of order 4. It uses tmp as scratch.
func rkInitialStep(f odeFunc, t0, t1 float64, y0, f0 []float64, rtol, atol float64, tmp []float64) float64 {
	n := len(y0)
	span := t1 - t0
	scale := make([]float64, n)
	for j := range y0 {
		scale[j] = atol + math.Abs(y0[j])*rtol
	}
	d0, d1 := rmsScaled(y0, scale), rmsScaled(f0, scale)
	h0 := 1e-6
	if d0 >= 1e-5 && d1 >= 1e-5 {
		h0 = 0.01 * d0 / d1
	}
	h0 = math.Min(h0, span)
	for j := range y0 {
		tmp[j] = y0[j] + h0*f0[j]
	}
	f1 := make([]float64, n)
	f(t0+h0, tmp, f1)
	for j := range f1 {
		f1[j] -= f0[j]
	}
	d2 := rmsScaled(f1, scale) / h0
	var h1 float64
	if d1 <= 1e-15 && d2 <= 1e-15 {
		h1 = math.Max(1e-6, h0*1e-3)
	} else {
		h1 = math.Pow(0.01/math.Max(d1, d2), 1.0/5)
	}
	return math.Min(math.Min(100*h0, h1), span)
}

// rmsScaled returns the RMS norm of x[i]/scale[i].
func rmsScaled(x, scale []float64) float64 {
	sum := 0.0
	for i, v := range x {
		sum += (v / scale[i]) * (v / scale[i])
	}
	return math.Sqrt(sum / float64(len(x)))
}
