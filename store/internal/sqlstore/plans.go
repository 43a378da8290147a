package sqlstore

import (
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Plan is one list or count statement the store issues, with example
// arguments, for the plan tests of the backends: they explain SQL (after
// Number, on PostgreSQL) and fail when the plan scans Table, does not use
// Index (when set), or sorts the whole match when Ordered.
type Plan struct {
	Name  string
	SQL   string
	Args  []any
	Table string // the table the statement must not scan
	Alias string // Table's alias in SQL, if it has one
	// Index is the index that must serve it (or a space-separated list of
	// those that may); "" accepts any index of Table (or its primary key).
	Index string
	// Ordered: the index must yield list order; a sort would read every
	// matching row to return a page.
	Ordered bool
	// Exempt says why a scan is the right plan ("" when it is not).
	Exempt string
}

// PlanScope is the scope, and PlanTemplate the id of the certificate, that
// the plan tests copy (CopyCertificates) to give the planners some rows.
var PlanScope = certgate.Scope{AccountID: "123456789012", Region: "eu-west-1"}

const PlanTemplate = "plantemplate"

// Plans returns every certificate list and count statement shape the store
// issues, and the other lists' statements.
func Plans() []Plan {
	var ps []Plan
	after := &store.Cursor{CreatedAt: time.Unix(1700000000, 0), ID: PlanTemplate + "-9"}
	// Values are rare ones of the seeded spread (see CopyCertificates), so
	// that PostgreSQL's planner, which knows the spread, takes the filter's
	// index; SQLite, without statistics, takes it for any value.
	for _, f := range []struct {
		name  string
		index string
		mod   func(*store.ListQuery)
	}{
		{"all", "certificates_scope", func(*store.ListQuery) {}},
		{"name", "certificates_name", func(q *store.ListQuery) { q.Name = "n-7" }},
		{"common_name", "certificates_common_name", func(q *store.ListQuery) { q.CommonName = "h7.example.com" }},
		{"signature_algorithm", "certificates_signature_algorithm", func(q *store.ListQuery) { q.SignatureAlgorithm = "SM3-SM2" }},
		{"key_algorithm", "certificates_key_algorithm", func(q *store.ListQuery) { q.KeyAlgorithm = "SM2" }},
		{"instance_id", "certificates_instance", func(q *store.ListQuery) { q.InstanceID = "inst-3" }},
		{"type_global", "certificates_instance", func(q *store.ListQuery) { q.Type = store.TypeGlobal }},
		{"type_instance", "certificates_instanced", func(q *store.ListQuery) { q.Type = store.TypeInstance }},
		{"name_and_key_algorithm", "certificates_name", func(q *store.ListQuery) { q.Name = "n-7"; q.KeyAlgorithm = "RSA" }},
		// Combined filters: one index serves the first, and checks the
		// other from its own trailing columns (see migration 0040).
		{"key_algorithm_and_type", "certificates_key_algorithm certificates_instance certificates_instanced", func(q *store.ListQuery) { q.KeyAlgorithm = "SM2"; q.Type = store.TypeInstance }},
	} {
		q := store.ListQuery{Scope: PlanScope, Kind: certgate.KindServer}
		f.mod(&q)
		count, cargs := CertCountSQL(q)
		cp := Plan{Name: "certificates/count/" + f.name, SQL: count, Args: cargs, Table: "certificates", Index: f.index}
		switch f.name {
		case "all":
			cp.Table, cp.Index = "cert_counts", ""
		case "type_instance":
			// See listWhere; PostgreSQL proves instance_id > '' implies the
			// partial index's instance_id <> '' and may take that one.
			cp.Index = "certificates_instance certificates_instanced"
		}
		// A name selects at most one row (names are unique per account and
		// kind): sorting it is free.
		ordered := f.index != "certificates_name"
		q.Limit = 500
		list, largs := CertListSQL(q)
		q.Offset = 1000
		deep, dargs := CertListSQL(q)
		q.Offset, q.After = 0, after
		keyset, kargs := CertListSQL(q)
		ps = append(ps, cp,
			Plan{Name: "certificates/list/" + f.name, SQL: list, Args: largs, Table: "certificates", Index: f.index, Ordered: ordered},
			// The page at an offset sorts its own 500 rows (by primary key
			// lookups), not the match: see CertListSQL.
			Plan{Name: "certificates/offset/" + f.name, SQL: deep, Args: dargs, Table: "certificates", Index: f.index},
			Plan{Name: "certificates/after/" + f.name, SQL: keyset, Args: kargs, Table: "certificates", Index: f.index, Ordered: ordered},
		)
	}
	for _, o := range otherPlans {
		// Text arguments for every placeholder: each compares a text column.
		args := make([]any, strings.Count(o.sql, "?"))
		for i := range args {
			args[i] = "x"
		}
		ps = append(ps, Plan{Name: "other/" + o.name, SQL: o.sql, Args: args, Table: o.table, Alias: o.alias, Index: o.index, Ordered: o.ordered})
	}
	// What start-up and the gateway read across tenants, at any scale: the
	// master keys in use (every start and heartbeat), and the certificates
	// the routes need (every snapshot).
	ps = append(ps,
		Plan{Name: "scale/seal_key_ids/certificates", SQL: SealKeyIDsSQL, Table: "certificates", Index: "certificates_seal_key"},
		Plan{Name: "scale/seal_key_ids/access_keys", SQL: SealKeyIDsSQL, Table: "access_keys", Index: "access_keys_seal_key"},
		Plan{Name: "scale/served_certificates", SQL: ServedCertificatesSQL, Args: []any{string(certgate.KindBackend), string(certgate.KindClient)},
			Table: "certificates", Index: "certificates_kind"},
	)
	return ps
}
