package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certgate/certgate/internal/fsutil"
	"modernc.org/sqlite"
)

// backupStepPages is how many pages one backup step copies: 256 KiB with
// 4 KiB pages, small enough for a lively progress display, large enough
// that the per-step overhead does not matter. Tests lower it.
var backupStepPages int32 = 64

// Backup writes a consistent snapshot of the database at srcPath to
// dstPath, while other handles and processes keep reading and writing it.
//
// It uses SQLite's online backup API inside one read transaction on the
// source, so the copy is the database as of a single moment (WAL lets
// writers go on meanwhile), and the copy never restarts however busy the
// writers are. progress, when not nil, is called after every step with the
// pages copied so far and the total.
//
// The copy is written to a temporary file beside dstPath (mode 0600: it
// holds sealed keys), checked with PRAGMA integrity_check, synced, and only
// then given its name. dstPath must not exist: the error then wraps
// fs.ErrExist. srcPath must exist; Backup never creates or migrates it.
func Backup(ctx context.Context, srcPath, dstPath string, progress func(done, total int)) (err error) {
	src, err := filepath.Abs(srcPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	dst, err := filepath.Abs(dstPath)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if src == dst {
		return errors.New("sqlite: backup: the output is the database itself")
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("sqlite: backup: %s: %w", dst, fs.ErrExist)
	}

	// The temporary file gets its mode before SQLite opens it; SQLite keeps
	// an existing file's mode and gives its journal the same one.
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	tmp := filepath.Join(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-"+hex.EncodeToString(suffix))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	f.Close()
	defer func() {
		if err != nil {
			for _, ext := range []string{"", "-journal", "-wal", "-shm"} {
				_ = os.Remove(tmp + ext)
			}
		}
	}()

	if err := copyOnline(ctx, src, tmp, progress); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := integrityCheck(ctx, tmp); err != nil {
		return fmt.Errorf("sqlite: backup: the copy fails its check: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	// Link, unlike Rename, fails if dst appeared meanwhile, so a concurrent
	// file is never replaced.
	if err := os.Link(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("sqlite: backup: %s: %w", dst, fs.ErrExist)
		}
		// Some file systems have no hard links; check and rename instead.
		if _, serr := os.Lstat(dst); serr == nil {
			return fmt.Errorf("sqlite: backup: %s: %w", dst, fs.ErrExist)
		}
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("sqlite: backup: %w", err)
		}
	} else {
		_ = os.Remove(tmp)
	}
	if err := fsutil.SyncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// backuper is what modernc.org/sqlite's driver connection offers.
type backuper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
}

// copyOnline copies src into the empty file dst with the backup API.
func copyOnline(ctx context.Context, src, dst string, progress func(done, total int)) error {
	dsn := fileURI(src) + "?_pragma=" + fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()) + "&_pragma=query_only(1)"
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()

	// A read transaction held across the steps pins one snapshot. Without
	// it each step takes a fresh one, and SQLite restarts the copy whenever
	// another connection has written in between: with a busy server it
	// might never finish.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }()
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if n == 0 {
		return fmt.Errorf("%s is empty, not a certgate database", src)
	}

	return conn.Raw(func(dc any) error {
		b, ok := dc.(backuper)
		if !ok {
			return errors.New("the SQLite driver has no backup API")
		}
		bk, err := b.NewBackup(fileURI(dst))
		if err != nil {
			return err
		}
		for {
			more, err := bk.Step(backupStepPages)
			if err != nil {
				_ = bk.Finish()
				return err
			}
			if progress != nil {
				total := bk.PageCount()
				done := total - bk.Remaining()
				if !more {
					done = total
				}
				progress(done, total)
			}
			if !more {
				return bk.Finish()
			}
			if err := ctx.Err(); err != nil {
				_ = bk.Finish()
				return err
			}
		}
	})
}

// integrityCheck runs PRAGMA integrity_check on the file at path.
func integrityCheck(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?_pragma=query_only(1)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			return err
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		return fmt.Errorf("integrity_check: %s", strings.Join(msgs, "; "))
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
