package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// A database file can be deleted, replaced or truncated under a running
// server (an operator's rm, a restore over it, a full disk's cleanup).
// SQLite does not notice: its open descriptors keep the old inode, writes
// are acknowledged into a file no one will find again, and the next start
// sees an empty database. So the handle watches its path: before every
// write transaction and on Ping it compares the path's device, inode and
// size with what it saw before. It looks with stat only: opening and
// closing the file here would drop SQLite's POSIX locks on it.

// damageRetryAfter is the Retry-After of a refused write: repair needs an
// operator, so clients should not hammer.
const damageRetryAfter = 60 * time.Second

// watch is what a handle knows of its file.
type watch struct {
	mu      sync.Mutex
	dev     uint64
	ino     uint64
	hasID   bool
	maxSize int64
	damage  *certgate.Error // sticky once set: only a restart re-reads the file
}

// remember records the file's identity right after Open.
func (db *DB) remember() error {
	fi, err := os.Stat(db.path)
	if err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	db.watch.dev, db.watch.ino, db.watch.hasID = fileID(fi)
	db.watch.maxSize = fi.Size()
	return nil
}

// checkFile returns a *certgate.Error (EUnavailable, reason
// store.ReasonDamaged) once the file at the path is no longer the one the
// handle writes to, or is shorter than it was. The message names the cause
// and is safe to show; the cause (Err) names the path, for the log.
func (db *DB) checkFile() error {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.damage != nil {
		return w.damage
	}
	fi, err := os.Stat(db.path)
	var cause string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cause = "was deleted or renamed"
	case err != nil:
		// Unknown (a permission change on the directory, say): the file
		// may be fine, and refusing service on a guess is worse.
		return nil
	default:
		dev, ino, ok := fileID(fi)
		switch {
		case ok && w.hasID && (dev != w.dev || ino != w.ino):
			cause = "was replaced by another file"
		case fi.Size() < w.maxSize:
			cause = fmt.Sprintf("was truncated (from %d to %d bytes)", w.maxSize, fi.Size())
		case fi.Size()%512 != 0:
			cause = fmt.Sprintf("has a size (%d bytes) that is not a whole number of pages", fi.Size())
		default:
			w.maxSize = fi.Size()
			return nil
		}
	}
	w.damage = &certgate.Error{
		Code:       certgate.EUnavailable,
		Reason:     store.ReasonDamaged,
		Message:    "The database file " + cause + " while in use; writes are refused until it is restored and the server restarted",
		RetryAfter: damageRetryAfter,
		Err:        fmt.Errorf("sqlite: database file %s %s while open", db.path, cause),
	}
	return w.damage
}

// probeBeforeOpen refuses a file that SQLite would quietly treat as a new,
// empty database while a write-ahead log beside it still holds data: a
// zero-length file (SQLite then deletes the log, even one a live server
// holds, and waits on that server's locks first) or a missing one. It also
// refuses a length that cannot be an SQLite file. It only stats.
func probeBeforeOpen(path string) error {
	fi, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	var walSize int64
	if wi, werr := os.Stat(path + "-wal"); werr == nil {
		walSize = wi.Size()
	}
	switch {
	case err != nil && walSize > 0:
		return fmt.Errorf("sqlite: open %s: the database file is missing but its write-ahead log %s-wal holds %d bytes: "+
			"the file was deleted, perhaps while a server had it open; restore it from a backup (nothing was changed)", path, path, walSize)
	case err != nil:
		return nil // a new database
	case fi.Size() == 0 && walSize > 0:
		return fmt.Errorf("sqlite: open %s: the database file is empty but its write-ahead log %s-wal holds %d bytes: "+
			"the file was truncated or replaced, perhaps while a server had it open; restore it from a backup (nothing was changed)", path, path, walSize)
	case fi.Size()%512 != 0:
		return fmt.Errorf("sqlite: open %s: the file is %d bytes, not a whole number of pages: it is truncated or not an SQLite database (nothing was changed)", path, fi.Size())
	}
	return nil
}
