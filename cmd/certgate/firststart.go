package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// checkFirstStart refuses to take a missing or empty SQLite database for a
// first start while a master key or bootstrap credentials file, which only
// an earlier start leaves there, stands beside it. The database was lost
// (deleted, truncated, a wrong mount): starting afresh would overwrite the
// credentials and leave the old key with nothing to open.
func checkFirstStart(cfg *Config) error {
	p := sqlitePath(cfg.Database)
	if p == "" {
		return nil
	}
	state := ""
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		state = "does not exist"
	case err != nil:
		return nil // sqlite.Open reports it
	case fi.Size() == 0:
		if wi, err := os.Stat(p + "-wal"); err == nil && wi.Size() > 0 {
			return nil // sqlite.Open refuses this one, with its own message
		}
		state = "is empty"
	default:
		return nil
	}
	dir := filepath.Dir(p)
	var found []string
	seen := map[string]bool{}
	for _, f := range []string{filepath.Join(dir, "master.key"), filepath.Join(dir, "credentials"), cfg.BootstrapCredentialsFile} {
		if f == "" || seen[filepath.Clean(f)] {
			continue
		}
		seen[filepath.Clean(f)] = true
		if _, err := os.Lstat(f); err == nil {
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return nil
	}
	verb := "is"
	if len(found) > 1 {
		verb = "are"
	}
	list := strings.Join(found, " and ")
	return fmt.Errorf("database %s %s, but %s, left by an earlier start, %s beside it: this is not a first start, so nothing was created. "+
		"Restore the database from a backup (see certgate backup); to start a new installation on purpose, move %s away first",
		p, state, list, verb, list)
}
