package storetest

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Revocation: more access keys per account, and deleting keys, tokens and
// accounts.

// maxKeys is the limit the suite passes to CreateAccessKey, as certgate does.
const maxKeys = 2

// extraKey returns another access key of account a.
func extraKey(a *certgate.Account, offset time.Duration) *certgate.AccessKey {
	_, k := newAccount()
	k.AccountID = a.ID
	k.CreatedAt = base.Add(offset)
	return k
}

func newToken(k *certgate.AccessKey, hash string) *certgate.Token {
	return &certgate.Token{Hash: hash, AccessKeyID: k.ID, AccountID: k.AccountID,
		CreatedAt: base.Add(time.Minute).Truncate(time.Microsecond), ExpiresAt: base.Add(24 * time.Hour).Truncate(time.Microsecond)}
}

func mustAccount(t *testing.T, s store.Store) (*certgate.Account, *certgate.AccessKey) {
	t.Helper()
	a, k := newAccount()
	if err := s.CreateAccount(testCtx(t), a, k, nil); err != nil {
		t.Fatalf("CreateAccount: %v", err)
	}
	return a, k
}

func mustToken(t *testing.T, s store.Store, tok *certgate.Token) {
	t.Helper()
	if err := s.CreateToken(testCtx(t), tok); err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
}

func keyIDs(ks []*certgate.AccessKey) []string {
	var out []string
	for _, k := range ks {
		out = append(out, k.ID)
	}
	return out
}

// testAccessKeys: a second key is added, a third is over the limit, list
// shows ids without secrets, and delete is scoped to the account and takes
// the key's tokens with it.
func testAccessKeys(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a, k1 := mustAccount(t, p.a)
	other, otherKey := mustAccount(t, p.a)

	k2 := extraKey(a, time.Hour)
	if err := p.b.CreateAccessKey(ctx, k2, maxKeys); err != nil {
		t.Fatalf("CreateAccessKey (second): %v", err)
	}
	for i, s := range p.both() {
		got, err := s.GetAccessKey(ctx, k2.ID)
		if err != nil {
			t.Fatalf("handle %d: GetAccessKey(second): %v", i, err)
		}
		checkAccessKey(t, got, k2)
	}
	checkErr(t, p.a.CreateAccessKey(ctx, extraKey(a, 2*time.Hour), maxKeys), certgate.ELimitExceeded, "access_keys", "third key")
	checkErr(t, p.a.CreateAccessKey(ctx, extraKey(&certgate.Account{ID: "999999999999"}, 0), maxKeys), certgate.ENotFound, "", "key of an unknown account")
	dup := extraKey(other, 0)
	dup.ID = k1.ID
	checkErr(t, p.a.CreateAccessKey(ctx, dup, 0), certgate.EConflict, "", "duplicate key id")

	for i, s := range p.both() {
		ks, err := s.ListAccessKeys(ctx, a.ID)
		if err != nil {
			t.Fatalf("handle %d: ListAccessKeys: %v", i, err)
		}
		if got, want := strings.Join(keyIDs(ks), ","), k1.ID+","+k2.ID; got != want {
			t.Errorf("handle %d: ListAccessKeys = %s, want %s (created order)", i, got, want)
		}
		for _, k := range ks {
			if len(k.SecretSealed) != 0 || k.SealKeyID != "" || k.AccountID != a.ID || k.CreatedAt.Location() != time.UTC {
				t.Errorf("handle %d: listed key %+v: want no secret, account %s, UTC time", i, k, a.ID)
			}
		}
	}
	if ks, err := p.a.ListAccessKeys(ctx, other.ID); err != nil || len(ks) != 1 || ks[0].ID != otherKey.ID {
		t.Errorf("ListAccessKeys(other) = %v, %v; want only its own key", keyIDs(ks), err)
	}
	_, err := p.a.ListAccessKeys(ctx, "999999999999")
	checkErr(t, err, certgate.ENotFound, "", "list keys of an unknown account")

	t1, t2 := newToken(k1, newID("h")), newToken(k2, newID("h"))
	mustToken(t, p.a, t1)
	mustToken(t, p.a, t2)

	// Another tenant's account id cannot delete the key, nor its tokens.
	checkErr(t, p.b.DeleteAccessKey(ctx, other.ID, k1.ID), certgate.ENotFound, "", "delete with the wrong account")
	if _, err := p.a.GetAccessKey(ctx, k1.ID); err != nil {
		t.Fatalf("key deleted through the wrong account: %v", err)
	}
	if _, err := p.a.GetToken(ctx, t1.Hash); err != nil {
		t.Fatalf("token deleted through the wrong account: %v", err)
	}

	if err := p.b.DeleteAccessKey(ctx, a.ID, k1.ID); err != nil {
		t.Fatalf("DeleteAccessKey: %v", err)
	}
	for i, s := range p.both() {
		_, err := s.GetAccessKey(ctx, k1.ID)
		checkErr(t, err, certgate.ENotFound, "", fmt.Sprintf("handle %d: deleted key", i))
		_, err = s.GetToken(ctx, t1.Hash)
		checkErr(t, err, certgate.ENotFound, "", fmt.Sprintf("handle %d: token of the deleted key", i))
		if _, err := s.GetToken(ctx, t2.Hash); err != nil {
			t.Errorf("handle %d: token of the other key: %v", i, err)
		}
	}
	checkErr(t, p.a.DeleteAccessKey(ctx, a.ID, k1.ID), certgate.ENotFound, "", "delete twice")
	checkErr(t, p.a.CreateToken(ctx, newToken(k1, newID("h"))), certgate.ENotFound, "", "token for a deleted key")
	// The slot is free again.
	if err := p.a.CreateAccessKey(ctx, extraKey(a, 3*time.Hour), maxKeys); err != nil {
		t.Errorf("CreateAccessKey after a delete: %v", err)
	}
	// The last key may go; the account stays.
	if err := p.a.DeleteAccessKey(ctx, other.ID, otherKey.ID); err != nil {
		t.Fatalf("delete the last key: %v", err)
	}
	if ks, err := p.b.ListAccessKeys(ctx, other.ID); err != nil || len(ks) != 0 {
		t.Errorf("ListAccessKeys after deleting the last key = %v, %v; want empty", keyIDs(ks), err)
	}
	if _, err := p.b.GetAccount(ctx, other.ID); err != nil {
		t.Errorf("account after deleting its last key: %v", err)
	}
}

// testAccessKeyRace: both handles add keys to one account at once; exactly
// enough to reach the limit win, the others see ELimitExceeded.
func testAccessKeyRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	const tries = 20
	for round := range 3 {
		a, _ := mustAccount(t, p.a)
		errs := make([]error, tries)
		runConcurrently(tries, func(i int) {
			errs[i] = p.both()[i%2].CreateAccessKey(ctx, extraKey(a, time.Duration(i)*time.Second), maxKeys)
		})
		won := 0
		for i, err := range errs {
			switch certgate.ErrorCode(err) {
			case "":
				won++
			case certgate.ELimitExceeded:
			default:
				t.Errorf("round %d: create %d: %v, want nil or %s", round, i, err, certgate.ELimitExceeded)
			}
		}
		if won != maxKeys-1 {
			t.Errorf("round %d: %d concurrent creates won, want %d", round, won, maxKeys-1)
		}
		for i, s := range p.both() {
			if ks, err := s.ListAccessKeys(ctx, a.ID); err != nil || len(ks) != maxKeys {
				t.Errorf("round %d, handle %d: %d keys (%v), want %d", round, i, len(ks), err, maxKeys)
			}
		}
	}
}

// testTokenRevocation: tokens are listed per account and deleted by hash
// or by an unambiguous prefix.
func testTokenRevocation(t *testing.T, p *pair) {
	ctx := testCtx(t)
	a, k := mustAccount(t, p.a)
	other, otherKey := mustAccount(t, p.a)
	stem := newID("")
	t1, t2, t3 := newToken(k, stem+"0a"), newToken(k, stem+"0b"), newToken(k, newID("f"))
	t2.CreatedAt = t1.CreatedAt.Add(time.Second)
	t3.CreatedAt = t1.CreatedAt.Add(2 * time.Second)
	t3.ExpiresAt = base.Add(-time.Hour).Truncate(time.Microsecond) // expired tokens are listed too
	theirs := newToken(otherKey, newID("e"))
	for _, tok := range []*certgate.Token{t3, t1, t2, theirs} {
		mustToken(t, p.a, tok)
	}
	for i, s := range p.both() {
		ts, err := s.ListTokens(ctx, a.ID)
		if err != nil {
			t.Fatalf("handle %d: ListTokens: %v", i, err)
		}
		var got []string
		for _, x := range ts {
			got = append(got, x.Hash)
		}
		if want := []string{t1.Hash, t2.Hash, t3.Hash}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("handle %d: ListTokens = %v, want %v", i, got, want)
		}
		if len(ts) == 3 && (!ts[2].ExpiresAt.Equal(t3.ExpiresAt) || ts[2].AccessKeyID != k.ID ||
			ts[2].AccountID != a.ID || ts[2].ExpiresAt.Location() != time.UTC) {
			t.Errorf("handle %d: listed token %+v, want %+v", i, ts[2], t3)
		}
	}
	_, err := p.a.ListTokens(ctx, "999999999999")
	checkErr(t, err, certgate.ENotFound, "", "list tokens of an unknown account")

	_, err = p.a.DeleteToken(ctx, stem)
	checkErr(t, err, certgate.EConflict, "ambiguous", "ambiguous prefix")
	_, err = p.a.DeleteToken(ctx, "%")
	checkErr(t, err, certgate.ENotFound, "", "a LIKE wildcard is a plain character")
	_, err = p.a.DeleteToken(ctx, "")
	checkErr(t, err, certgate.EInvalid, "", "empty prefix")
	_, err = p.a.DeleteToken(ctx, newID("absent"))
	checkErr(t, err, certgate.ENotFound, "", "unknown hash")
	for _, tok := range []*certgate.Token{t1, t2, t3} {
		if _, err := p.b.GetToken(ctx, tok.Hash); err != nil {
			t.Fatalf("a failed delete removed a token: %v", err)
		}
	}

	got, err := p.b.DeleteToken(ctx, t1.Hash)
	if err != nil || got.Hash != t1.Hash || got.AccountID != a.ID {
		t.Fatalf("DeleteToken(full hash) = %+v, %v", got, err)
	}
	got, err = p.b.DeleteToken(ctx, stem) // no longer ambiguous
	if err != nil || got.Hash != t2.Hash {
		t.Fatalf("DeleteToken(prefix) = %+v, %v; want %s", got, err, t2.Hash)
	}
	for i, s := range p.both() {
		for _, h := range []string{t1.Hash, t2.Hash} {
			_, err := s.GetToken(ctx, h)
			checkErr(t, err, certgate.ENotFound, "", fmt.Sprintf("handle %d: deleted token", i))
		}
		if ts, err := s.ListTokens(ctx, other.ID); err != nil || len(ts) != 1 {
			t.Errorf("handle %d: the other account's tokens: %d, %v", i, len(ts), err)
		}
	}
}

// testAccountDelete: an account with certificates is kept unless forced;
// forced, everything it owns goes in one step and its quota starts afresh.
func testAccountDelete(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for i, s := range p.both() {
		if as, err := s.ListAccounts(ctx); err != nil || len(as) != 0 {
			t.Fatalf("handle %d: ListAccounts of an empty store = %d, %v", i, len(as), err)
		}
	}
	a, k := newAccount()
	a.CreatedAt = base.Add(time.Hour)
	if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
		t.Fatal(err)
	}
	empty, emptyKey := mustAccount(t, p.a) // both created at base: listed before a
	bystander, _ := mustAccount(t, p.a)
	for i, s := range p.both() {
		as, err := s.ListAccounts(ctx)
		if err != nil || len(as) < 3 {
			t.Fatalf("handle %d: ListAccounts = %d, %v", i, len(as), err)
		}
		if as[len(as)-1].ID != a.ID {
			t.Errorf("handle %d: ListAccounts is not in (CreatedAt, ID) order", i)
		}
		for j := 1; j < len(as)-1; j++ {
			if as[j-1].ID > as[j].ID {
				t.Errorf("handle %d: ListAccounts is not in (CreatedAt, ID) order", i)
			}
		}
		checkAccount(t, as[len(as)-1], a)
	}

	k2 := extraKey(a, time.Hour)
	if err := p.a.CreateAccessKey(ctx, k2, maxKeys); err != nil {
		t.Fatal(err)
	}
	tok := newToken(k2, newID("h"))
	mustToken(t, p.a, tok)
	scopes := []struct {
		scope certgate.Scope
		kind  certgate.Kind
	}{
		{certgate.Scope{AccountID: a.ID, Region: "eu-west-1"}, certgate.KindClient},
		{certgate.Scope{AccountID: a.ID, Region: "us-east-1"}, certgate.KindClient},
		{certgate.Scope{AccountID: a.ID, Region: ""}, certgate.KindServer},
	}
	var certs []*certgate.Certificate
	for _, sc := range scopes {
		c := newCert(sc.scope, sc.kind)
		mustCreate(t, p.a, c, 1)
		certs = append(certs, c)
	}
	theirs := newCert(certgate.Scope{AccountID: bystander.ID, Region: "eu-west-1"}, certgate.KindClient)
	mustCreate(t, p.a, theirs, 0)

	err := p.b.DeleteAccount(ctx, a.ID, false)
	checkErr(t, err, certgate.EConflict, "not_empty", "delete an account with certificates")
	if e := certgate.AsError(err); e != nil && !strings.Contains(e.Message, "3") {
		t.Errorf("refusal %q does not say how many certificates remain", e.Message)
	}
	if _, err := p.a.GetAccount(ctx, a.ID); err != nil {
		t.Fatalf("refused delete removed the account: %v", err)
	}
	for _, c := range certs {
		mustGet(t, p.a, c.Scope, c.Kind, c.ID)
	}
	if _, err := p.a.GetToken(ctx, tok.Hash); err != nil {
		t.Fatalf("refused delete removed a token: %v", err)
	}

	if err := p.b.DeleteAccount(ctx, a.ID, true); err != nil {
		t.Fatalf("DeleteAccount(force): %v", err)
	}
	for i, s := range p.both() {
		what := fmt.Sprintf("handle %d: after a forced delete", i)
		_, err := s.GetAccount(ctx, a.ID)
		checkErr(t, err, certgate.ENotFound, "", what+": account")
		_, err = s.GetAccessKey(ctx, k.ID)
		checkErr(t, err, certgate.ENotFound, "", what+": first key")
		_, err = s.GetAccessKey(ctx, k2.ID)
		checkErr(t, err, certgate.ENotFound, "", what+": second key")
		_, err = s.GetToken(ctx, tok.Hash)
		checkErr(t, err, certgate.ENotFound, "", what+": token")
		for _, c := range certs {
			_, err = s.GetCertificate(ctx, c.Scope, c.Kind, c.ID)
			checkErr(t, err, certgate.ENotFound, "", what+": certificate")
		}
		mustGet(t, s, theirs.Scope, theirs.Kind, theirs.ID)
		if _, err := s.GetAccount(ctx, bystander.ID); err != nil {
			t.Errorf("%s: another account: %v", what, err)
		}
	}
	checkErr(t, p.a.DeleteAccount(ctx, a.ID, true), certgate.ENotFound, "", "delete twice")

	// A request authenticated before the delete (its key still cached on a
	// node) cannot leave a certificate behind for the deleted account.
	for i, s := range p.both() {
		late := newCert(scopes[i%len(scopes)].scope, scopes[i%len(scopes)].kind)
		checkErr(t, s.CreateCertificate(ctx, late, 0), certgate.ENotFound, store.ReasonDeletedAccount,
			fmt.Sprintf("handle %d: create a certificate for a deleted account", i))
		if _, err := p.a.GetCertificate(ctx, late.Scope, late.Kind, late.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("handle %d: a refused create wrote: %v", i, err)
		}
	}
	// And the id is never reused.
	a2, k3 := newAccount()
	a2.ID, k3.AccountID = a.ID, a.ID
	checkErr(t, p.a.CreateAccount(ctx, a2, k3, nil), certgate.EConflict, store.ReasonDeletedAccount, "re-create a deleted account id")
	for i, s := range p.both() {
		if _, err := s.GetAccount(ctx, a.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("handle %d: a refused re-create left an account: %v", i, err)
		}
		if _, err := s.GetAccessKey(ctx, k3.ID); certgate.ErrorCode(err) != certgate.ENotFound {
			t.Errorf("handle %d: a refused re-create left its access key: %v", i, err)
		}
	}

	// An account without certificates goes without force.
	if err := p.a.DeleteAccount(ctx, empty.ID, false); err != nil {
		t.Fatalf("delete an account without certificates: %v", err)
	}
	_, err = p.b.GetAccessKey(ctx, emptyKey.ID)
	checkErr(t, err, certgate.ENotFound, "", "key of the deleted account")
}

// testAccountDeleteRace races certificate creates on one handle with a
// forced delete of their account on the other: whatever the interleaving,
// no certificate of the deleted account survives (a create either commits
// before the delete, which then removes it, or fails).
func testAccountDeleteRace(t *testing.T, p *pair) {
	ctx := testCtx(t)
	for round := range 5 {
		a, k := newAccount()
		if err := p.a.CreateAccount(ctx, a, k, nil); err != nil {
			t.Fatal(err)
		}
		regions := []string{"eu-west-1", "us-east-1", "ap-south-1", ""}
		var wg sync.WaitGroup
		var created atomic.Int64
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := newCert(certgate.Scope{AccountID: a.ID, Region: regions[i%len(regions)]}, certgate.KindClient)
				err := p.b.CreateCertificate(ctx, c, 0)
				switch {
				case err == nil:
					created.Add(1)
				case certgate.ErrorCode(err) == certgate.ENotFound:
				default:
					t.Errorf("round %d: create: %v", round, err)
				}
			}()
		}
		if err := p.a.DeleteAccount(ctx, a.ID, true); err != nil {
			t.Fatalf("round %d: delete: %v", round, err)
		}
		wg.Wait()
		for _, region := range regions {
			n, err := p.a.CountCertificates(ctx, store.ListQuery{Scope: certgate.Scope{AccountID: a.ID, Region: region}, Kind: certgate.KindClient})
			if err != nil || n != 0 {
				t.Fatalf("round %d: %d certificates of the deleted account survive in %q (%v); %d creates succeeded", round, n, region, err, created.Load())
			}
		}
	}
}
