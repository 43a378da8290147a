package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/seal"
)

// TestServeOnBusyPortCreatesNothing: a port in use must stop serve before
// it creates the database, the master key or the bootstrap credentials.
func TestServeOnBusyPortCreatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "data")
	code, stderr := runServe(t, nil, "--addr", ln.Addr().String(), "--database", "sqlite:"+filepath.Join(data, "certgate.db"))
	t.Logf("exit %d, stderr: %s", code, stderr)
	if code != 1 || !strings.Contains(stderr, "listen on "+ln.Addr().String()) {
		t.Errorf("exit %d, want 1 with a listen error", code)
	}
	if entries, err := os.ReadDir(data); err == nil {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("serve on a busy port left %s with %v", data, names)
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
}

// TestServeRefusesLooseMasterKeyFile: a master key others can read stops
// serve with the mode and the fix.
func TestServeRefusesLooseMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	// Kept apart from the database: a master.key beside a new database
	// would be refused for another reason (see checkFirstStart).
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if _, err := seal.CreateMasterKeyFile(keyFile, rand.Reader); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := runServe(t, nil, "--addr", "127.0.0.1:0", "--database", "sqlite:"+filepath.Join(dir, "certgate.db"),
		"--master-key-file", keyFile)
	t.Logf("exit %d, stderr: %s", code, stderr)
	if code != 1 || !strings.Contains(stderr, "mode 0644") || !strings.Contains(stderr, "chmod 600 "+keyFile) {
		t.Errorf("exit %d, want 1 naming mode 0644 and the chmod fix", code)
	}
}

// account create on a database whose file is gone but whose -wal is still
// there says to restore it (as serve does), not to start serve to create it.
func TestAccountCreateOnDeletedDatabaseWithWAL(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "certgate.db")
	if err := os.WriteFile(db+"-wal", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"account", "create", "--database", "sqlite:" + db}, &out, &errOut, func(string) string { return "" })
	msg := errOut.String()
	if code != 1 || !strings.Contains(msg, "restore it from a backup") || strings.Contains(msg, "once to create it") {
		t.Fatalf("exit %d: %s", code, msg)
	}
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("account create made %s: %v", db, err)
	}
}
