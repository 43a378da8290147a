// Package seal encrypts secrets at rest — certificate private keys and
// access-key secrets — with envelope encryption: each record gets its own
// random AES-256-GCM data key, and that data key is wrapped (AES-256-GCM)
// under a master key that lives outside the database. A stolen database is
// useless without the master key file, and rotating the master key only
// needs the old key kept loaded until records are re-sealed.
//
// Random sources are passed in; nothing here reads global state other than
// using crypto/rand.Reader as a documented default.
package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/certgate/certgate/internal/fsutil"
)

// KeySize is the size of a master key in bytes (AES-256).
const KeySize = 32

// MasterKey is a 256-bit key that wraps data keys. Its ID names it in
// records and error messages without revealing anything about the key.
type MasterKey struct {
	id  string
	key [KeySize]byte
}

// idLabel is the HMAC message that derives key ids; the key is the HMAC key,
// so the id is a one-way function of it.
const idLabel = "certgate master key id"

func newMasterKey(b []byte) (*MasterKey, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("seal: master key must be %d bytes, got %d", KeySize, len(b))
	}
	k := &MasterKey{}
	copy(k.key[:], b)
	if k.key == [KeySize]byte{} {
		// An all-zero key is a placeholder someone forgot to replace.
		return nil, errors.New("seal: master key is all zeros")
	}
	mac := hmac.New(sha256.New, k.key[:])
	mac.Write([]byte(idLabel))
	k.id = "mk-" + hex.EncodeToString(mac.Sum(nil))[:16]
	return k, nil
}

// ID returns "mk-" and the first 16 hex digits of
// HMAC-SHA256(key, "certgate master key id").
func (k *MasterKey) ID() string { return k.id }

// String returns the id, so that printing a key by mistake leaks nothing.
func (k *MasterKey) String() string { return k.id }

// GoString is like String, covering %#v.
func (k *MasterKey) GoString() string { return "seal.MasterKey(" + k.id + ")" }

// Encode returns the key as standard base64, the form ParseMasterKey reads
// and key files hold.
func (k *MasterKey) Encode() string { return base64.StdEncoding.EncodeToString(k.key[:]) }

// NewMasterKey generates a master key from random.
func NewMasterKey(random io.Reader) (*MasterKey, error) {
	if random == nil {
		return nil, errors.New("seal: NewMasterKey: nil random source")
	}
	var b [KeySize]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return nil, fmt.Errorf("seal: generate master key: %w", err)
	}
	return newMasterKey(b[:])
}

// ParseMasterKey reads a key as written by Encode (44 characters of
// standard base64) or as 64 hex digits, ignoring surrounding whitespace.
// Errors never include the text, since it may be a nearly-right key.
func ParseMasterKey(text []byte) (*MasterKey, error) {
	t := bytes.TrimSpace(text)
	switch len(t) {
	case base64.StdEncoding.EncodedLen(KeySize): // 44
		b := make([]byte, base64.StdEncoding.DecodedLen(len(t)))
		n, err := base64.StdEncoding.Strict().Decode(b, t)
		if err != nil {
			return nil, errors.New("seal: master key is 44 characters but not valid base64")
		}
		if n != KeySize {
			return nil, fmt.Errorf("seal: master key decodes to %d bytes, want %d", n, KeySize)
		}
		return newMasterKey(b[:n])
	case hex.EncodedLen(KeySize): // 64
		b := make([]byte, KeySize)
		if _, err := hex.Decode(b, t); err != nil {
			return nil, errors.New("seal: master key is 64 characters but not valid hex")
		}
		return newMasterKey(b)
	case 0:
		return nil, errors.New("seal: master key is empty")
	}
	return nil, fmt.Errorf("seal: master key must be %d bytes as base64 (44 characters) or hex (64 characters), got %d characters", KeySize, len(t))
}

// maxKeyFile bounds what LoadMasterKeyFile reads, so pointing it at the
// wrong (large) file fails fast.
const maxKeyFile = 4096

// LoadMasterKeyFile reads a key file written by CreateMasterKeyFile (or by
// hand, in either format ParseMasterKey accepts). When the file does not
// exist the error wraps fs.ErrNotExist, so callers can offer to create it.
// A file that its group or others may read or write is refused: the key
// opens every sealed private key, and a warning is easily missed.
func LoadMasterKeyFile(path string) (*MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: open master key file: %w", err)
	}
	defer f.Close()
	if err := checkPrivate(f, path); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, fmt.Errorf("seal: read master key file %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("seal: master key file %s is larger than %d bytes; is it the right file?", path, maxKeyFile)
	}
	k, err := ParseMasterKey(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// checkPrivate refuses a key file with any group or other permission bit.
// Windows has no such bits (its ACLs are not checked).
func checkPrivate(f *os.File, path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("seal: stat master key file %s: %w", path, err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("seal: master key file %s has mode %04o, so users other than its owner can read it: "+
			"make it private with 'chmod 600 %s' (in Kubernetes, mount the secret with defaultMode 0400)", path, perm, path)
	}
	return nil
}

// CreateMasterKeyFile generates a key and writes it to path, readable by the
// owner only (0600). It never overwrites: if path exists the error wraps
// fs.ErrExist, because replacing a master key makes every sealed record
// unreadable. Missing parent directories are created with mode 0700. The
// file and its directory are fsynced, so a key that was reported created
// survives a crash.
func CreateMasterKeyFile(path string, random io.Reader) (*MasterKey, error) {
	k, err := NewMasterKey(random)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create master key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("seal: create master key file: %w", err)
	}
	// The umask can only remove bits, but make the mode explicit anyway.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.WriteString(k.Encode() + "\n")
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave no half-written key behind; it would block the next attempt.
		_ = os.Remove(path)
		return nil, fmt.Errorf("seal: write master key file %s: %w", path, err)
	}
	if err := fsutil.SyncDir(dir); err != nil {
		return nil, fmt.Errorf("seal: sync master key directory: %w", err)
	}
	return k, nil
}
