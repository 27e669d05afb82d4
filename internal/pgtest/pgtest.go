// Package pgtest gives tests a fresh, empty PostgreSQL database.
//
// The databases are created on the server named by the environment
// variable TYCHO_TEST_POSTGRES (a connection string to a database the
// role may create databases from, as CI sets it), or else on a throwaway
// cluster that pgtest starts from the PostgreSQL binaries it finds
// (initdb and pg_ctl on PATH, or under /usr/lib/postgresql). With
// neither, the tests that need a database are skipped with a message
// saying so.
//
// A package that calls DSN should run its tests through Main, so that one
// throwaway cluster serves all its tests and is stopped when they end:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// Without Main, each test that calls DSN starts a cluster of its own.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the environment variable that gives the server to test on.
const Env = "TYCHO_TEST_POSTGRES"

var (
	mu     sync.Mutex
	inMain bool
	shared *cluster // the cluster started under Main, if any
)

// Main runs the tests of m and stops the throwaway cluster, if one was
// started, before it exits with their status.
func Main(m *testing.M) {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
		shared = nil
	}
	mu.Unlock()
	os.Exit(code)
}

// DSN returns a connection string to a new, empty database that is
// dropped when tb ends. Each call creates another database, so tests are
// isolated from one another.
func DSN(tb testing.TB) string {
	tb.Helper()
	admin := adminDSN(tb)
	name := "tycho_test_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := exec1(ctx, admin, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE ends any connection a test left open.
		if err := exec1(ctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Logf("pgtest: drop database %s: %v", name, err)
		}
	})
	dsn, err := withDatabase(admin, name)
	if err != nil {
		tb.Fatalf("pgtest: %s: %v", Env, err)
	}
	return dsn
}

// adminDSN returns a connection string from which databases may be
// created: the environment's, or a throwaway cluster's.
func adminDSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv(Env); dsn != "" {
		return dsn
	}
	bin := findBin()
	if bin == "" {
		tb.Skipf("pgtest: no PostgreSQL: set %s to a server's connection string, or install PostgreSQL (initdb and pg_ctl)", Env)
	}
	mu.Lock()
	defer mu.Unlock()
	if inMain {
		if shared == nil {
			c, err := start(bin)
			if err != nil {
				tb.Fatalf("pgtest: %v", err)
			}
			shared = c
		}
		return shared.dsn
	}
	tb.Log("pgtest: starting a PostgreSQL cluster for this test alone; call pgtest.Main from TestMain to share one")
	c, err := start(bin)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := c.stop(); err != nil {
			tb.Logf("pgtest: %v", err)
		}
	})
	return c.dsn
}

// exec1 runs one statement on a connection of its own.
func exec1(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns dsn naming database name instead of its own. The
// name needs no quoting.
func withDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path, u.RawPath = "/"+name, ""
		return u.String(), nil
	}
	// In key=value form the last setting of a key wins.
	return dsn + " dbname=" + name, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// findBin returns the directory holding initdb and pg_ctl, or "".
func findBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if p, err := filepath.EvalSymlinks(p); err == nil {
			dir := filepath.Dir(p)
			if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
				return dir
			}
		}
	}
	// Debian keeps them out of PATH, one directory per major version.
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir
		}
	}
	return ""
}

// version returns the major version in /usr/lib/postgresql/VERSION/bin.
func version(dir string) float64 {
	v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
	return v
}

// cluster is a PostgreSQL cluster in a temporary directory, listening on
// a loopback port, with trust authentication for the role postgres.
type cluster struct {
	bin, dir string
	owner    *user.User // whom the server runs as, when pgtest runs as root
	dsn      string
}

// start creates and starts a cluster. initdb refuses to run as root, so
// as root the cluster belongs to the user postgres.
func start(bin string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "tycho-pgtest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, dir: dir}
	if os.Geteuid() == 0 {
		if c.owner, err = user.Lookup("postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, initdb needs the user postgres: %v", err)
		}
		uid, _ := strconv.Atoi(c.owner.Uid)
		gid, _ := strconv.Atoi(c.owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Another process may take the free port before the server does, so
	// try a few.
	for try := 0; ; try++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		// A throwaway cluster need not survive a crash: skip the fsyncs.
		opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off", port, dir)
		out, err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "postgres.log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			c.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return c, nil
		}
		if try == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "postgres.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
		}
	}
}

// stop stops the server at once and removes its files.
func (c *cluster) stop() error {
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return os.RemoveAll(c.dir)
}

// run runs one of the PostgreSQL programs, as the cluster's owner.
func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	name := filepath.Join(c.bin, prog)
	if c.owner != nil {
		if runuser, err := exec.LookPath("runuser"); err == nil {
			args = append([]string{"-u", c.owner.Username, "--", name}, args...)
			name = runuser
		} else {
			cmd := shellQuote(name)
			for _, a := range args {
				cmd += " " + shellQuote(a)
			}
			args = []string{c.owner.Username, "-s", "/bin/sh", "-c", cmd}
			name = "su"
		}
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir // the owner may not be able to enter the test's directory
	return cmd.CombinedOutput()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// freePort returns a loopback port no one listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
