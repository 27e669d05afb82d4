package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"tycho/campaign"
)

// progressBar shows a campaign's progress: a redrawn bar with experiments
// done, the best so far and an ETA on a terminal, plain log lines
// otherwise.
type progressBar struct {
	mu      sync.Mutex
	w       io.Writer
	tty     bool
	quiet   bool
	width   int
	start   time.Time
	first   int // experiments done when this process started
	started bool
	drawn   bool
}

func newProgressBar(w io.Writer, quiet bool) *progressBar {
	b := &progressBar{w: w, quiet: quiet, width: 80, start: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b.tty = true
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 40 {
			b.width = width
		}
	}
	return b
}

// Update draws progress p; it is the runner's Progress callback.
func (b *progressBar) Update(p campaign.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.quiet {
		return
	}
	if !b.started {
		b.started, b.first, b.start = true, p.Done-1, time.Now()
	}
	best := "-"
	if p.Best != nil {
		v, _ := p.Campaign.Spec.Value(p.Best)
		best = fmt.Sprintf("%s=%s (#%d)", p.Campaign.Spec.Objectives[0].Name, formatFloat(v), p.Best.Seq)
	}
	eta := "?"
	if n := p.Done - b.first; n > 0 {
		per := time.Since(b.start) / time.Duration(n)
		eta = (per * time.Duration(p.Total-p.Done)).Round(time.Second).String()
	}
	if !b.tty {
		last := ""
		if e := p.Last; e != nil {
			last = fmt.Sprintf(" #%d %s", e.Seq, e.State)
			if v, ok := p.Campaign.Spec.Value(e); ok {
				last += " " + formatFloat(v)
			}
		}
		fmt.Fprintf(b.w, "experiment %d/%d%s; best %s; eta %s\n", p.Done, p.Total, last, best, eta)
		return
	}
	text := fmt.Sprintf(" %d/%d  best %s  ETA %s", p.Done, p.Total, best, eta)
	barWidth := max(b.width-len(text)-3, 10)
	filled := barWidth * p.Done / max(p.Total, 1)
	bar := "[" + strings.Repeat("█", filled) + strings.Repeat("·", barWidth-filled) + "]"
	fmt.Fprintf(b.w, "\r\x1b[K%s%s", bar, text)
	b.drawn = true
}

// Finish ends the bar's line.
func (b *progressBar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

// LogWriter returns a writer for log lines that keeps them from
// overwriting the bar.
func (b *progressBar) LogWriter() io.Writer { return logWriter{b} }

type logWriter struct{ b *progressBar }

func (l logWriter) Write(p []byte) (int, error) {
	l.b.mu.Lock()
	defer l.b.mu.Unlock()
	if l.b.drawn {
		fmt.Fprint(l.b.w, "\r\x1b[K")
		l.b.drawn = false
	}
	return l.b.w.Write(p)
}
