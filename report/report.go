// Package report writes a campaign as one self-contained HTML document: the
// spec, a summary of the results, charts of the convergence, of the fitted
// model and, for several objectives, of the Pareto front, and a table of
// every experiment. The page needs no network: the charting library,
// Chart.js, is embedded into it, and a content security policy forbids
// every fetch.
//
// The embedded library is Chart.js v4.6.1 (dist/chart.umd.min.js of the npm
// package chart.js@4.6.1, MIT licensed; see assets/LICENSE-chartjs.md).
package report

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"tycho"
)

// ChartJSVersion is the version of the embedded Chart.js.
const ChartJSVersion = "4.6.1"

var (
	//go:embed assets/chart.umd.min.js
	chartJSSource string
	//go:embed assets/LICENSE-chartjs.md
	chartJSLicense string
	//go:embed assets/report.js
	appJSSource string
	//go:embed report.html.tmpl
	pageSource string
)

// chartJS is the library as placed in the page: the license as a comment,
// then the code without its source map reference.
var chartJS = scriptSafe("/*! Chart.js v" + ChartJSVersion + " license:\n" +
	strings.ReplaceAll(chartJSLicense, "*/", "* /") + "*/\n" +
	stripSourceMap(chartJSSource))

var appJS = scriptSafe(appJSSource)

var page = template.Must(template.New("report").Parse(pageSource))

// Data is everything a report shows. Campaign and Experiments are required;
// the model parts are optional (nil/empty → that section says "no model
// fitted").
type Data struct {
	Campaign    *tycho.Campaign
	Experiments []*tycho.Experiment // all experiments, ordered by Seq
	// Importance holds, per parameter, the GP's fitted lengthscale(s) in
	// unit-cube coordinates for the first objective; smaller = more
	// important. Shown as a bar chart of 1/lengthscale.
	Importance []Importance
	// Slices are 1-D slices of the model through the best point: for each
	// parameter, the posterior mean and a 95% band of an objective as that
	// parameter varies.
	Slices []Slice
	// Pareto, for campaigns with 2 or more objectives: indices into
	// Experiments of the non-dominated completed experiments, and the
	// hypervolume after each finished experiment (may be nil).
	Pareto      []int
	Hypervolume []float64
	// Generated is when the report was made; the current time if zero.
	Generated time.Time
}

// Importance is the fitted lengthscale of one parameter.
type Importance struct {
	Parameter   string
	Lengthscale float64
}

// Slice is the model's prediction of one objective as one parameter varies
// and the others stay at the best point.
type Slice struct {
	Objective, Parameter string
	X                    []float64 // for numeric parameters
	Labels               []string  // for categorical parameters (X then nil)
	Mean, Lower, Upper   []float64
}

// Write writes the report as one HTML document to w.
func Write(w io.Writer, d *Data) error {
	if err := validate(d); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	v, err := buildPage(d)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: render page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

// validate checks what Write needs of d before anything is rendered.
func validate(d *Data) error {
	if d == nil {
		return errors.New("no data")
	}
	if d.Campaign == nil {
		return errors.New("no campaign")
	}
	for i, e := range d.Experiments {
		if e == nil {
			return fmt.Errorf("experiment %d is nil", i)
		}
	}
	for _, i := range d.Pareto {
		if i < 0 || i >= len(d.Experiments) {
			return fmt.Errorf("pareto index %d out of range [0, %d)", i, len(d.Experiments))
		}
	}
	for _, s := range d.Slices {
		if err := validateSlice(s); err != nil {
			return fmt.Errorf("slice of %s over %s: %w", s.Objective, s.Parameter, err)
		}
	}
	return nil
}

func validateSlice(s Slice) error {
	n := len(s.X)
	if s.Labels != nil {
		if s.X != nil {
			return errors.New("both X and Labels are set")
		}
		n = len(s.Labels)
	}
	if len(s.Mean) != n || len(s.Lower) != n || len(s.Upper) != n {
		return fmt.Errorf("mean, lower and upper have %d, %d and %d values, want %d",
			len(s.Mean), len(s.Lower), len(s.Upper), n)
	}
	return nil
}

// stripSourceMap drops the trailing source map comment, which would point
// a browser's developer tools at a file the page does not have.
func stripSourceMap(js string) string {
	if i := strings.LastIndex(js, "\n//# sourceMappingURL="); i >= 0 {
		return js[:i+1]
	}
	return js
}

// scriptSafe makes trusted JavaScript safe to place inside a script
// element: "</script" and "<!--" would end or confuse the element. In
// JavaScript "<\/" and "<\!--" mean the same inside strings and regular
// expressions, the only places they can occur.
func scriptSafe(js string) string {
	r := strings.NewReplacer("</", `<\/`, "<!--", `<\!--`)
	return r.Replace(js)
}

// scriptHash returns the CSP source expression that allows exactly the
// inline script js.
func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// csp is the page's content security policy: nothing may be fetched, and
// only the two embedded scripts may run.
func csp() string {
	return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
		"script-src " + scriptHash(chartJS) + " " + scriptHash(appJS)
}
