package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// newAccount returns an account and its first access key, with random ids
// in the production formats.
func newAccount() (*certgate.Account, *certgate.AccessKey) {
	id := fmt.Sprintf("%012d", rand.Int64N(1e12))
	a := &certgate.Account{
		ID:        id,
		ProjectID: newID("")[:20] + newID("")[:12],
		Name:      "tenant " + id,
		CreatedAt: base,
	}
	k := &certgate.AccessKey{
		ID:           "CGAK" + strings.ToUpper(newID("")[:16]),
		AccountID:    id,
		SecretSealed: randBytes(40),
		SealKeyID:    "mk-2025",
		CreatedAt:    base.Add(time.Millisecond),
	}
	return a, k
}

func checkAccount(t *testing.T, got, want *certgate.Account) {
	t.Helper()
	if got == nil {
		t.Fatalf("got nil account, want %s", want.ID)
	}
	checkFields(t, "account "+want.ID, got, want)
}

func checkAccessKey(t *testing.T, got, want *certgate.AccessKey) {
	t.Helper()
	if got == nil {
		t.Fatalf("got nil access key, want %s", want.ID)
	}
	checkFields(t, "access key "+want.ID, got, want)
}

func testAccounts(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for i, s := range p.both() {
		if n, err := s.CountAccounts(ctx); err != nil || n != 0 {
			t.Fatalf("handle %d: CountAccounts of an empty store = %d, %v", i, n, err)
		}
		_, err := s.GetAccount(ctx, "000000000000")
		checkErr(t, err, certgate.ENotFound, "", "GetAccount of a missing id")
		_, err = s.GetAccountByProject(ctx, strings.Repeat("0", 32))
		checkErr(t, err, certgate.ENotFound, "", "GetAccountByProject of a missing id")
		_, err = s.GetAccessKey(ctx, "CGAKMISSINGMISSINGMI")
		checkErr(t, err, certgate.ENotFound, "", "GetAccessKey of a missing id")
	}

	a1, k1 := newAccount()
	a2, k2 := newAccount()
	wantK1 := *k1
	wantK1.SecretSealed = append([]byte(nil), k1.SecretSealed...)
	if err := p.a.CreateAccount(ctx, a1, k1, nil); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	k1.SecretSealed[0] ^= 0xff // the store must have kept its own copy
	if err := p.b.CreateAccount(ctx, a2, k2, nil); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}

	for i, s := range p.both() {
		t.Logf("handle %d", i)
		got, err := s.GetAccount(ctx, a1.ID)
		if err != nil {
			t.Fatalf("GetAccount: %v", err)
		}
		checkAccount(t, got, a1)
		got, err = s.GetAccountByProject(ctx, a2.ProjectID)
		if err != nil {
			t.Fatalf("GetAccountByProject: %v", err)
		}
		checkAccount(t, got, a2)
		key, err := s.GetAccessKey(ctx, k1.ID)
		if err != nil {
			t.Fatalf("GetAccessKey: %v", err)
		}
		checkAccessKey(t, key, &wantK1)
		key.SecretSealed[1] ^= 0xff // and must not hand out its own copy
		key, err = s.GetAccessKey(ctx, k1.ID)
		if err != nil {
			t.Fatalf("GetAccessKey: %v", err)
		}
		checkAccessKey(t, key, &wantK1)
		if n, err := s.CountAccounts(ctx); err != nil || n != 2 {
			t.Errorf("CountAccounts = %d, %v; want 2", n, err)
		}
	}
}

// testAccountConflicts checks each uniqueness rule of CreateAccount, and
// that a rejected call writes neither the account nor the key.
func testAccountConflicts(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a1, k1 := newAccount()
	if err := p.a.CreateAccount(ctx, a1, k1, nil); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	cases := []struct {
		name   string
		mutate func(a *certgate.Account, k *certgate.AccessKey)
	}{
		{"account id", func(a *certgate.Account, k *certgate.AccessKey) { a.ID, k.AccountID = a1.ID, a1.ID }},
		{"project id", func(a *certgate.Account, k *certgate.AccessKey) { a.ProjectID = a1.ProjectID }},
		{"access key id", func(a *certgate.Account, k *certgate.AccessKey) { k.ID = k1.ID }},
	}
	for _, tc := range cases {
		for i, s := range p.both() {
			a, k := newAccount()
			tc.mutate(a, k)
			what := fmt.Sprintf("handle %d: duplicate %s", i, tc.name)
			checkErr(t, s.CreateAccount(ctx, a, k, nil), certgate.EConflict, "", what)

			// Nothing of the rejected call is visible, from either handle.
			for _, s := range p.both() {
				if a.ID != a1.ID {
					_, err := s.GetAccount(ctx, a.ID)
					checkErr(t, err, certgate.ENotFound, "", what+": GetAccount of the rejected account")
				}
				if a.ProjectID != a1.ProjectID {
					_, err := s.GetAccountByProject(ctx, a.ProjectID)
					checkErr(t, err, certgate.ENotFound, "", what+": GetAccountByProject of the rejected account")
				}
				if k.ID != k1.ID {
					_, err := s.GetAccessKey(ctx, k.ID)
					checkErr(t, err, certgate.ENotFound, "", what+": GetAccessKey of the rejected key")
				}
				if n, err := s.CountAccounts(ctx); err != nil || n != 1 {
					t.Errorf("%s: CountAccounts = %d, %v; want 1", what, n, err)
				}
			}
		}
	}
	// The original is intact.
	got, err := p.b.GetAccount(ctx, a1.ID)
	if err != nil {
		t.Fatalf("GetAccount: %v", err)
	}
	checkAccount(t, got, a1)
	key, err := p.b.GetAccessKey(ctx, k1.ID)
	if err != nil {
		t.Fatalf("GetAccessKey: %v", err)
	}
	checkAccessKey(t, key, k1)
}

func testMeta(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for _, s := range p.both() {
		_, err := s.GetMeta(ctx, "missing")
		checkErr(t, err, certgate.ENotFound, "", "GetMeta of a missing key")
	}
	if v, err := p.a.PutMetaIfAbsent(ctx, "k", "v1"); err != nil || v != "v1" {
		t.Fatalf("first PutMetaIfAbsent = %q, %v; want v1", v, err)
	}
	for _, s := range p.both() {
		if v, err := s.PutMetaIfAbsent(ctx, "k", "v2"); err != nil || v != "v1" {
			t.Errorf("second PutMetaIfAbsent = %q, %v; want the earlier v1", v, err)
		}
		if v, err := s.GetMeta(ctx, "k"); err != nil || v != "v1" {
			t.Errorf("GetMeta = %q, %v; want v1", v, err)
		}
	}
	// An empty value is a value, not an absence.
	if v, err := p.b.PutMetaIfAbsent(ctx, "empty", ""); err != nil || v != "" {
		t.Fatalf("PutMetaIfAbsent of an empty value = %q, %v", v, err)
	}
	if v, err := p.a.GetMeta(ctx, "empty"); err != nil || v != "" {
		t.Errorf("GetMeta of an empty value = %q, %v; want \"\", nil", v, err)
	}
	if v, err := p.a.PutMetaIfAbsent(ctx, "empty", "now set"); err != nil || v != "" {
		t.Errorf("PutMetaIfAbsent over an empty value = %q, %v; want the earlier \"\"", v, err)
	}
	big := strings.Repeat("x", 64<<10)
	if v, err := p.a.PutMetaIfAbsent(ctx, "big", big); err != nil || v != big {
		t.Errorf("PutMetaIfAbsent of 64 KiB: %d bytes back, %v", len(v), err)
	}
}

// testContextCancelled calls every method with a cancelled context: each
// must fail promptly, and the writes must not have happened.
func testContextCancelled(t *testing.T, p *pair) {
	ctx := testCtx(t)
	k := certgate.KindServer
	c := newCert(scopeH, k)
	mustCreate(t, p.a, c, 0)
	want := c.Clone()
	a, key := newAccount()

	dead := cancelled()
	u := c.Clone()
	u.Description = "written with a cancelled context"
	fresh := newCert(scopeH, k)
	calls := []struct {
		name string
		call func(s store.Store) error
	}{
		{"CreateCertificate", func(s store.Store) error { return s.CreateCertificate(dead, fresh, 0) }},
		{"GetCertificate", func(s store.Store) error { _, err := s.GetCertificate(dead, scopeH, k, c.ID); return err }},
		{"ListCertificates", func(s store.Store) error {
			_, err := s.ListCertificates(dead, store.ListQuery{Scope: scopeH, Kind: k})
			return err
		}},
		{"CountCertificates", func(s store.Store) error {
			_, err := s.CountCertificates(dead, store.ListQuery{Scope: scopeH, Kind: k})
			return err
		}},
		{"UpdateCertificate", func(s store.Store) error { return s.UpdateCertificate(dead, u.Clone()) }},
		{"DeleteCertificate", func(s store.Store) error { return s.DeleteCertificate(dead, scopeH, k, c.ID) }},
		{"CreateAccount", func(s store.Store) error { return s.CreateAccount(dead, a, key, nil) }},
		{"GetAccount", func(s store.Store) error { _, err := s.GetAccount(dead, a.ID); return err }},
		{"GetAccountByProject", func(s store.Store) error { _, err := s.GetAccountByProject(dead, a.ProjectID); return err }},
		{"CountAccounts", func(s store.Store) error { _, err := s.CountAccounts(dead); return err }},
		{"GetAccessKey", func(s store.Store) error { _, err := s.GetAccessKey(dead, key.ID); return err }},
		{"PutMetaIfAbsent", func(s store.Store) error { _, err := s.PutMetaIfAbsent(dead, "k", "v"); return err }},
		{"GetMeta", func(s store.Store) error { _, err := s.GetMeta(dead, "k"); return err }},
		{"Ping", func(s store.Store) error { return s.Ping(dead) }},
	}
	for _, call := range calls {
		for i, s := range p.both() {
			var err error
			within(t, 10*time.Second, call.name, func() { err = call.call(s) })
			if err == nil {
				t.Errorf("handle %d: %s with a cancelled context succeeded", i, call.name)
			}
		}
	}

	// None of the writes happened.
	_, err := p.a.GetCertificate(ctx, scopeH, k, fresh.ID)
	checkErr(t, err, certgate.ENotFound, "", "certificate created with a cancelled context")
	checkCert(t, mustGet(t, p.b, scopeH, k, c.ID), want)
	_, err = p.a.GetAccount(ctx, a.ID)
	checkErr(t, err, certgate.ENotFound, "", "account created with a cancelled context")
	_, err = p.a.GetMeta(ctx, "k")
	checkErr(t, err, certgate.ENotFound, "", "meta written with a cancelled context")

	// A context that expires in the middle of a call: the call returns, and
	// if it returned an error it wrote nothing; the store still works after.
	failed := 0
	for range 20 {
		short, cancel := context.WithTimeout(ctx, 200*time.Microsecond)
		c := newCert(scopeH, k)
		var err error
		within(t, 10*time.Second, "CreateCertificate with a short deadline", func() {
			err = p.b.CreateCertificate(short, c, 0)
		})
		cancel()
		if err != nil {
			failed++
			_, err := p.a.GetCertificate(ctx, scopeH, k, c.ID)
			checkErr(t, err, certgate.ENotFound, "", "certificate whose create failed on its deadline")
		}
	}
	t.Logf("%d of 20 creates with a short deadline failed", failed)
	mustCreate(t, p.a, newCert(scopeH, k), 0)
}

// testPingClose checks Ping, and that closing one handle leaves the other
// working.
func testPingClose(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for i, s := range p.both() {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("handle %d: Ping: %v", i, err)
		}
	}
	c := newCert(scopeA, certgate.KindClient)
	mustCreate(t, p.a, c, 0)
	p.closedA = true
	if err := p.a.Close(); err != nil {
		t.Fatalf("Close(a): %v", err)
	}
	if err := p.b.Ping(ctx); err != nil {
		t.Fatalf("Ping(b) after Close(a): %v", err)
	}
	mustGet(t, p.b, scopeA, certgate.KindClient, c.ID)
	mustCreate(t, p.b, newCert(scopeA, certgate.KindClient), 0)
}
