package accounts

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// isTokenError reports whether err is, unwrapped, a token error equal to
// want in every field: what comparing with a shared error value checked.
func isTokenError(err, want error) bool {
	e, ok := err.(*certgate.Error)
	w := want.(*certgate.Error)
	return ok && *e == *w
}

// A token error one caller receives is its own: changing it (as a
// middleware annotating an error might) must not change what the next
// request is told. The shared package-level values of before failed this.
func TestTokenErrorsAreNotShared(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	c, err := s.Create(ctx, CreateInput{Name: "tenant"})
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := s.CreateToken(ctx, c.AccessKeyID, 0)
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, err := NewToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	expired := func(context.Context, string) (*certgate.Account, error) {
		old := s.now
		s.now = func() time.Time { return exp.Add(time.Second) }
		defer func() { s.now = old }()
		return s.ResolveToken(ctx, tok)
	}
	missing := certgate.Error{Code: certgate.EUnauthenticated, Reason: ReasonTokenMissing, Message: "Token missing"}
	invalid := certgate.Error{Code: certgate.EUnauthenticated, Reason: ReasonTokenInvalid, Message: "Incorrect token or token resolution failed"}
	expiredErr := certgate.Error{Code: certgate.EUnauthenticated, Reason: ReasonTokenExpired, Message: "The token has expired"}
	for _, tc := range []struct {
		name    string
		resolve func() error
		want    certgate.Error
	}{
		{"missing", func() error { _, err := s.ResolveToken(ctx, ""); return err }, missing},
		{"malformed", func() error { _, err := s.ResolveToken(ctx, "cgt_short"); return err }, invalid},
		{"unknown", func() error { _, err := s.ResolveToken(ctx, unknown); return err }, invalid},
		{"expired", func() error { _, err := expired(ctx, tok); return err }, expiredErr},
	} {
		first := tc.resolve()
		e := certgate.AsError(first)
		if e == nil || !isTokenError(first, &tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, first, tc.want)
		}
		e.Reason, e.Message, e.Code = "changed", "changed", certgate.EInternal
		if again := tc.resolve(); !isTokenError(again, &tc.want) {
			t.Errorf("%s: after a caller changed its error, the next caller got %v, want %v", tc.name, again, tc.want)
		}
	}
	if errTokenInvalid() == errTokenInvalid() {
		t.Error("errTokenInvalid returns one shared value")
	}
}
