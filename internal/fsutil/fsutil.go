// Package fsutil holds the file-system steps that more than one package of
// certgate needs to make a write durable.
package fsutil

import (
	"errors"
	"io/fs"
	"os"
)

// SyncDir makes a new directory entry (a file created or renamed in dir)
// durable. Some platforms cannot sync directories (fs.ErrInvalid); the file
// itself is synced by its writer, which is the best available there.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}
