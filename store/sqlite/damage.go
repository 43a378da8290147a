package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
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

// knownDamage returns the damage found earlier, without looking again.
func (db *DB) knownDamage() error {
	db.watch.mu.Lock()
	defer db.watch.mu.Unlock()
	if db.watch.damage != nil {
		return db.watch.damage
	}
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
	w.damage = damaged("The database file "+cause+" while in use; writes are refused until it is restored and the server restarted",
		fmt.Errorf("sqlite: database file %s %s while open", db.path, cause))
	return w.damage
}

func damaged(msg string, cause error) *certgate.Error {
	return &certgate.Error{Code: certgate.EUnavailable, Reason: store.ReasonDamaged, Message: msg,
		RetryAfter: damageRetryAfter, Err: cause}
}

// corrupt marks the handle damaged after SQLite reported the file corrupt
// or not a database (a file overwritten in place keeps its inode and size,
// so only SQLite itself can tell), and returns the damage. Like the
// others, it is sticky: answering from a corrupt file would serve garbage
// or fail at random, and only an operator can repair it.
func (db *DB) corrupt(err error) error {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.damage == nil {
		w.damage = damaged("The database file is corrupt; requests are refused until it is restored and the server restarted",
			fmt.Errorf("sqlite: database file %s is corrupt: %w", db.path, err))
	}
	return w.damage
}

// probeBeforeOpen refuses a file that SQLite would quietly treat as a new,
// empty database while a write-ahead log or shared-memory file beside it
// shows that a WAL database lived there: a zero-length file (SQLite then
// waits on a live server's locks to make it a WAL database, and deletes
// the log that server still holds) or a missing one. A database this
// package opened is never shorter than a page, and SQLite removes the -wal
// and -shm files when the last handle closes, so neither state is normal.
// It also refuses a length that cannot be an SQLite file. It only stats.
func probeBeforeOpen(path string) error {
	fi, err := os.Stat(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	var companions []string
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); err == nil {
			companions = append(companions, path+suffix)
		}
	}
	const advice = "restore it from a backup; if this database never held data, remove %s. Nothing was changed"
	found := strings.Join(companions, " and ")
	verb := "is"
	if len(companions) > 1 {
		verb = "are"
	}
	switch {
	case err != nil && len(companions) > 0:
		return fmt.Errorf("sqlite: open %s: the database file is missing but %s %s there: the file was deleted, perhaps while a server had it open; "+advice,
			path, found, verb, found)
	case err != nil:
		return nil // a new database
	case fi.Size() == 0 && len(companions) > 0:
		return fmt.Errorf("sqlite: open %s: the database file is empty but %s %s there: the file was truncated or replaced, perhaps while a server had it open; "+advice,
			path, found, verb, found)
	case fi.Size()%512 != 0:
		return fmt.Errorf("sqlite: open %s: the file is %d bytes, not a whole number of pages: it is truncated or not an SQLite database (nothing was changed)", path, fi.Size())
	}
	return nil
}
