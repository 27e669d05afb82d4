package main_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	main "tycho/cmd/tycho"
)

// The test binary doubles as the tycho binary: run with TYCHO_TEST_MAIN=1
// it executes the command line instead of the tests, so end-to-end tests
// can start, kill and resume real tycho processes without a build step.
func TestMain(m *testing.M) {
	if os.Getenv("TYCHO_TEST_MAIN") == "1" {
		// As main does: SIGINT and SIGTERM stop the command gracefully.
		ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		os.Exit(main.Main(ctx, os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tychoCmd returns a command that runs tycho with args on the data
// directory dir.
func tychoCmd(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TYCHO_TEST_MAIN=1", "TYCHO_DATA="+dir)
	return cmd
}

// runTycho runs tycho in process and returns its exit code and output.
func runTycho(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	t.Setenv("TYCHO_DATA", dir)
	code := main.Main(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFile writes a file under dir and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// repoRoot returns the repository's root directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func TestUsage(t *testing.T) {
	code, _, stderr := runTycho(t, t.TempDir())
	if code != 2 || !strings.Contains(stderr, "Usage:") {
		t.Errorf("tycho with no args: code %d, stderr %q; want 2 and usage", code, stderr)
	}
	code, _, stderr = runTycho(t, t.TempDir(), "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: code %d, stderr %q", code, stderr)
	}
}
