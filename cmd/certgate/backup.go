package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/certgate/certgate/store/sqlite"
)

const backupHelp = `Writes a consistent snapshot of the embedded SQLite database to FILE while servers keep running, using
SQLite's online backup API. The copy is checked (PRAGMA integrity_check) before it gets its name, and is
readable by its owner only: it holds the sealed private keys.

The backup is useless without the master key file(s) it was sealed under: keep those safe too, and
separately from the backups.

Restore:
  1. Stop every certgate server on the database.
  2. Copy the backup over the database file, and delete the database's -wal and -shm files
     (for example: cp FILE certgate-data/certgate.db && rm -f certgate-data/certgate.db-wal certgate-data/certgate.db-shm).
  3. Start the servers with the same master key file(s) as when the backup was taken.

PostgreSQL databases are backed up with PostgreSQL's own tools (pg_dump, pg_restore); this command
only prints how.`

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	c := newCmd("backup", "certgate backup --out FILE [--database sqlite:PATH] [--force]", backupHelp, stdout, stderr)
	// Only the database setting applies: a backup copies sealed data as it
	// is and needs no master key.
	if err := c.bind(getenv, databaseScope); err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	out := c.fs.String("out", "", "file to write the backup to (required)")
	force := c.fs.Bool("force", false, "replace --out if it exists")
	if code, ok := c.parse(args); !ok {
		return code
	}
	cfg := c.cfg
	if b, _ := schemeOf(cfg.Database); b.name == "postgres" {
		pwNote := ""
		if redactURL(cfg.Database) != cfg.Database {
			pwNote = "(with the password in place of xxxxx, or in PGPASSWORD or ~/.pgpass). "
		}
		fmt.Fprintf(stderr, "certgate backup: %s is a PostgreSQL database; back it up with PostgreSQL's own tools, for example\n"+
			"  pg_dump --format=custom --file=certgate.dump '%s'\n"+
			"and restore it with\n"+
			"  pg_restore --clean --if-exists --no-owner --dbname='%s' certgate.dump\n"+
			"%sNothing was done. Keep the master key file(s) too: the dump holds only sealed keys.\n",
			redactURL(cfg.Database), redactURL(cfg.Database), redactURL(cfg.Database), pwNote)
		return 1
	}
	src := sqlitePath(cfg.Database)
	if src == "" {
		return c.usageError("--database must be sqlite:PATH, got %q", redactURL(cfg.Database))
	}
	if *out == "" {
		return c.usageError("--out FILE is required")
	}
	if _, err := os.Stat(src); err != nil {
		return c.abort(fmt.Errorf("no database at %s: %v", src, err))
	}
	exists := false
	if _, err := os.Lstat(*out); err == nil {
		if !*force {
			return c.abort(fmt.Errorf("%s already exists (use --force to replace it)", *out))
		}
		exists = true
	}

	ctx, stop := notifyContext(ctx)
	defer stop()
	start := time.Now()
	target := *out
	if exists {
		// Write beside it and replace it only once the new copy is good.
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		target = filepath.Join(filepath.Dir(*out), "."+filepath.Base(*out)+".new-"+hex.EncodeToString(b))
	}
	pr := newProgress(stderr, "pages")
	pages := 0
	err := sqlite.Backup(ctx, src, target, func(done, total int) {
		pages = total
		pr.update(done, total)
	})
	pr.done()
	if err == nil && exists {
		if err = os.Rename(target, *out); err != nil {
			_ = os.Remove(target)
		}
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "certgate backup: interrupted; nothing was written")
			return 1
		}
		return c.abort(err)
	}
	size := int64(0)
	if fi, err := os.Stat(*out); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(stdout, "Backed up %s to %s: %d pages, %.1f MiB, in %v; integrity check ok.\n",
		src, *out, pages, float64(size)/(1<<20), time.Since(start).Round(time.Millisecond))
	return 0
}
