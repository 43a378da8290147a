package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/rotation"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/postgres"
)

// Meta keys in the store.
const (
	metaSealCanary  = rotation.CanaryMetaKey // one meta row: rotation moves the canary the servers check
	metaPositionKey = "position_token_key"
	metaBootstrap   = "bootstrap"
)

// openExistingStore opens the database for a command that manages an
// existing installation (account create, token create): a mistyped SQLite
// path must not silently create a new, empty database with a new key.
func openExistingStore(ctx context.Context, url string, pool postgres.Options) (store.Store, error) {
	if p := sqlitePath(url); p != "" {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) && !hasWALFiles(p) {
			return nil, fmt.Errorf("database %s does not exist: start `certgate serve --database %s` once to create it, or check the path", p, url)
		}
	}
	return openStore(ctx, url, pool)
}

// openStore opens the database named by a --database URL: sqlite:PATH or
// postgres://… (pool settings apply to PostgreSQL only).
func openStore(ctx context.Context, url string, pool postgres.Options) (store.Store, error) {
	b, ok := schemeOf(url)
	if !ok {
		return nil, fmt.Errorf("unsupported --database %q", redactURL(url))
	}
	return b.open(ctx, url, pool)
}

// openSealer loads the master key and checks it against the database, so that
// a wrong key stops the server at start rather than producing garbage later.
//
// With the embedded default and no key anywhere, a fresh database gets a new
// key file (mode 0600). A database that already holds sealed data never gets
// a new key silently: the operator must supply the old one.
func openSealer(ctx context.Context, cfg *Config, st store.Store, log *slog.Logger) (*seal.Sealer, error) {
	stored, err := st.GetMeta(ctx, metaSealCanary)
	fresh := certgate.ErrorCode(err) == certgate.ENotFound
	if err != nil && !fresh {
		return nil, fmt.Errorf("read master key check value: %w", err)
	}

	var key *seal.MasterKey
	switch {
	case cfg.MasterKey != "":
		if key, err = seal.ParseMasterKey([]byte(cfg.MasterKey)); err != nil {
			return nil, fmt.Errorf("CERTGATE_MASTER_KEY: %w", err)
		}
	default:
		key, err = seal.LoadMasterKeyFile(cfg.MasterKeyFile)
		switch {
		case errors.Is(err, fs.ErrNotExist) && !fresh:
			return nil, fmt.Errorf("master key file %s does not exist, but the database holds data sealed under a master key: "+
				"restore that key file (or set CERTGATE_MASTER_KEY); a new key cannot open existing data", cfg.MasterKeyFile)
		case errors.Is(err, fs.ErrNotExist) && sqlitePath(cfg.Database) == "":
			return nil, fmt.Errorf("master key file %s does not exist: create one with 'openssl rand -base64 32 > %s' and share it with every node", cfg.MasterKeyFile, cfg.MasterKeyFile)
		case errors.Is(err, fs.ErrNotExist):
			key, err = seal.CreateMasterKeyFile(cfg.MasterKeyFile, rand.Reader)
			if errors.Is(err, fs.ErrExist) {
				// Another process created it first; use theirs.
				key, err = seal.LoadMasterKeyFile(cfg.MasterKeyFile)
			} else if err == nil {
				abs, _ := filepath.Abs(cfg.MasterKeyFile)
				log.Warn("created a new master key file; back it up: without it, sealed private keys cannot be recovered",
					slog.String("path", abs), slog.String("key_id", key.ID()))
			}
			if err != nil {
				return nil, fmt.Errorf("master key file %s: %w", cfg.MasterKeyFile, err)
			}
		case err != nil:
			return nil, fmt.Errorf("master key file %s: %w", cfg.MasterKeyFile, err)
		}
	}

	previous, err := loadPreviousKeys(cfg)
	if err != nil {
		return nil, err
	}
	sealer := seal.NewSealer(key, previous...)
	if fresh {
		canary, err := sealer.Canary()
		if err != nil {
			return nil, err
		}
		if stored, err = st.PutMetaIfAbsent(ctx, metaSealCanary, canary); err != nil {
			return nil, fmt.Errorf("store master key check value: %w", err)
		}
	}
	if err := sealer.CheckCanary(stored); err != nil {
		return nil, withRotationHint(err)
	}
	// The canary proves one key; every key that sealed a record must be
	// loaded too, or some requests would fail later instead of now.
	if err := checkSealKeys(ctx, st, sealer); err != nil {
		return nil, err
	}
	return sealer, nil
}

// positionKey returns the key that authenticates list position tokens. It is
// created once per database, so every node issues tokens the others accept.
func positionKey(ctx context.Context, st store.Store) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	v, err := st.PutMetaIfAbsent(ctx, metaPositionKey, hex.EncodeToString(b))
	if err != nil {
		return nil, fmt.Errorf("position token key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("position token key in the database is corrupt")
	}
	return key, nil
}

// writePrivateFile writes data to path with mode 0600, atomically.
func writePrivateFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// hasWALFiles reports whether a -wal or -shm file stands at path: then a
// missing database is not a mistyped path but a lost file, and the store's
// own refusal (restore it from a backup) is the message to give.
func hasWALFiles(path string) bool {
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); err == nil {
			return true
		}
	}
	return false
}
