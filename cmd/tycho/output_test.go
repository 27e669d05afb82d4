package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteOutputToPipe writes to a named pipe in place: replacing it by a
// regular file, as for a file, would break whatever reads it (or, for
// /dev/null, the machine).
func TestWriteOutputToPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(path)
		if err != nil {
			got <- err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	err := writeOutput(nil, path, func(w io.Writer) error {
		_, err := io.WriteString(w, "report\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report\n" {
		t.Errorf("read %q from the pipe, want %q", s, "report\n")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("after writing, %s is %v (%v), want still a named pipe", path, fi.Mode(), err)
	}
}

func TestWriteOutputToDirectory(t *testing.T) {
	err := writeOutput(nil, t.TempDir(), func(w io.Writer) error { return nil })
	if err == nil {
		t.Error("wrote to a directory without an error")
	}
}
