package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/certgate/certgate/store/internal/rowcodec"
)

// Migration is one embedded file, migrations/NNNN_name.sql.
type Migration struct {
	Version int64
	Name    string
	SQL     string
}

// LoadMigrations returns the migrations/*.sql files of fsys in version
// order. Each backend keeps its own files; the loading and the rules on
// names are the same.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int64]string{}
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", base)
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: bad version %q", base, num)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, base, v)
		}
		seen[v] = base
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Pending returns the migrations of ms that the schema_migrations table q
// reads has not recorded, in order. A database that a newer binary has
// migrated is refused: running an older one on it could misread rows.
func Pending(ctx context.Context, q Querier, ms []Migration) ([]Migration, error) {
	applied := map[int64]bool{}
	var newest int64
	err := each(ctx, q, func(s rowcodec.Scanner) error {
		var v int64
		if err := s.Scan(&v); err != nil {
			return err
		}
		applied[v] = true
		newest = max(newest, v)
		return nil
	}, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	if len(ms) > 0 && newest > ms[len(ms)-1].Version {
		return nil, fmt.Errorf("database schema version %d is newer than this program supports (%d)",
			newest, ms[len(ms)-1].Version)
	}
	var out []Migration
	for _, m := range ms {
		if !applied[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}

// RecordMigration is the statement that records m as applied.
const RecordMigration = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"
