package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store/sqlite"
)

func newService(t *testing.T) *Service {
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
	return New(st, seal.NewSealer(k))
}

func TestCreateAndResolve(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	c, err := s.Create(ctx, CreateInput{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[1-9][0-9]{11}$`).MatchString(c.Account.ID) ||
		!regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(c.Account.ProjectID) ||
		!regexp.MustCompile(`^CGAK[A-Z2-7]{16}$`).MatchString(c.AccessKeyID) || len(c.SecretAccessKey) != 40 {
		t.Errorf("created %+v %s %d", c.Account, c.AccessKeyID, len(c.SecretAccessKey))
	}
	a, secret, err := s.Resolve(ctx, c.AccessKeyID)
	if err != nil || secret != c.SecretAccessKey || a.ID != c.Account.ID {
		t.Fatalf("Resolve: %v %v", a, err)
	}
	// Cached: a second resolve returns a copy the caller may change.
	a.Name = "changed"
	a2, _, _ := s.Resolve(ctx, c.AccessKeyID)
	if a2.Name != "team" {
		t.Error("the cache returned a shared account")
	}
	if _, _, err := s.Resolve(ctx, "CGAKAAAAAAAAAAAAAAAA"); !errors.Is(err, ErrUnknownAccessKey) {
		t.Errorf("unknown key: %v", err)
	}
	for _, in := range []CreateInput{{AccountID: "123"}, {ProjectID: "XYZ"}, {AccountID: "12345678901a"}} {
		if _, err := s.Create(ctx, in); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("%+v: %v", in, err)
		}
	}
	if _, err := s.Create(ctx, CreateInput{AccountID: c.Account.ID}); certgate.ErrorCode(err) != certgate.EConflict {
		t.Errorf("duplicate account id: %v", err)
	}
}

func TestTokens(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	c, err := s.Create(ctx, CreateInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ttl := range []time.Duration{time.Second, 8 * 24 * time.Hour, -time.Hour} {
		if _, _, err := s.CreateToken(ctx, c.AccessKeyID, ttl); certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("ttl %v: %v", ttl, err)
		}
	}
	if _, _, err := s.CreateToken(ctx, "CGAKAAAAAAAAAAAAAAAA", 0); certgate.ErrorCode(err) != certgate.ENotFound {
		t.Errorf("unknown key: %v", err)
	}
	tok, exp, err := s.CreateToken(ctx, c.AccessKeyID, 0)
	if err != nil || time.Until(exp) < 23*time.Hour {
		t.Fatalf("default token: %v %v", exp, err)
	}
	if a, err := s.ResolveToken(ctx, tok); err != nil || a.ID != c.Account.ID {
		t.Errorf("ResolveToken: %v %v", a, err)
	}
	for tok, want := range map[string]string{"": "token_missing", "cgt_short": "token_invalid", tok + "x": "token_invalid"} {
		_, err := s.ResolveToken(ctx, tok)
		if e := certgate.AsError(err); e == nil || e.Reason != want {
			t.Errorf("%q: %v, want %s", tok, err, want)
		}
	}
	// Time passes beyond the token's life.
	s.now = func() time.Time { return exp.Add(time.Second) }
	if _, err := s.ResolveToken(ctx, tok); certgate.AsError(err) == nil || certgate.AsError(err).Reason != "token_expired" {
		t.Errorf("expired: %v", err)
	}
}
