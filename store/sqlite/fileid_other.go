//go:build !unix

package sqlite

import "os"

// fileID is unknown here; deletion and truncation are still noticed.
func fileID(os.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
