package api

import (
	"context"
	"errors"

	"github.com/certgate/certgate"
)

// Resolver finds the account and the plaintext secret of an access key.
// *accounts.Service is one; api takes only this, so that the shared plumbing
// does not depend on a service.
type Resolver interface {
	Resolve(ctx context.Context, accessKeyID string) (*certgate.Account, string, error)
}

// Signer adapts a Resolver to a signature verifier: Lookup is the verifier's
// secret lookup, and Account names the account of a key whose signature
// verified. A request without a body resolves once (see resolved).
type Signer struct {
	keys       Resolver
	unknownKey error
	unknown    error
}

// NewSigner returns a Signer over keys. An error of keys that wraps
// unknownKey (the Resolver's sentinel) is reported as unknown, the
// verifier's own sentinel, so that each verifier answers an unknown key in
// its own terms.
func NewSigner(keys Resolver, unknownKey, unknown error) *Signer {
	return &Signer{keys: keys, unknownKey: unknownKey, unknown: unknown}
}

// Lookup is the verifier's secret lookup. It notes a key that exists for
// the prelude (NoteAccessKey), which bounds the bodies received under it.
func (s *Signer) Lookup(ctx context.Context, accessKeyID string) (string, error) {
	_, secret, err := s.resolve(ctx, accessKeyID)
	if err == nil {
		NoteAccessKey(ctx, accessKeyID)
	}
	return secret, err
}

// ReasonKeyRevoked is the Reason of the EUnauthenticated error a request
// gets when its access key was revoked after the signature was checked.
const ReasonKeyRevoked = "key_revoked"

// Account returns the account of an access key whose signature verified.
// A key revoked since the lookup (between two reads) gives EUnauthenticated
// with Reason "key_revoked": the request is refused, as it would be a moment
// later, in the dialect's terms for a failed authentication.
func (s *Signer) Account(ctx context.Context, accessKeyID string) (*certgate.Account, error) {
	a, _, err := s.resolve(ctx, accessKeyID)
	if errors.Is(err, s.unknown) {
		return nil, &certgate.Error{Code: certgate.EUnauthenticated, Reason: ReasonKeyRevoked,
			Message: "The access key was revoked", Err: err}
	}
	return a, err
}

func (s *Signer) resolve(ctx context.Context, accessKeyID string) (*certgate.Account, string, error) {
	memo, _ := ctx.Value(resolvedKey{}).(*resolved)
	if memo != nil && memo.a != nil && memo.id == accessKeyID {
		a := *memo.a
		return &a, memo.secret, nil
	}
	a, secret, err := s.keys.Resolve(ctx, accessKeyID)
	if errors.Is(err, s.unknownKey) {
		return nil, "", s.unknown
	}
	if err != nil {
		return nil, "", err
	}
	if memo != nil {
		b := *a
		memo.id, memo.a, memo.secret = accessKeyID, &b, secret
	}
	return a, secret, nil
}

// resolved is one request's resolution, so that a request without a body
// resolves its key once (one read, where it is a round trip to
// PostgreSQL), not at the lookup and again for the account: nothing lies
// between the two but the signature check. A request with a body forgets
// it once the body is in (forgetResolved), so that a key revoked while a
// body was being received is refused.
type resolved struct {
	id     string
	a      *certgate.Account
	secret string
}

type resolvedKey struct{}

func withResolved(ctx context.Context) context.Context {
	return context.WithValue(ctx, resolvedKey{}, &resolved{})
}

func forgetResolved(ctx context.Context) {
	if memo, _ := ctx.Value(resolvedKey{}).(*resolved); memo != nil {
		*memo = resolved{}
	}
	if fn, _ := ctx.Value(afterBodyKey{}).(func()); fn != nil {
		fn()
	}
}

type afterBodyKey struct{}

// WithAfterBody returns ctx carrying fn, which the prelude calls once the
// request's body is in, before it resolves the caller's key again: the
// server drops the request's read point there (store.ReadPoint.Forget),
// so that a key deleted elsewhere while the body was arriving is read
// afresh, and refused.
func WithAfterBody(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, afterBodyKey{}, fn)
}
