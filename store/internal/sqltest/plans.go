package sqltest

import (
	"context"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store/internal/sqlstore"
)

// PlanRows is how many certificates SeedPlans puts in sqlstore.PlanScope:
// enough for PostgreSQL's planner to prefer an index on its statistics,
// few enough to copy in a blink.
const PlanRows = 5000

// SeedPlans gives the plan tests' database rows with the spread of
// sqlstore.CopyCertificates (several filter values, half global), in the
// scope of sqlstore.Plans, and a few rows in other scopes.
func SeedPlans(t testing.TB, db interface {
	CreateCertificate(ctx context.Context, c *certgate.Certificate, quota int) error
	CopyCertificates(ctx context.Context, scope certgate.Scope, kind certgate.Kind, templateID string, n int) error
}) {
	t.Helper()
	ctx := context.Background()
	tmpl := Cert(sqlstore.PlanTemplate)
	tmpl.Scope, tmpl.Kind = sqlstore.PlanScope, certgate.KindServer
	if err := db.CreateCertificate(ctx, tmpl, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.CopyCertificates(ctx, tmpl.Scope, tmpl.Kind, tmpl.ID, PlanRows); err != nil {
		t.Fatal(err)
	}
	for i, sc := range []certgate.Scope{{AccountID: "210987654321", Region: "eu-west-1"}, {AccountID: sqlstore.PlanScope.AccountID}} {
		c := Cert("planother" + string(rune('a'+i)))
		c.Scope = sc
		if err := db.CreateCertificate(ctx, c, 0); err != nil {
			t.Fatal(err)
		}
	}
}
