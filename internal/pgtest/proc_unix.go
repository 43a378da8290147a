//go:build unix

package pgtest

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the system user the server runs as when we are root.
type account struct{ uid, gid uint32 }

// serverAccount returns nil (the current user) unless we are root, which
// initdb and pg_ctl refuse to run as; then it is the "postgres" user that
// server packages create.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, &missingError{`a "postgres" system user to run PostgreSQL as (initdb refuses to run as root)`}
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, &missingError{`a "postgres" system user with numeric ids`}
	}
	return &account{uid: uint32(uid), gid: uint32(gid)}, nil
}

// setProcAttr runs cmd as a (when set), in a process group of its own, so
// that a Ctrl-C aimed at the test binary reaches neither the server nor the
// watchdog that cleans up after it.
func setProcAttr(cmd *exec.Cmd, a *account) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if a != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.uid, Gid: a.gid}
	}
}

// own gives dir to a, which initdb needs: the data directory must belong to
// the server's user.
func own(dir string, a *account) error {
	if a == nil {
		return nil
	}
	return os.Chown(dir, int(a.uid), int(a.gid))
}

// reachable reports whether a can traverse every directory down to dir
// (root's TMPDIR may be under a private home directory).
func reachable(dir string, a *account) bool {
	if a == nil {
		return true
	}
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		mode := fi.Mode().Perm()
		switch {
		case ok && st.Uid == a.uid:
			if mode&0o100 == 0 {
				return false
			}
		case ok && st.Gid == a.gid:
			if mode&0o010 == 0 {
				return false
			}
		case mode&0o001 == 0:
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}
