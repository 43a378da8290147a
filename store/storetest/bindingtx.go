package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testBindingTx checks what a ChangeBindings plan reads and what its edit
// writes: the reads are the account's alone, a failed plan writes nothing,
// an empty edit moves nothing, and a certificate edit carries its bindings'
// algorithm with it.
func testBindingTx(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, foreign := domainFixture(t, p)
	d := newDomain(g, "tx.example.com", base)
	d.HTTPSPort = -1 // HTTP only
	wild := newDomain(g, "*.tx.example.com", base.Add(time.Second))
	// Another tenant's name (a name one account holds is never another's,
	// on any listener).
	fd := newDomain(foreign, "fd.other.test", base)
	fd.HTTPPort = -1
	for _, x := range []*certgate.Domain{d, wild, fd} {
		if err := p.a.CreateDomain(ctx, x, 0); err != nil {
			t.Fatal(err)
		}
	}
	rsa := serverCert(t, p.a, g.AccountID, "RSA")
	ecc := serverCert(t, p.a, g.AccountID, "ECC")
	theirs := serverCert(t, p.a, foreign.AccountID, "RSA")
	later := binding(d, ecc)
	later.CreatedAt = base.Add(time.Second)
	for _, b := range []*certgate.Binding{binding(d, rsa), later, binding(wild, rsa), binding(fd, theirs)} {
		if err := bindCert(ctx, p.b, b); err != nil {
			t.Fatal(err)
		}
	}
	r := newRevision(t, p)

	read := func(s store.Store, accountID string, fn func(tx store.BindingTx)) {
		t.Helper()
		if err := s.ChangeBindings(ctx, accountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
			fn(tx)
			return nil, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(sv []*store.Served) (out []string) {
		for _, x := range sv {
			out = append(out, x.Domain.ID)
		}
		return out
	}
	for i, s := range p.both() {
		read(s, g.AccountID, func(tx store.BindingTx) {
			sv, err := tx.Domain(g.InstanceID, g.ID, d.ID)
			if err != nil {
				t.Fatalf("handle %d: Domain: %v", i, err)
			}
			checkFields(t, "Served.Domain", sv.Domain, d)
			if len(sv.Certificates) != 2 || sv.Certificates[0].ID != rsa.ID || sv.Certificates[1].ID != ecc.ID {
				t.Fatalf("handle %d: Domain's certificates = %v; want rsa then ecc", i, sv.Certificates)
			}
			if sv.Certificates[0].KeySealed != nil || sv.Certificates[0].CertificatePEM != rsa.CertificatePEM {
				t.Errorf("handle %d: a bound certificate came with its key, or without its PEM", i)
			}
			_, err = tx.Domain(foreign.InstanceID, foreign.ID, fd.ID)
			checkErr(t, err, certgate.ENotFound, store.ReasonNoDomain, "Domain of another tenant")
			_, err = tx.Certificate(theirs.ID)
			checkErr(t, err, certgate.ENotFound, store.ReasonNoCertificate, "Certificate of another tenant")
			named, err := tx.DomainsNamed("tx.example.com", nil)
			if err != nil || len(named) != 1 || named[0].Domain.ID != d.ID {
				t.Errorf("handle %d: DomainsNamed = %v, %v; want only the account's own domain", i, ids(named), err)
			}
			if named, _ := tx.DomainsNamed("tx.example.com", []string{foreign.InstanceID}); len(named) != 0 {
				t.Errorf("handle %d: DomainsNamed in another tenant's instance = %v; want none", i, ids(named))
			}
			if named, _ := tx.DomainsNamed(fd.Name, nil); len(named) != 0 {
				t.Errorf("handle %d: DomainsNamed of another tenant's name = %v; want none", i, ids(named))
			}
			if named, _ := tx.DomainsNamed("tx.example.com", []string{"x", g.InstanceID}); len(named) != 1 {
				t.Errorf("handle %d: DomainsNamed in the account's instance = %v; want one", i, ids(named))
			}
			held, err := tx.Holding(rsa.ID)
			if err != nil || len(held) != 2 || held[0].Domain.ID != d.ID || held[1].Domain.ID != wild.ID {
				t.Errorf("handle %d: Holding = %v, %v; want both domains in creation order", i, ids(held), err)
			}
			if held, _ := tx.Holding(theirs.ID); len(held) != 0 {
				t.Errorf("handle %d: Holding of another tenant's certificate = %v", i, ids(held))
			}
		})
	}
	r.expect(0, "reads")

	// A plan that fails after asking for writes writes nothing.
	boom := errors.New("plan failed")
	rsa2 := serverCert(t, p.a, g.AccountID, "RSA")
	r = newRevision(t, p)
	err := p.a.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("ChangeBindings returned %v; want the plan's error", err)
	}
	// An edit that fails half-way (the second unbind is not there) rolls
	// the first back.
	err = p.a.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Unbind: []*certgate.Binding{binding(d, rsa), binding(d, rsa2)}}, nil
	})
	checkErr(t, err, certgate.ENotFound, store.ReasonNoBinding, "an edit with a missing unbind")
	if bs, _ := p.b.ListDomainBindings(ctx, g.AccountID, g.InstanceID, g.ID, d.ID); len(bs) != 2 {
		t.Errorf("a failed edit left %d bindings; want the 2 it started with", len(bs))
	}
	// Binding a pair already bound changes nothing.
	if err := bindCert(ctx, p.b, binding(d, rsa)); err != nil {
		t.Fatal(err)
	}
	r.expect(0, "failed and empty edits")

	// A certificate edit: the RSA certificate becomes ECC. On d, which
	// holds an ECC certificate already, that is refused, and nothing moves.
	c := mustGet(t, p.a, rsa.Scope, certgate.KindServer, rsa.ID)
	c.KeyAlgorithm = "ECC"
	err = p.a.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Certificate: c}, nil
	})
	checkErr(t, err, certgate.EConflict, "algorithm_taken", "a certificate edit that gives a domain two ECC certificates")
	if got := mustGet(t, p.b, rsa.Scope, certgate.KindServer, rsa.ID); got.KeyAlgorithm != "RSA" || got.Version != c.Version {
		t.Errorf("a refused certificate edit was written: %s, version %d", got.KeyAlgorithm, got.Version)
	}
	r.expect(0, "a refused certificate edit")
	// Without the ECC certificate on d, it is written, with its bindings.
	if err := unbindCert(ctx, p.a, g.AccountID, g.InstanceID, g.ID, d.ID, ecc.ID); err != nil {
		t.Fatal(err)
	}
	err = p.b.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Certificate: c}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.expect(2, "an unbind and a certificate edit")
	if got := mustGet(t, p.a, rsa.Scope, certgate.KindServer, rsa.ID); got.KeyAlgorithm != "ECC" || got.Version != c.Version {
		t.Errorf("after the edit: %s, version %d (edit's %d)", got.KeyAlgorithm, got.Version, c.Version)
	}
	bs, _ := p.a.ListCertificateBindings(ctx, g.AccountID, rsa.ID)
	for _, b := range bs {
		if b.Algorithm != "ECC" {
			t.Errorf("binding to %s still says %s after its certificate became ECC", b.DomainID, b.Algorithm)
		}
	}
	// A stale certificate edit is EConflict version.
	stale := c.Clone()
	stale.Version--
	err = p.a.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		return &store.BindingEdit{Certificate: stale}, nil
	})
	checkErr(t, err, certgate.EConflict, "version", "a stale certificate edit")
	// Edits naming another account's records are refused.
	mine := *fd
	mine.AccountID = g.AccountID
	err = updateDomain(ctx, p.a, &mine)
	checkErr(t, err, certgate.ENotFound, "", "a domain edit of another tenant's domain")
	r.expect(2, "refused edits")
}

// testBindingRace races a certificate edit that stops covering a name
// against a bind of that certificate to a domain of that name, each plan
// deciding on what it read. ChangeBindings serializes them, so the end
// state always passes the plans' own rule: a bound certificate covers its
// domain. Without the account's binding lock, on PostgreSQL the bind reads
// the old names, the edit reads no binding to that domain, and both write.
func testBindingRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	g, _ := domainFixture(t, p)
	for round := range 10 {
		d := newDomain(g, newID("r")+".race.example.com", base)
		if err := p.a.CreateDomain(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
		c := serverCert(t, p.a, g.AccountID, "RSA")
		c.SANs = []string{d.Name}
		if err := p.a.UpdateCertificate(ctx, c); err != nil {
			t.Fatal(err)
		}
		covers := func(c *certgate.Certificate, name string) bool {
			for _, s := range c.SANs {
				if s == name {
					return true
				}
			}
			return false
		}
		var bindErr, editErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			bindErr = p.b.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
				cur, err := tx.Certificate(c.ID)
				if err != nil {
					return nil, err
				}
				if !covers(cur, d.Name) {
					return nil, certgate.Errorf(certgate.EInvalid, "not covered")
				}
				return &store.BindingEdit{Bind: []*certgate.Binding{binding(d, cur)}}, nil
			})
		}()
		go func() {
			defer wg.Done()
			edit := c.Clone()
			edit.SANs = []string{"elsewhere.example.com"}
			editErr = p.a.ChangeBindings(ctx, g.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
				held, err := tx.Holding(c.ID)
				if err != nil {
					return nil, err
				}
				for _, sv := range held {
					if !covers(edit, sv.Domain.Name) {
						return nil, certgate.Errorf(certgate.EInvalid, "would not cover %s", sv.Domain.Name)
					}
				}
				return &store.BindingEdit{Certificate: edit}, nil
			})
		}()
		wg.Wait()
		final := mustGet(t, p.a, c.Scope, certgate.KindServer, c.ID)
		bs, err := p.a.ListCertificateBindings(ctx, g.AccountID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 1 && !covers(final, d.Name) {
			t.Fatalf("round %d: the certificate is bound to %s but no longer covers it (bind: %v, edit: %v)", round, d.Name, bindErr, editErr)
		}
		if bindErr == nil && editErr == nil {
			t.Fatalf("round %d: both the bind and the edit succeeded", round)
		}
	}
}
