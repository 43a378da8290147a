package sqlstore

import (
	"context"

	"github.com/certgate/certgate"
)

// CopyCertificates inserts n copies of the stored certificate with id
// templateID (in scope and kind) inside the database, in one transaction,
// and adds them to the scope's quota counter. It exists for the list
// benchmarks and plan tests, which need a million rows in seconds
// (`certgate bench seed` goes through the core at thousands a second);
// nothing in the product calls it.
//
// Copy i gets id templateID-i, name n-i, created_at the template's plus i
// microseconds (so list order is copy order), and a spread of filter values:
// common_name one of 1,000 host names, about 89% RSA / 10% ECC / 1% SM2 key
// algorithms with matching signature algorithms, and half of them global
// (no instance), the other half on one of 7 instances.
func (a *Accessor) CopyCertificates(ctx context.Context, scope certgate.Scope, kind certgate.Kind, templateID string, n int) error {
	return a.write(ctx, "copy certificates", func(tx Tx) error {
		m, err := tx.Exec(ctx, CopyCertificatesSQL, int64(n), templateID, scope.AccountID, scope.Region, string(kind))
		if err != nil {
			return err
		}
		if m != int64(n) {
			return certNotFound()
		}
		_, err = tx.Exec(ctx, CopyCountSQL, m, scope.AccountID, scope.Region, string(kind))
		if err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
}

// CopyCertificatesSQL and CopyCountSQL are CopyCertificates' statements,
// for a test that fills a database file without opening it as a store (so
// without migrating it): arguments n, template id, account, region, kind;
// then copied, account, region, kind.
const (
	CopyCertificatesSQL = `WITH RECURSIVE s(i) AS (
			SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM s WHERE i < CAST(? AS BIGINT))
		INSERT INTO certificates (` + certColumns + `)
		SELECT t.id || '-' || CAST(s.i AS TEXT), t.account_id, t.region, t.kind,
			'n-' || CAST(s.i AS TEXT), t.description, t.tags,
			CASE WHEN s.i % 2 = 0 THEN '' ELSE 'inst-' || CAST(s.i % 7 AS TEXT) END,
			t.certificate_pem, t.key_sealed, t.seal_key_id, t.trusted_root_ca,
			'h' || CAST(s.i % 1000 AS TEXT) || '.example.com', t.sans, t.not_before, t.not_after, t.serial_number,
			CASE WHEN s.i % 10 = 0 THEN 'SHA256-ECDSA' WHEN s.i % 100 = 1 THEN 'SM3-SM2' ELSE 'SHA256-RSA' END,
			CASE WHEN s.i % 10 = 0 THEN 'ECC' WHEN s.i % 100 = 1 THEN 'SM2' ELSE 'RSA' END,
			t.created_at + s.i, t.updated_at + s.i, t.version
		FROM s, certificates t
		WHERE ` + "t.id = ? AND t.account_id = ? AND t.region = ? AND t.kind = ?"
	CopyCountSQL = `UPDATE cert_counts SET n = n + ? WHERE account_id = ? AND region = ? AND kind = ?`
)
