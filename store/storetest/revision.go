package storetest

import (
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// revision is the configuration-revision check of a subtest: each step
// names the revision it expects relative to the start, on both handles.
type revision struct {
	t     *testing.T
	p     *pair
	start int64
}

func newRevision(t *testing.T, p *pair) *revision {
	t.Helper()
	r := &revision{t: t, p: p}
	r.start = r.read(p.a)
	if b := r.read(p.b); b != r.start {
		t.Fatalf("Revision: handle a says %d, handle b %d", r.start, b)
	}
	return r
}

func (r *revision) read(s store.Store) int64 {
	r.t.Helper()
	n, err := s.Revision(testCtx(r.t))
	if err != nil {
		r.t.Fatalf("Revision: %v", err)
	}
	return n
}

// expect fails unless both handles read start+moves.
func (r *revision) expect(moves int64, after string) {
	r.t.Helper()
	for i, s := range r.p.both() {
		if got := r.read(s) - r.start; got != moves {
			r.t.Errorf("after %s: handle %d sees the revision moved %d times since the start, want %d", after, i, got, moves)
		}
	}
}

// testRevision checks that every write changing what the data plane serves
// moves the configuration revision exactly once, and that reads and
// refused writes leave it alone.
func testRevision(t *testing.T, p *pair) {
	ctx := testCtx(t)
	r := newRevision(t, p)
	var moves int64

	acc, key := newAccount()
	if err := p.a.CreateAccount(ctx, acc, key, nil); err != nil {
		t.Fatal(err)
	}
	r.expect(moves, "CreateAccount (an account alone serves nothing)")

	scope := certgate.Scope{AccountID: acc.ID}
	server := newCert(scope, certgate.KindServer)
	mustCreate(t, p.a, server, 0)
	moves++
	r.expect(moves, "CreateCertificate(server)")

	client := newCert(certgate.Scope{AccountID: acc.ID, Region: "eu-west-1"}, certgate.KindClient)
	mustCreate(t, p.b, client, 0)
	moves++
	r.expect(moves, "CreateCertificate(client)")

	// Reads.
	mustGet(t, p.a, scope, certgate.KindServer, server.ID)
	mustList(t, p.b, store.ListQuery{Scope: scope, Kind: certgate.KindServer})
	mustCount(t, p.a, store.ListQuery{Scope: scope, Kind: certgate.KindServer})
	if _, err := p.a.ListSealed(ctx, "none", store.SealedCursor{}, 10); err != nil {
		t.Fatal(err)
	}
	r.expect(moves, "reads")

	// Refused writes.
	dup := newCert(scope, certgate.KindServer)
	dup.ID = server.ID
	checkErr(t, p.a.CreateCertificate(ctx, dup, 0), certgate.EConflict, "", "create with a taken id")
	checkErr(t, p.b.CreateCertificate(ctx, newCert(scope, certgate.KindServer), 1), certgate.ELimitExceeded, "", "create over the quota")
	stale := server.Clone()
	stale.Version = 99
	checkErr(t, p.a.UpdateCertificate(ctx, stale), certgate.EConflict, "version", "update of a stale version")
	checkErr(t, p.b.DeleteCertificate(ctx, scope, certgate.KindServer, "missing"), certgate.ENotFound, "", "delete of a missing certificate")
	checkErr(t, p.a.DeleteAccount(ctx, acc.ID, false), certgate.EConflict, "", "delete of a non-empty account")
	r.expect(moves, "refused writes")

	upd := server.Clone()
	upd.Description = "changed"
	if err := p.b.UpdateCertificate(ctx, upd); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "UpdateCertificate")

	item := store.SealedItem{Type: store.SealedCertificateKey, ID: client.ID, AccountID: acc.ID,
		Kind: certgate.KindClient, Envelope: client.KeySealed, KeyID: client.SealKeyID}
	if ok, err := p.a.Reseal(ctx, item, []byte("new envelope"), "mk-new"); err != nil || !ok {
		t.Fatalf("Reseal(certificate) = %v, %v", ok, err)
	}
	moves++
	r.expect(moves, "Reseal(certificate)")
	if ok, err := p.b.Reseal(ctx, item, []byte("newer envelope"), "mk-newer"); err != nil || ok {
		t.Fatalf("Reseal(certificate) of a replaced envelope = %v, %v; want false, nil", ok, err)
	}
	ak := store.SealedItem{Type: store.SealedAccessKey, ID: key.ID, AccountID: acc.ID,
		Envelope: key.SecretSealed, KeyID: key.SealKeyID}
	if ok, err := p.a.Reseal(ctx, ak, []byte("new secret"), "mk-new"); err != nil || !ok {
		t.Fatalf("Reseal(access key) = %v, %v", ok, err)
	}
	r.expect(moves, "a refused Reseal and Reseal of an access key")

	if err := p.a.DeleteCertificate(ctx, scope, certgate.KindServer, server.ID); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteCertificate")

	if err := p.b.DeleteAccount(ctx, acc.ID, true); err != nil {
		t.Fatal(err)
	}
	moves++
	r.expect(moves, "DeleteAccount(force)")
}
