package api

import (
	"context"
	"errors"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
)

// Signer adapts access-key resolution to a signature verifier's lookup
// function, and remembers which account the key belonged to, so that a
// request resolves its key once.
type Signer struct {
	accounts *accounts.Service
	unknown  error
}

// NewSigner returns a Signer whose lookup reports an unknown key as unknown,
// the verifier's own sentinel error.
func NewSigner(a *accounts.Service, unknown error) *Signer {
	return &Signer{accounts: a, unknown: unknown}
}

type signedByKey struct{}

type signedBy struct{ account *certgate.Account }

// Track returns a context for one verification; after it, Account reports the
// account whose key verified.
func (s *Signer) Track(ctx context.Context) (context.Context, func() *certgate.Account) {
	h := &signedBy{}
	return context.WithValue(ctx, signedByKey{}, h), func() *certgate.Account { return h.account }
}

// Lookup is the verifier's secret lookup.
func (s *Signer) Lookup(ctx context.Context, accessKeyID string) (string, error) {
	a, secret, err := s.accounts.Resolve(ctx, accessKeyID)
	if errors.Is(err, accounts.ErrUnknownAccessKey) {
		return "", s.unknown
	}
	if err != nil {
		return "", err
	}
	if h, ok := ctx.Value(signedByKey{}).(*signedBy); ok {
		h.account = a
	}
	return secret, nil
}
