package pgtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TestTwoDatabases checks that two URLs name two distinct, empty
// databases: a table made in one is absent from the other.
func TestTwoDatabases(t *testing.T) {
	start := time.Now()
	u1 := URL(t)
	t.Logf("first URL (server start included) in %v", time.Since(start))
	start = time.Now()
	u2 := URL(t)
	t.Logf("second URL in %v", time.Since(start))
	if u1 == u2 {
		t.Fatalf("URL returned %s twice", u1)
	}
	ctx := context.Background()
	c1, c2 := connect(t, u1), connect(t, u2)

	var n1, n2 string
	if err := c1.QueryRow(ctx, "SELECT current_database()").Scan(&n1); err != nil {
		t.Fatal(err)
	}
	if err := c2.QueryRow(ctx, "SELECT current_database()").Scan(&n2); err != nil {
		t.Fatal(err)
	}
	if n1 == n2 {
		t.Fatalf("both URLs lead to database %s", n1)
	}
	for i, c := range []*pgx.Conn{c1, c2} {
		var tables int
		if err := c.QueryRow(ctx,
			"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'").Scan(&tables); err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("database %d is not empty: %d tables", i+1, tables)
		}
	}
	if _, err := c1.Exec(ctx, "CREATE TABLE only_here (x INT); INSERT INTO only_here VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := c2.QueryRow(ctx, "SELECT to_regclass('only_here') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("a table created in the first database is visible in the second")
	}
}

// TestServer checks the admin URL and the durability settings that crash
// tests rely on.
func TestServer(t *testing.T) {
	admin, bin := Server(t)
	c := connect(t, admin)
	ctx := context.Background()
	for setting, want := range map[string]string{"fsync": "on", "synchronous_commit": "on"} {
		var got string
		// The admin pool turns synchronous_commit off for itself; this is a
		// plain connection.
		if err := c.QueryRow(ctx, "SHOW "+setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %s, want %s", setting, got, want)
		}
	}
	if os.Getenv(EnvDatabase) != "" {
		return
	}
	for _, p := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(bin, p)); err != nil {
			t.Errorf("bin dir %s: %v", bin, err)
		}
	}
}

// TestParallel creates databases from parallel tests at once.
func TestParallel(t *testing.T) {
	for i := range 4 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			c := connect(t, URL(t))
			if _, err := c.Exec(context.Background(), "CREATE TABLE t (x INT)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// helperEnv makes the test binary a child that starts a server, reports
// it, and waits to be killed.
const helperEnv = "CERTGATE_PGTEST_HELPER"

func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("helper for TestKilledBinaryLeavesNoServer")
	}
	c := connect(t, URL(t))
	var dir string
	if err := c.QueryRow(context.Background(), "SHOW data_directory").Scan(&dir); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(2)
	}
	admin, _ := Server(t)
	fmt.Printf("SERVER %s %s\n", dir, admin)
	time.Sleep(time.Minute)
	os.Exit(3)
}

// TestKilledBinaryLeavesNoServer kills (-9) a test binary that started a
// server without stopping it: the watchdog must stop the server and remove
// its directory.
func TestKilledBinaryLeavesNoServer(t *testing.T) {
	if os.Getenv(EnvDatabase) != "" {
		t.Skip("uses an external server")
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	Server(t) // skips here, not in the child, when the binaries are missing
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.v=false")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir, admin string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "SERVER" {
			dir, admin = f[1], f[2]
			break
		}
	}
	if dir == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not report a server")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// The server's port and directory.
	hostport := strings.TrimPrefix(admin, "postgres://certgate@")
	hostport, _, _ = strings.Cut(hostport, "/")
	base := filepath.Dir(dir)
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, statErr := os.Stat(base)
		conn, dialErr := net.DialTimeout("tcp", hostport, time.Second)
		if conn != nil {
			conn.Close()
		}
		if os.IsNotExist(statErr) && dialErr != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after kill -9: directory %s stat: %v; server %s dial: %v", base, statErr, hostport, dialErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
