//go:build !unix

package pgtest

import "os/exec"

// account is unused here: the private server needs Unix process control.
type account struct{}

func serverAccount() (*account, error) {
	return nil, &missingError{"a Unix system to run a private PostgreSQL server on (set " + EnvDatabase + " instead)"}
}

func setProcAttr(*exec.Cmd, *account) {}

func own(string, *account) error { return nil }

func reachable(string, *account) bool { return true }
