// Package optimize holds the mathematics of Bayesian optimization: a
// Gaussian-process surrogate with a Matérn-5/2 ARD kernel, the log expected
// improvement acquisition, its optimization, and scrambled Sobol designs.
//
// It does no I/O and keeps no global state: given the same inputs and seed
// it returns the same proposals, which is what lets a campaign be killed
// and resumed with the same history. Points live in the unit cube; the
// Space type maps a campaign's parameters to and from it.
package optimize
