package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// TestDamagedFileIsNoticed deletes, replaces or truncates the database file
// under an open handle. The handle must then refuse writes and fail Ping
// with EUnavailable naming the cause, instead of acknowledging writes that
// a restart would lose; a second Open must fail at once with a clear
// message (not wait on the first handle's locks) and leave the write-ahead
// log that the first handle holds where it is.
func TestDamagedFileIsNoticed(t *testing.T) {
	for _, c := range []struct {
		name     string
		damage   func(t *testing.T, path string)
		cause    string // in the handle's error
		reopen   string // in a second Open's error; "" when the new file is a valid database
		keepsWAL bool
	}{
		{"deleted", func(t *testing.T, p string) { must(t, os.Remove(p)) }, "was deleted", "the database file is missing", true},
		{"truncated", func(t *testing.T, p string) { must(t, os.Truncate(p, 0)) }, "was truncated", "the database file is empty", true},
		{"cut mid-page", func(t *testing.T, p string) { must(t, os.Truncate(p, 5000)) }, "not a whole number of pages", "not a whole number of pages", true},
		{"replaced", func(t *testing.T, p string) {
			other := filepath.Join(filepath.Dir(p), "other.db")
			mustOpen(t, other).Close()
			must(t, os.Rename(other, p))
		}, "was replaced", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "db.sqlite")
			a := mustOpen(t, path)
			defer a.Close()
			for i := range 50 {
				if _, err := a.PutMetaIfAbsent(ctx, fmt.Sprint("k", i), strings.Repeat("v", 500)); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Ping(ctx); err != nil {
				t.Fatalf("Ping before: %v", err)
			}
			// Move the pages into the main file, so that reads need it.
			if _, err := a.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				t.Fatal(err)
			}
			a.r.SetMaxIdleConns(0) // and no read connection keeps a page cache
			a.r.SetMaxIdleConns(readConns)
			walBefore, _ := os.Stat(path + "-wal")
			c.damage(t, path)

			_, err := a.PutMetaIfAbsent(ctx, "after", "v")
			checkDamage(t, "write after damage", err, c.cause)
			checkDamage(t, "Ping after damage", a.Ping(ctx), c.cause)
			// Reads may still be served from the open file; if one fails,
			// it must report the damage rather than a corruption error.
			for i := range 50 {
				if _, err := a.GetMeta(ctx, fmt.Sprint("k", i)); err != nil {
					checkDamage(t, "read after damage", err, c.cause)
					break
				}
			}

			b, err := Open(ctx, path)
			if c.reopen == "" {
				if err != nil {
					t.Fatalf("Open of the replacement: %v", err)
				}
				b.Close()
			} else {
				if err == nil {
					b.Close()
					t.Fatal("a second Open of the damaged file succeeded")
				}
				t.Logf("second Open: %v", err)
				if !strings.Contains(err.Error(), c.reopen) {
					t.Errorf("second Open: %v, want it to say %q", err, c.reopen)
				}
			}
			if c.keepsWAL {
				walAfter, err := os.Stat(path + "-wal")
				if err != nil || !os.SameFile(walBefore, walAfter) {
					t.Errorf("the live handle's write-ahead log was removed or replaced (%v)", err)
				}
			}
			// Still refused: the damage is sticky.
			_, err = a.PutMetaIfAbsent(ctx, "later", "v")
			checkDamage(t, "later write", err, c.cause)
		})
	}
}

func checkDamage(t *testing.T, what string, err error, cause string) {
	t.Helper()
	e := certgate.AsError(err)
	if e == nil || e.Code != certgate.EUnavailable || e.Reason != store.ReasonDamaged || !strings.Contains(e.Message, cause) {
		t.Errorf("%s: %v, want EUnavailable database_damaged saying %q", what, err, cause)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestCorruptFileIsNoticed overwrites pages of the database in place (same
// inode, same size: only SQLite can tell). The first request that meets the
// corruption reports EUnavailable/ReasonDamaged, not an internal error, and
// from then on the handle refuses reads, writes and Ping alike.
func TestCorruptFileIsNoticed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	a := mustOpen(t, path)
	defer a.Close()
	for i := range 200 {
		if _, err := a.PutMetaIfAbsent(ctx, fmt.Sprint("k", i), strings.Repeat("v", 500)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	a.r.SetMaxIdleConns(0) // no read connection keeps a page cache
	a.r.SetMaxIdleConns(readConns)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 4096*20)
	for i := range junk {
		junk[i] = byte(i*7 + 3)
	}
	if _, err := f.WriteAt(junk, 4096*2); err != nil {
		t.Fatal(err)
	}
	f.Close()

	var first error
	for i := range 200 {
		if _, first = a.GetMeta(ctx, fmt.Sprint("k", i)); first != nil {
			break
		}
	}
	e := certgate.AsError(first)
	if e == nil || e.Code != certgate.EUnavailable || e.Reason != store.ReasonDamaged || !strings.Contains(e.Message, "corrupt") {
		t.Fatalf("reading a corrupt file: %v, want EUnavailable %s naming the corruption", first, store.ReasonDamaged)
	}
	if err := a.Ping(ctx); certgate.ErrorCode(err) != certgate.EUnavailable {
		t.Errorf("Ping after corruption: %v", err)
	}
	if _, err := a.PutMetaIfAbsent(ctx, "after", "v"); certgate.ErrorCode(err) != certgate.EUnavailable {
		t.Errorf("a write after corruption: %v", err)
	}
}

// Closing a handle that found its file damaged leaves the write-ahead log
// alone: SQLite's close would checkpoint it into the truncated file and
// delete it, losing the writes only the log still holds.
func TestCloseAfterDamageKeepsWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	a := mustOpen(t, path)
	for i := range 20 {
		if _, err := a.PutMetaIfAbsent(ctx, fmt.Sprint("k", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	must(t, os.Truncate(path, 0))
	if err := a.Ping(ctx); certgate.ErrorCode(err) != certgate.EUnavailable {
		t.Fatalf("Ping after truncation: %v", err)
	}
	walBefore, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	walAfter, err := os.Stat(path + "-wal")
	if err != nil || walAfter.Size() != walBefore.Size() {
		t.Fatalf("after Close, the WAL is %v (%v); it was %d bytes", walAfter, err, walBefore.Size())
	}
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatalf("Close wrote %d bytes into the truncated file", fi.Size())
	}
}
