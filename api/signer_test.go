package api

import (
	"context"
	"testing"

	"github.com/certgate/certgate"
)

// TestSignerResolvesOncePerRequest: in one request (the prelude's
// context) the lookup and Account share one resolution; once a body was
// received (forgetResolved) Account resolves again, so a key revoked
// meanwhile is refused. Without the request's context, every call
// resolves.
func TestSignerResolvesOncePerRequest(t *testing.T) {
	f := &fakeResolver{revoked: true}
	s := NewSigner(f, errNoSuchKey, errVerifierUnknown)
	ctx := withResolved(context.Background())
	if _, err := s.Lookup(ctx, "AK"); err != nil {
		t.Fatal(err)
	}
	a, err := s.Account(ctx, "AK")
	if err != nil || a.ID != "111" || f.calls != 1 {
		t.Fatalf("bodiless request: Account = %v, %v after %d resolutions; want 111 after 1", a, err, f.calls)
	}
	a.ID = "changed" // the caller's copy
	if a, _ := s.Account(ctx, "AK"); a == nil || a.ID != "111" {
		t.Errorf("the memo was changed through a returned account: %v", a)
	}
	if _, err := s.Lookup(ctx, "OTHER"); err != errVerifierUnknown || f.calls != 2 {
		t.Errorf("another key in the same context: %v after %d resolutions", err, f.calls)
	}

	f = &fakeResolver{revoked: true}
	s = NewSigner(f, errNoSuchKey, errVerifierUnknown)
	ctx = withResolved(context.Background())
	if _, err := s.Lookup(ctx, "AK"); err != nil {
		t.Fatal(err)
	}
	forgetResolved(ctx)
	_, err = s.Account(ctx, "AK")
	if e := certgate.AsError(err); e == nil || e.Reason != ReasonKeyRevoked || f.calls != 2 {
		t.Errorf("after a body: Account = %v after %d resolutions; want key_revoked after 2", err, f.calls)
	}
}
