// Package testtool finds the outside programs that some tests need (openssl,
// the AWS CLI, python3 with boto3, PostgreSQL's server binaries). Without
// them a test skips with a message naming the program, so that `go test
// ./...` passes on a machine that has only Go. CI sets
// CERTGATE_REQUIRE_TOOLS=1, which turns each such skip into a failure, so
// that nothing skips there unnoticed.
package testtool

import (
	"net"
	"os"
	"os/exec"
	"testing"
)

// Required reports whether missing tools must fail tests instead of skipping.
func Required() bool { return os.Getenv("CERTGATE_REQUIRE_TOOLS") == "1" }

// Missing skips t, or fails it when tools are required, naming what is absent.
func Missing(t testing.TB, what string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s not found, and CERTGATE_REQUIRE_TOOLS=1 (run .ci/run, which installs it)", what)
	}
	t.Skipf("%s not found: skipping (install it to run this test)", what)
}

// LookPath returns the path of program, or skips (or fails) t.
func LookPath(t testing.TB, program string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		Missing(t, program)
	}
	return p
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// server the test starts that cannot be handed a listener (nginx,
// PostgreSQL).
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
