package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
	"github.com/certgate/certgate/store/sqlite"
)

// nodes returns Services on one database, like certgate nodes, with a
// clock the test moves.
func nodes(t *testing.T, ttls ...time.Duration) ([]*Service, *time.Time) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k, err := seal.NewMasterKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealer := seal.NewSealer(k)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var out []*Service
	for _, ttl := range ttls {
		s := New(st, sealer, WithCacheTTL(ttl))
		s.now = func() time.Time { return now }
		out = append(out, s)
	}
	return out, &now
}

func refused(t *testing.T, s *Service, akid, what string) {
	t.Helper()
	if _, _, err := s.Resolve(context.Background(), akid); !errors.Is(err, ErrUnknownAccessKey) {
		t.Errorf("%s: Resolve after revocation = %v, want ErrUnknownAccessKey", what, err)
	}
}

func accepted(t *testing.T, s *Service, akid, what string) {
	t.Helper()
	if _, _, err := s.Resolve(context.Background(), akid); err != nil {
		t.Errorf("%s: Resolve = %v, want the key still accepted", what, err)
	}
}

// TestRevocationCacheTTL: the node that revokes refuses the key at once;
// another node refuses it once its cache lifetime has passed, and not
// before (so the lifetime is really what bounds it); with the cache off,
// at once.
func TestRevocationCacheTTL(t *testing.T) {
	ss, now := nodes(t, 5*time.Second, 5*time.Second, 0)
	revoker, other, uncached := ss[0], ss[1], ss[2]
	ctx := context.Background()
	c, err := revoker.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		accepted(t, s, c.AccessKeyID, "before")
	}
	if err := revoker.DeleteAccessKey(ctx, c.Account.ID, c.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	refused(t, revoker, c.AccessKeyID, "revoking node, at once")
	refused(t, uncached, c.AccessKeyID, "node without a cache, at once")
	*now = now.Add(4 * time.Second)
	accepted(t, other, c.AccessKeyID, "other node, within its 5s cache lifetime")
	*now = now.Add(time.Second)
	refused(t, other, c.AccessKeyID, "other node, after its 5s cache lifetime")
}

// revokingStore revokes the key in the middle of the first
// GetAccessKeyAccount, after reading it: the interleaving of a request and
// a revocation.
type revokingStore struct {
	Store
	during func()
}

func (r *revokingStore) GetAccessKeyAccount(ctx context.Context, id string) (*certgate.AccessKey, *certgate.Account, error) {
	k, a, err := r.Store.GetAccessKeyAccount(ctx, id)
	if f := r.during; f != nil {
		r.during = nil
		f()
	}
	return k, a, err
}

// TestRevocationCacheRace: a Resolve that read the key just before a
// revocation answers with it once, but does not put it back into the
// cache after the purge, where it would live for the whole lifetime.
func TestRevocationCacheRace(t *testing.T) {
	ss, _ := nodes(t, time.Hour)
	ctx := context.Background()
	c, err := ss[0].Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	rs := &revokingStore{Store: ss[0].store}
	s := New(rs, ss[0].sealer, WithCacheTTL(time.Hour))
	rs.during = func() {
		if err := s.DeleteAccessKey(ctx, c.Account.ID, c.AccessKeyID); err != nil {
			t.Error(err)
		}
	}
	accepted(t, s, c.AccessKeyID, "the request that raced with the revocation")
	refused(t, s, c.AccessKeyID, "the next request")
}

func TestAccessKeyLifecycle(t *testing.T) {
	ss, now := nodes(t, time.Hour)
	s := ss[0]
	ctx := context.Background()
	c, err := s.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	*now = now.Add(time.Second) // list order is creation order
	k2, err := s.CreateAccessKey(ctx, c.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k2.AccountID != c.Account.ID || len(k2.SecretAccessKey) != 40 || !strings.HasPrefix(k2.AccessKeyID, "CGAK") {
		t.Errorf("CreateAccessKey = %+v", k2)
	}
	if a, secret, err := s.Resolve(ctx, k2.AccessKeyID); err != nil || secret != k2.SecretAccessKey || a.ID != c.Account.ID {
		t.Errorf("the second key does not resolve to its account: %v", err)
	}
	_, err = s.CreateAccessKey(ctx, c.Account.ID)
	if e := certgate.AsError(err); e == nil || e.Code != certgate.ELimitExceeded || !strings.Contains(e.Message, "(2)") {
		t.Errorf("third key: %v, want ELimitExceeded naming the limit", err)
	}
	for _, id := range []string{"123", "99999999999x"} {
		if _, err := s.CreateAccessKey(ctx, id); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("CreateAccessKey(%q): %v, want EInvalid", id, err)
		}
	}
	if _, err := s.CreateAccessKey(ctx, "999999999999"); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("CreateAccessKey(unknown account): %v, want ENotFound", err)
	}
	ks, err := s.ListAccessKeys(ctx, c.Account.ID)
	if err != nil || len(ks) != 2 || ks[0].ID != c.AccessKeyID || ks[1].ID != k2.AccessKeyID || ks[0].SecretSealed != nil {
		t.Errorf("ListAccessKeys = %v, %v", ks, err)
	}

	tok, _, err := s.CreateToken(ctx, c.AccessKeyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok2, _, err := s.CreateToken(ctx, k2.AccessKeyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Tenant scoping: another account's id cannot revoke the key.
	if err := s.DeleteAccessKey(ctx, other.Account.ID, c.AccessKeyID); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("delete through another account: %v, want ENotFound", err)
	}
	accepted(t, s, c.AccessKeyID, "after a refused delete")
	if err := s.DeleteAccessKey(ctx, c.Account.ID, c.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	refused(t, s, c.AccessKeyID, "deleted key")
	if _, err := s.ResolveToken(ctx, tok); !isTokenError(err, errTokenInvalid()) {
		t.Errorf("token of the deleted key: %v, want the token_invalid error", err)
	}
	if _, err := s.ResolveToken(ctx, tok2); err != nil {
		t.Errorf("token of the remaining key: %v", err)
	}
}

func TestRevokeToken(t *testing.T) {
	ss, _ := nodes(t, time.Hour)
	s := ss[0]
	ctx := context.Background()
	c, err := s.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	tok1, _, err := s.CreateToken(ctx, c.AccessKeyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	tok2, exp2, err := s.CreateToken(ctx, c.AccessKeyID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := s.ListTokens(ctx, c.Account.ID)
	if err != nil || len(ts) != 2 {
		t.Fatalf("ListTokens = %v, %v", ts, err)
	}
	if _, err := s.RevokeToken(ctx, "not-a-token"); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("RevokeToken(garbage): %v", err)
	}
	if got, err := s.RevokeToken(ctx, tok1); err != nil || got.AccountID != c.Account.ID {
		t.Fatalf("RevokeToken: %v %v", got, err)
	}
	if _, err := s.ResolveToken(ctx, tok1); !isTokenError(err, errTokenInvalid()) {
		t.Errorf("revoked token: %v, want the token_invalid error", err)
	}
	if _, err := s.RevokeToken(ctx, tok1); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("revoke twice: %v", err)
	}
	var h2 string
	for _, x := range ts {
		if x.ExpiresAt.Equal(exp2) {
			h2 = x.Hash
		}
	}
	for _, p := range []string{h2[:7], "zzzzzzzz", h2 + "0"} {
		if _, err := s.RevokeTokenPrefix(ctx, p); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("RevokeTokenPrefix(%q): %v, want EInvalid", p, err)
		}
	}
	if got, err := s.RevokeTokenPrefix(ctx, strings.ToUpper(h2[:12])); err != nil || got.Hash != h2 {
		t.Fatalf("RevokeTokenPrefix: %v %v", got, err)
	}
	if _, err := s.ResolveToken(ctx, tok2); !isTokenError(err, errTokenInvalid()) {
		t.Errorf("token revoked by prefix: %v, want the token_invalid error", err)
	}
}

func TestDeleteAccount(t *testing.T) {
	ss, _ := nodes(t, time.Hour)
	s := ss[0]
	ctx := context.Background()
	c, err := s.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	cert := &certgate.Certificate{ID: "cert1", Scope: certgate.Scope{AccountID: c.Account.ID, Region: "eu-west-1"},
		Kind: certgate.KindClient, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.store.(store.Certificates).CreateCertificate(ctx, cert, 0); err != nil {
		t.Fatal(err)
	}
	accepted(t, s, c.AccessKeyID, "before") // now cached for an hour
	err = s.Delete(ctx, c.Account.ID, false)
	if e := certgate.AsError(err); e == nil || e.Code != certgate.EConflict || !strings.Contains(e.Message, "1 certificate") || !strings.Contains(e.Message, "--force") {
		t.Errorf("Delete(not empty) = %v", err)
	}
	accepted(t, s, c.AccessKeyID, "after a refused delete")
	if err := s.Delete(ctx, c.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	refused(t, s, c.AccessKeyID, "deleted account")
	if err := s.Delete(ctx, c.Account.ID, true); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("delete twice: %v", err)
	}
	if as, err := s.List(ctx); err != nil || len(as) != 0 {
		t.Errorf("List after delete = %v, %v", as, err)
	}
}

// goneAccountStore answers as for a key whose account was deleted while
// it resolves: the key and its account, read together, are not found.
type goneAccountStore struct{ Store }

func (goneAccountStore) GetAccessKeyAccount(context.Context, string) (*certgate.AccessKey, *certgate.Account, error) {
	return nil, nil, certgate.Errorf(certgate.ENotFound, "access key not found")
}

// A key whose account disappears while it resolves is an unknown key (so
// the dialects answer UnrecognizedClient / APIGW.0301), not a not-found
// error that a dialect would answer as a missing certificate.
func TestResolveAccountDeletedMeanwhile(t *testing.T) {
	ss, _ := nodes(t, 0)
	ctx := context.Background()
	c, err := ss[0].Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	s := New(goneAccountStore{ss[0].store}, ss[0].sealer, WithCacheTTL(0))
	if _, _, err := s.Resolve(ctx, c.AccessKeyID); !errors.Is(err, ErrUnknownAccessKey) {
		t.Fatalf("Resolve with the account gone: %v, want ErrUnknownAccessKey", err)
	}
}
