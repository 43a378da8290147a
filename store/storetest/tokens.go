package storetest

import (
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// testTokens: a token created on one handle is found by its hash on the
// other, with every field intact; duplicates conflict; unknown hashes are
// not found.
func testTokens(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a, k := newAccount()
	if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
		t.Fatal(err)
	}
	tok := &certgate.Token{
		Hash:        newID("h"),
		AccessKeyID: k.ID,
		AccountID:   a.ID,
		CreatedAt:   base.Truncate(time.Microsecond),
		ExpiresAt:   base.Add(24 * time.Hour).Truncate(time.Microsecond),
	}
	if err := p.a.CreateToken(ctx, tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	got, err := p.b.GetToken(ctx, tok.Hash)
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if got.Hash != tok.Hash || got.AccessKeyID != k.ID || got.AccountID != a.ID ||
		!got.CreatedAt.Equal(tok.CreatedAt) || !got.ExpiresAt.Equal(tok.ExpiresAt) || got.ExpiresAt.Location() != time.UTC {
		t.Errorf("GetToken = %+v, want %+v", got, tok)
	}
	checkErr(t, p.b.CreateToken(ctx, tok), certgate.EConflict, "", "duplicate token")
	_, err = p.a.GetToken(ctx, newID("absent"))
	checkErr(t, err, certgate.ENotFound, "", "unknown token")
}

// testListType: Type "global" matches records without an instance id,
// "instance" those with one.
func testListType(t *testing.T, p *pair) {
	scope := certgate.Scope{AccountID: newID("acct"), Region: ""}
	global := newCert(scope, certgate.KindServer)
	global.InstanceID = ""
	inst := newCert(scope, certgate.KindServer)
	inst.InstanceID = "f0fa1789-3b76-433b-a787-9892951c620e"
	mustCreate(t, p.a, global, 0)
	mustCreate(t, p.a, inst, 0)
	q := store.ListQuery{Scope: scope, Kind: certgate.KindServer}
	for typ, want := range map[string][]string{"": {global.ID, inst.ID}, store.TypeGlobal: {global.ID}, store.TypeInstance: {inst.ID}} {
		q.Type = typ
		got := mustList(t, p.b, q)
		if len(got) != len(want) {
			t.Errorf("Type %q: %v, want %v", typ, ids(got), want)
			continue
		}
		for _, c := range got {
			found := false
			for _, w := range want {
				found = found || c.ID == w
			}
			if !found {
				t.Errorf("Type %q returned %s", typ, c.ID)
			}
		}
		if n := mustCount(t, p.b, q); n != int64(len(want)) {
			t.Errorf("Type %q: count %d, want %d", typ, n, len(want))
		}
	}
}
