package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

func serverCert(t *testing.T, s store.Store, accountID, algorithm string) *certgate.Certificate {
	t.Helper()
	c := newCert(certgate.Scope{AccountID: accountID}, certgate.KindServer)
	c.KeyAlgorithm = algorithm
	mustCreate(t, s, c, 0)
	return c
}

// bindCert binds through ChangeBindings, with a plan that asks for the
// binding and nothing else.
func bindCert(ctx context.Context, s store.Store, b *certgate.Binding) error {
	return s.ChangeBindings(ctx, b.AccountID, func(store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Bind: []*certgate.Binding{b}}, nil
	})
}

func unbindCert(ctx context.Context, s store.Store, accountID, instanceID, groupID, domainID, certificateID string) error {
	return s.ChangeBindings(ctx, accountID, func(store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Unbind: []*certgate.Binding{{AccountID: accountID, InstanceID: instanceID,
			GroupID: groupID, DomainID: domainID, CertificateID: certificateID}}}, nil
	})
}

// updateDomain writes a domain's settings, the one way the contract has.
func updateDomain(ctx context.Context, s store.Store, d *certgate.Domain) error {
	return s.ChangeBindings(ctx, d.AccountID, func(store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Domains: []*certgate.Domain{d}}, nil
	})
}

func binding(d *certgate.Domain, c *certgate.Certificate) *certgate.Binding {
	return &certgate.Binding{AccountID: d.AccountID, InstanceID: d.InstanceID, GroupID: d.GroupID, DomainID: d.ID,
		CertificateID: c.ID, Algorithm: c.KeyAlgorithm, CreatedAt: base}
}

// testBindings checks certificate bindings: one per algorithm on a domain,
// scoping, idempotent binds, bound certificates refused deletion, and
// bindings gone with their domain, group and account.
func testBindings(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, foreign := domainFixture(t, p)
	d := newDomain(g, "bind.example.com", base)
	d2 := newDomain(g, "*.bind.example.com", base.Add(time.Second))
	fd := newDomain(foreign, "foreign.example.com", base)
	for _, x := range []*certgate.Domain{d, d2, fd} {
		if err := p.a.CreateDomain(ctx, x, 0); err != nil {
			t.Fatal(err)
		}
	}
	rsa := serverCert(t, p.a, g.AccountID, "RSA")
	rsa2 := serverCert(t, p.a, g.AccountID, "RSA")
	ecc := serverCert(t, p.b, g.AccountID, "ECC")
	theirs := serverCert(t, p.b, foreign.AccountID, "RSA")
	client := newCert(certgate.Scope{AccountID: g.AccountID}, certgate.KindClient)
	mustCreate(t, p.a, client, 0)
	r := newRevision(t, p)
	var moves int64

	if err := bindCert(ctx, p.a, binding(d, rsa)); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "BindCertificate")
	if err := bindCert(ctx, p.b, binding(d, rsa)); err != nil {
		t.Errorf("binding a bound pair again: %v", err)
	}
	r.expect(moves, "binding a bound pair again")
	later := binding(d, ecc)
	later.CreatedAt = base.Add(time.Second) // list order is (CreatedAt, CertificateID)
	if err := bindCert(ctx, p.b, later); err != nil {
		t.Fatal(err)
	}
	if err := bindCert(ctx, p.a, binding(d2, rsa)); err != nil {
		t.Fatal(err)
	}
	moves += 2
	r.expect(moves, "two more binds")

	checkErr(t, bindCert(ctx, p.a, binding(d, rsa2)), certgate.EConflict, "algorithm_taken", "a second RSA certificate")
	checkErr(t, bindCert(ctx, p.a, binding(d, theirs)), certgate.ENotFound, store.ReasonNoCertificate, "another tenant's certificate")
	checkErr(t, bindCert(ctx, p.a, binding(d, client)), certgate.ENotFound, store.ReasonNoCertificate, "a client certificate")
	stolen := binding(fd, rsa)
	stolen.AccountID = g.AccountID
	checkErr(t, bindCert(ctx, p.b, stolen), certgate.ENotFound, store.ReasonNoDomain, "another tenant's domain")
	checkErr(t, p.b.DeleteCertificate(ctx, rsa.Scope, certgate.KindServer, rsa.ID), certgate.EConflict, store.ReasonCertificateBound, "deleting a bound certificate")
	if e := certgate.AsError(p.b.DeleteCertificate(ctx, rsa.Scope, certgate.KindServer, rsa.ID)); e == nil || e.Got != 2 {
		t.Errorf("deleting a certificate bound to 2 domains: %v; want Got 2", e)
	}
	mustGet(t, p.a, rsa.Scope, certgate.KindServer, rsa.ID)
	checkErr(t, unbindCert(ctx, p.a, g.AccountID, g.InstanceID, g.ID, d.ID, rsa2.ID), certgate.ENotFound, store.ReasonNoBinding, "unbinding an unbound certificate")
	checkErr(t, unbindCert(ctx, p.b, foreign.AccountID, g.InstanceID, g.ID, d.ID, rsa.ID), certgate.ENotFound, store.ReasonNoBinding, "unbinding by another tenant")
	r.expect(moves, "refused writes")

	for i, s := range p.both() {
		bs, err := s.ListDomainBindings(ctx, g.AccountID, g.InstanceID, g.ID, d.ID)
		if err != nil || len(bs) != 2 {
			t.Fatalf("handle %d: ListDomainBindings = %d, %v; want 2", i, len(bs), err)
		}
		checkFields(t, "ListDomainBindings[0]", bs[0], binding(d, rsa))
		checkFields(t, "ListDomainBindings[1]", bs[1], later)
		cs, err := s.ListCertificateBindings(ctx, g.AccountID, rsa.ID)
		if err != nil || len(cs) != 2 {
			t.Fatalf("handle %d: ListCertificateBindings = %d, %v; want 2", i, len(cs), err)
		}
		if other, err := s.ListCertificateBindings(ctx, foreign.AccountID, rsa.ID); err != nil || len(other) != 0 {
			t.Errorf("another tenant lists %d bindings of the certificate (%v); want none", len(other), err)
		}
	}

	if err := unbindCert(ctx, p.b, g.AccountID, g.InstanceID, g.ID, d2.ID, rsa.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "UnbindCertificate")
	// Deleting the domain takes its bindings: then the certificates go.
	if err := p.a.DeleteDomain(ctx, g.AccountID, g.InstanceID, g.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteDomain")
	if bs, err := p.a.ListCertificateBindings(ctx, g.AccountID, rsa.ID); err != nil || len(bs) != 0 {
		t.Errorf("bindings after DeleteDomain: %d, %v", len(bs), err)
	}
	if err := p.a.DeleteCertificate(ctx, rsa.Scope, certgate.KindServer, rsa.ID); err != nil {
		t.Errorf("deleting a certificate no longer bound: %v", err)
	}
	// Deleting the group takes its domains' bindings.
	if err := bindCert(ctx, p.a, binding(d2, ecc)); err != nil {
		t.Fatal(err)
	}
	if err := p.b.DeleteGroup(ctx, g.AccountID, g.InstanceID, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.a.DeleteCertificate(ctx, ecc.Scope, certgate.KindServer, ecc.ID); err != nil {
		t.Errorf("deleting a certificate whose group was deleted: %v", err)
	}
	// And the account its own.
	if err := bindCert(ctx, p.b, binding(fd, theirs)); err != nil {
		t.Fatal(err)
	}
	if err := p.a.DeleteAccount(ctx, foreign.AccountID, true); err != nil {
		t.Fatal(err)
	}
	if bs, err := p.a.ListCertificateBindings(ctx, foreign.AccountID, theirs.ID); err != nil || len(bs) != 0 {
		t.Errorf("bindings after DeleteAccount: %d, %v", len(bs), err)
	}
}

// testBindDeleteRace binds a certificate on one handle while the other
// deletes it: either the delete is refused and the binding stands, or the
// certificate is gone and no binding names it.
func testBindDeleteRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, _ := domainFixture(t, p)
	d := newDomain(g, "race.example.com", base)
	if err := p.a.CreateDomain(ctx, d, 0); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		c := serverCert(t, p.a, g.AccountID, "RSA")
		var bindErr, delErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); bindErr = bindCert(ctx, p.b, binding(d, c)) }()
		go func() { defer wg.Done(); delErr = p.a.DeleteCertificate(ctx, c.Scope, certgate.KindServer, c.ID) }()
		wg.Wait()
		bs, err := p.a.ListCertificateBindings(ctx, g.AccountID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case delErr == nil && bindErr == nil:
			t.Fatalf("round %d: both the bind and the delete succeeded (%d bindings left)", round, len(bs))
		case delErr == nil:
			checkErr(t, bindErr, certgate.ENotFound, store.ReasonNoCertificate, "a bind racing a delete")
			if len(bs) != 0 {
				t.Fatalf("round %d: the certificate is gone but %d bindings name it", round, len(bs))
			}
		default:
			checkErr(t, delErr, certgate.EConflict, store.ReasonCertificateBound, "a delete racing a bind")
			if len(bs) != 1 {
				t.Fatalf("round %d: the delete was refused but %d bindings exist", round, len(bs))
			}
			if err := unbindCert(ctx, p.a, g.AccountID, g.InstanceID, g.ID, d.ID, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}
