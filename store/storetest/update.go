package storetest

import (
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testUpdate checks that every mutable field is replaced, that Version goes
// up by one, and that the identity and CreatedAt stay as they were.
func testUpdate(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	c := mustCreateNamed(t, p.a, scopeH, k, "before")

	u := mustGet(t, p.b, scopeH, k, c.ID)
	u.Name = "after"
	u.Description = "new description"
	u.Tags = map[string]string{"env": "prod", "new": "tag"} // "id" and others removed
	u.InstanceID = "inst-other"
	u.CertificatePEM = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n"
	u.KeySealed = randBytes(64)
	u.SealKeyID = "mk-2026"
	u.TrustedRootCA = ""
	u.CommonName = "new.example.org"
	u.SANs = []string{"new.example.org"}
	u.NotBefore = base.Add(24 * time.Hour)
	u.NotAfter = base.AddDate(2, 0, 0)
	u.SerialNumber = "42"
	u.SignatureAlgorithm = "ECDSA-SHA256"
	u.KeyAlgorithm = "ECC"
	u.UpdatedAt = base.Add(48*time.Hour + 123456789)
	u.CreatedAt = base.Add(-1000 * time.Hour) // must be ignored

	want := u.Clone()
	want.CreatedAt = c.CreatedAt
	want.Version = 2
	if err := p.b.UpdateCertificate(ctx, u); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	if u.Version != 2 {
		t.Errorf("Version after update: %d, want 2", u.Version)
	}
	for _, s := range p.both() {
		checkCert(t, mustGet(t, s, scopeH, k, c.ID), want)
	}

	// Empty values replace set ones too.
	u = mustGet(t, p.a, scopeH, k, c.ID)
	u.Name, u.Tags, u.SANs, u.KeySealed, u.InstanceID = "", nil, nil, nil, ""
	want = u.Clone()
	want.Version = 3
	if err := p.a.UpdateCertificate(ctx, u); err != nil {
		t.Fatalf("second UpdateCertificate: %v", err)
	}
	if u.Version != 3 {
		t.Errorf("Version after second update: %d, want 3", u.Version)
	}
	checkCert(t, mustGet(t, p.b, scopeH, k, c.ID), want)

	// The list sees the new values, and the filters match them.
	l := mustList(t, p.a, store.ListQuery{Scope: scopeH, Kind: k, CommonName: "new.example.org"})
	if len(l) != 1 {
		t.Fatalf("list by the new common name: %d records, want 1", len(l))
	}
	checkCert(t, l[0], want)
	if n := mustCount(t, p.a, store.ListQuery{Scope: scopeH, Kind: k, CommonName: c.CommonName}); n != 0 {
		t.Errorf("count by the old common name: %d, want 0", n)
	}
}

// testUpdateStaleVersion checks optimistic concurrency: an update based on
// an old read fails with EConflict "version" and changes nothing.
func testUpdateStaleVersion(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindClient
	c := newCert(scopeA, k)
	mustCreate(t, p.a, c, 0)

	stale := mustGet(t, p.a, scopeA, k, c.ID)
	fresh := mustGet(t, p.b, scopeA, k, c.ID)
	fresh.Description = "fresh"
	if err := p.b.UpdateCertificate(ctx, fresh); err != nil {
		t.Fatalf("UpdateCertificate: %v", err)
	}
	want := fresh.Clone()

	stale.Description = "stale"
	stale.Name = "stale-name"
	checkErr(t, p.a.UpdateCertificate(ctx, stale), certgate.EConflict, "version", "update from a stale read")
	ahead := fresh.Clone()
	ahead.Version = 99
	ahead.Description = "from the future"
	checkErr(t, p.a.UpdateCertificate(ctx, ahead), certgate.EConflict, "version", "update with a version ahead")

	for _, s := range p.both() {
		checkCert(t, mustGet(t, s, scopeA, k, c.ID), want)
	}
	if n := mustCount(t, p.a, store.ListQuery{Scope: scopeA, Kind: k, Name: "stale-name"}); n != 0 {
		t.Errorf("the failed update's name is visible to a list: count %d", n)
	}
}

func testUpdateNotFound(t *testing.T, p *pair) {
	ctx := testCtx(t)
	c := newCert(scopeA, certgate.KindClient)
	c.Version = 1
	checkErr(t, p.a.UpdateCertificate(ctx, c), certgate.ENotFound, "", "update of a missing record")

	// A deleted record is missing too, whatever the version says.
	mustCreate(t, p.a, c, 0)
	if err := p.b.DeleteCertificate(ctx, scopeA, certgate.KindClient, c.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	checkErr(t, p.a.UpdateCertificate(ctx, c), certgate.ENotFound, "", "update of a deleted record")
	c.Version = 7
	checkErr(t, p.a.UpdateCertificate(ctx, c), certgate.ENotFound, "", "update of a deleted record, other version")
}

func testDelete(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	keep := newCert(scopeH, k)
	gone := newCert(scopeH, k)
	gone.Name = "gone"
	mustCreate(t, p.a, keep, 0)
	mustCreate(t, p.a, gone, 0)

	if err := p.b.DeleteCertificate(ctx, scopeH, k, gone.ID); err != nil {
		t.Fatalf("DeleteCertificate: %v", err)
	}
	for _, s := range p.both() {
		_, err := s.GetCertificate(ctx, scopeH, k, gone.ID)
		checkErr(t, err, certgate.ENotFound, "", "get after delete")
		checkErr(t, s.DeleteCertificate(ctx, scopeH, k, gone.ID), certgate.ENotFound, "", "second delete")
		q := store.ListQuery{Scope: scopeH, Kind: k}
		checkIDs(t, "list after delete", mustList(t, s, q), []string{keep.ID})
		if n := mustCount(t, s, q); n != 1 {
			t.Errorf("count after delete: %d, want 1", n)
		}
	}
	checkErr(t, p.a.DeleteCertificate(ctx, scopeH, k, "never-existed"), certgate.ENotFound, "", "delete of a missing id")

	// The id is free again after a delete.
	again := newCert(scopeH, k)
	again.ID = gone.ID
	mustCreate(t, p.b, again, 0)
}
