package storetest

import (
	"bytes"
	"slices"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testSealed: ListSealed walks every sealed value not under a given key, in
// pages; Reseal is a compare-and-swap that bumps a certificate's version.
func testSealed(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a, k := newAccount()
	k.SealKeyID = "mk-old"
	if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
		t.Fatal(err)
	}
	scope := certgate.Scope{AccountID: a.ID, Region: "us-east-1"}
	var certs []*certgate.Certificate
	for i := 0; i < 5; i++ {
		c := newCert(scope, certgate.KindClient)
		c.SealKeyID = "mk-old"
		mustCreate(t, p.a, c, 0)
		certs = append(certs, c)
	}
	// Five certificates and a key under one master key: one id.
	if ids, err := p.b.SealKeyIDs(ctx); err != nil || !slices.Equal(ids, []string{"mk-old"}) {
		t.Errorf("SealKeyIDs = %v, %v; want [mk-old]", ids, err)
	}
	// Walk in pages of 2 from the other handle: 1 access key + 5 certificates.
	var all []store.SealedItem
	var cur store.SealedCursor
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("ListSealed does not end")
		}
		items, err := p.b.ListSealed(ctx, "mk-new", cur, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			break
		}
		all = append(all, items...)
		last := items[len(items)-1]
		cur = store.SealedCursor{Type: last.Type, ID: last.ID}
	}
	if len(all) != 6 {
		t.Fatalf("ListSealed found %d items, want 6", len(all))
	}
	byID := map[string]store.SealedItem{}
	for _, it := range all {
		if _, dup := byID[it.ID]; dup {
			t.Errorf("%s listed twice", it.ID)
		}
		byID[it.ID] = it
	}
	ak := byID[k.ID]
	if ak.Type != store.SealedAccessKey || ak.AccountID != a.ID || !bytes.Equal(ak.Envelope, k.SecretSealed) || ak.KeyID != "mk-old" {
		t.Errorf("access key item %+v", ak)
	}
	for _, c := range certs {
		it := byID[c.ID]
		if it.Type != store.SealedCertificateKey || it.AccountID != a.ID || it.Kind != certgate.KindClient || !bytes.Equal(it.Envelope, c.KeySealed) {
			t.Errorf("certificate item %+v", it)
		}
	}

	// Reseal is a compare-and-swap on the key id and the envelope: a value
	// replaced meanwhile under the same old key is left alone.
	changed := byID[certs[1].ID]
	changed.Envelope = []byte("not what is stored")
	if ok, err := p.a.Reseal(ctx, changed, []byte("x"), "mk-new"); err != nil || ok {
		t.Errorf("Reseal of a changed envelope: %v %v, want false", ok, err)
	}
	it := byID[certs[0].ID]
	ok, err := p.a.Reseal(ctx, it, []byte("new envelope"), "mk-new")
	if err != nil || !ok {
		t.Fatalf("Reseal: %v %v", ok, err)
	}
	ok, err = p.b.Reseal(ctx, it, []byte("stale envelope"), "mk-new")
	if err != nil || ok {
		t.Errorf("second Reseal with the old key id: %v %v, want false", ok, err)
	}
	got := mustGet(t, p.b, scope, certgate.KindClient, certs[0].ID)
	if string(got.KeySealed) != "new envelope" || got.SealKeyID != "mk-new" || got.Version != certs[0].Version+1 {
		t.Errorf("after Reseal: key %q id %s version %d (was %d)", got.KeySealed, got.SealKeyID, got.Version, certs[0].Version)
	}
	// A writer holding the pre-reseal version loses, so it cannot write the
	// old envelope back.
	stale := certs[0].Clone()
	stale.Description = "stale"
	checkErr(t, p.a.UpdateCertificate(ctx, stale), certgate.EConflict, "version", "update after reseal")
	if ok, err := p.a.Reseal(ctx, ak, []byte("new secret"), "mk-new"); err != nil || !ok {
		t.Errorf("Reseal access key: %v %v", ok, err)
	}
	if k2, err := p.b.GetAccessKey(ctx, k.ID); err != nil || string(k2.SecretSealed) != "new secret" || k2.SealKeyID != "mk-new" {
		t.Errorf("access key after Reseal: %+v %v", k2, err)
	}
	if ids, err := p.b.SealKeyIDs(ctx); err != nil || len(ids) != 2 || ids[0] != "mk-new" || ids[1] != "mk-old" {
		t.Errorf("SealKeyIDs = %v, %v; want [mk-new mk-old]", ids, err)
	}
	rest, err := p.a.ListSealed(ctx, "mk-new", store.SealedCursor{}, 100)
	if err != nil || len(rest) != 4 {
		t.Errorf("after two reseals, %d items remain (%v), want 4", len(rest), err)
	}
	if _, err := p.a.Reseal(ctx, store.SealedItem{Type: "bogus", ID: "x"}, nil, "k"); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("unknown type: %v", err)
	}
	// An id only access keys use and one only certificates use: the
	// union of both tables, in byte order, each once.
	a2, k2 := newAccount()
	k2.SealKeyID = "mk-z"
	if err := p.a.CreateAccount(ctx, a2, k2, nil); err != nil {
		t.Fatal(err)
	}
	only := newCert(certgate.Scope{AccountID: a2.ID, Region: "us-east-1"}, certgate.KindServer)
	only.SealKeyID = "mk-a"
	mustCreate(t, p.a, only, 0)
	if ids, err := p.b.SealKeyIDs(ctx); err != nil || !slices.Equal(ids, []string{"mk-a", "mk-new", "mk-old", "mk-z"}) {
		t.Errorf("SealKeyIDs = %v, %v; want [mk-a mk-new mk-old mk-z]", ids, err)
	}
}

// testSwapMeta: SwapMeta replaces only the expected value.
func testSwapMeta(t *testing.T, p *pair) {
	ctx := testCtx(t)
	key := newID("meta")
	if _, err := p.a.PutMetaIfAbsent(ctx, key, "one"); err != nil {
		t.Fatal(err)
	}
	if ok, err := p.b.SwapMeta(ctx, key, "zero", "two"); err != nil || ok {
		t.Errorf("swap from a wrong value: %v %v", ok, err)
	}
	if ok, err := p.b.SwapMeta(ctx, key, "one", "two"); err != nil || !ok {
		t.Errorf("swap: %v %v", ok, err)
	}
	if v, err := p.a.GetMeta(ctx, key); err != nil || v != "two" {
		t.Errorf("after swap: %q %v", v, err)
	}
	if ok, err := p.a.SwapMeta(ctx, newID("absent"), "", "x"); err != nil || ok {
		t.Errorf("swap of an absent key: %v %v", ok, err)
	}
}
