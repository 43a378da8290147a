package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/certgate/certgate"
)

// Token lifetimes. Huawei IAM tokens live 24 hours; certgate defaults to the
// same and refuses more than a week, so a leaked token cannot outlive a
// routine credential review.
const (
	DefaultTokenTTL = 24 * time.Hour
	MaxTokenTTL     = 7 * 24 * time.Hour
	MinTokenTTL     = time.Minute
)

// Reasons of the token errors ResolveToken returns, told apart because
// Huawei answers each with its own code.
const (
	ReasonTokenMissing = "token_missing"
	ReasonTokenExpired = "token_expired"
	ReasonTokenInvalid = "token_invalid"
)

// The token errors are made fresh for each call, never shared: a
// *certgate.Error has exported fields, and a package-level one could be
// changed by any holder for every later request. Compare them by Reason.
func errTokenMissing() error { return tokenError(ReasonTokenMissing, "Token missing") }
func errTokenExpired() error { return tokenError(ReasonTokenExpired, "The token has expired") }
func errTokenInvalid() error {
	return tokenError(ReasonTokenInvalid, "Incorrect token or token resolution failed")
}

func tokenError(reason, msg string) error {
	return &certgate.Error{Code: certgate.EUnauthenticated, Reason: reason, Message: msg}
}

// CreateToken issues an X-Auth-Token for an access key. Only its hash is
// stored; the token is returned once.
func (s *Service) CreateToken(ctx context.Context, accessKeyID string, ttl time.Duration) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < MinTokenTTL || ttl > MaxTokenTTL {
		return "", time.Time{}, certgate.Errorf(certgate.EInvalid, "the token lifetime must be between %v and %v", MinTokenTTL, MaxTokenTTL)
	}
	k, err := s.store.GetAccessKey(ctx, accessKeyID)
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return "", time.Time{}, certgate.Errorf(certgate.ENotFound, "access key %s does not exist", accessKeyID)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	token, hash, err := NewToken(s.random)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("new token: %w", err)
	}
	now := s.now().UTC()
	t := &certgate.Token{Hash: hash, AccessKeyID: k.ID, AccountID: k.AccountID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", time.Time{}, err
	}
	return token, t.ExpiresAt, nil
}

// ResolveToken returns the account a presented token belongs to, or an
// EUnauthenticated error whose Reason is ReasonTokenMissing,
// ReasonTokenExpired or ReasonTokenInvalid.
func (s *Service) ResolveToken(ctx context.Context, token string) (*certgate.Account, error) {
	if token == "" {
		return nil, errTokenMissing()
	}
	if !LooksLikeToken(token) {
		return nil, errTokenInvalid()
	}
	t, err := s.store.GetToken(ctx, HashToken(token))
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, errTokenInvalid()
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, errTokenExpired()
	}
	return s.store.GetAccount(ctx, t.AccountID)
}
