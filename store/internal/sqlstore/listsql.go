package sqlstore

import (
	"math"
	"strings"

	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/internal/rowcodec"
)

// The certificate list and count statements are built here, apart from the
// code that runs them, so that the plan tests (store/sqlite and
// store/postgres, see Plans) explain the very SQL the store issues.
//
// Each filter has an index that starts with the scope and the filter's
// column and ends in list order (migrations 0040): an equality filter is
// then a range of one index in list order, so a page needs no sort and a
// count walks only the matching entries. Name uses certificates_name (names
// are unique per account and kind, so at most one row); Type instance uses
// the partial index certificates_instanced, Type global the instance_id
// index at '' and, for a count, Type instance by the range above ''. When several filters are given, the most selective index
// serves the first and the others are checked on its rows.

// CertListSQL returns the statement ListCertificates runs for q and its
// arguments.
//
// A page at an offset walks the skipped entries of the index alone (the
// inner SELECT reads only id, which every list index holds) and then reads
// the page's rows by primary key; without the deferred join, each skipped
// entry would cost a lookup of its table row in PostgreSQL, and its
// decoding in SQLite.
func CertListSQL(q store.ListQuery) (string, []any) {
	where, args := listWhere(q, true)
	limit := int64(q.Limit)
	if limit <= 0 {
		// OFFSET needs a LIMIT in SQLite; MaxInt64 means none in PostgreSQL
		// too, and keeps the SQL one shape.
		limit = math.MaxInt64
	}
	if q.Offset <= 0 {
		args = append(args, limit)
		return "SELECT " + certColumns + " FROM certificates" + where + " ORDER BY created_at, id LIMIT ?", args
	}
	args = append(args, limit, int64(q.Offset))
	// The outer query needs no scope of its own: ids are the primary key,
	// and the inner one only yields ids of q's scope and kind.
	return "SELECT " + certColumns + " FROM certificates WHERE id IN (SELECT id FROM certificates" + where +
		" ORDER BY created_at, id LIMIT ? OFFSET ?) ORDER BY created_at, id", args
}

// CertCountSQL returns the statement CountCertificates runs for q and its
// arguments. Without a filter the total is the scope's quota counter,
// cert_counts, which every create, delete and account delete maintains in
// the same transaction as the rows: exact, and one row read however many
// certificates the scope holds.
func CertCountSQL(q store.ListQuery) (string, []any) {
	where, args := listWhere(q, false)
	if q.Name == "" && q.CommonName == "" && q.SignatureAlgorithm == "" && q.KeyAlgorithm == "" &&
		q.InstanceID == "" && q.Type == "" {
		return "SELECT COALESCE((SELECT n FROM cert_counts WHERE account_id = ? AND region = ? AND kind = ?), 0)", args
	}
	return "SELECT COUNT(*) FROM certificates" + where, args
}

// listWhere builds the WHERE clause of a list or count query; the cursor is
// only part of it for a list.
func listWhere(q store.ListQuery, cursor bool) (string, []any) {
	var b strings.Builder
	args := []any{q.Scope.AccountID, q.Scope.Region, string(q.Kind)}
	b.WriteString(" WHERE account_id = ? AND region = ? AND kind = ?")
	if q.Name != "" {
		// Implied by name = ?, but written out so that both planners may
		// use the partial index certificates_name (WHERE name <> '').
		b.WriteString(" AND name = ? AND name <> ''")
		args = append(args, q.Name)
	}
	for _, f := range []struct{ col, val string }{
		{"common_name", q.CommonName},
		{"signature_algorithm", q.SignatureAlgorithm},
		{"key_algorithm", q.KeyAlgorithm},
		{"instance_id", q.InstanceID},
	} {
		if f.val != "" {
			b.WriteString(" AND " + f.col + " = ?")
			args = append(args, f.val)
		}
	}
	switch q.Type {
	case store.TypeGlobal:
		b.WriteString(" AND instance_id = ''")
	case store.TypeInstance:
		if cursor {
			// A list: the very term of the partial index
			// certificates_instanced, which yields list order.
			b.WriteString(" AND instance_id <> ''")
		} else {
			// A count: the same rows ('' is the least string in any
			// collation), but a range of certificates_instance that both
			// planners walk alone, where SQLite would walk every row of
			// the scope for <>.
			b.WriteString(" AND instance_id > ''")
		}
	}
	if cursor && q.After != nil {
		// A row-value comparison, equal to created_at > ? OR (created_at =
		// ? AND id > ?), but one that both planners turn into a range scan
		// of the index in use.
		b.WriteString(" AND (created_at, id) > (?, ?)")
		args = append(args, rowcodec.Micros(q.After.CreatedAt), q.After.ID)
	}
	return b.String(), args
}
