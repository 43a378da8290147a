package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/postgres"
	"github.com/certgate/certgate/store/sqlite"
)

// dbScheme is one kind of database certgate runs on, chosen by the scheme of
// the --database URL, as go-cloud's URL openers choose a driver. Validate,
// openStore and backup all ask schemeOf, so that they agree on what a URL
// names.
type dbScheme struct {
	name string
	// match tells whether a --database URL names this backend.
	match func(url string) bool
	// open opens the store; pool applies to PostgreSQL only.
	open func(ctx context.Context, url string, pool postgres.Options) (store.Store, error)
}

// dbSchemes lists every backend, tried in order. It is never written.
var dbSchemes = []dbScheme{
	{name: "sqlite", match: func(url string) bool { return sqlitePath(url) != "" }, open: openSQLite},
	{name: "postgres", match: isPostgres, open: openPostgres},
}

// schemeOf returns the backend a --database URL names.
func schemeOf(url string) (dbScheme, bool) {
	for _, b := range dbSchemes {
		if b.match(url) {
			return b, true
		}
	}
	return dbScheme{}, false
}

// sqlitePath returns the file path of a sqlite: database URL, or "" for
// another backend.
func sqlitePath(db string) string {
	if p, ok := strings.CutPrefix(db, "sqlite:"); ok {
		return strings.TrimPrefix(p, "//")
	}
	return ""
}

func isPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

func openSQLite(ctx context.Context, url string, _ postgres.Options) (store.Store, error) {
	db, err := sqlite.Open(ctx, sqlitePath(url))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", url, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, url string, pool postgres.Options) (store.Store, error) {
	// postgres.Open redacts the password in its errors. Its *DB goes into
	// the interface only when it is not nil: a typed nil would make
	// Main.Close panic instead of reporting the error.
	db, err := postgres.Open(ctx, url, pool)
	if err != nil {
		return nil, err
	}
	return db, nil
}
