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

// Token errors, told apart because Huawei answers each with its own code.
var (
	ErrTokenMissing = certgate.Errorf(certgate.EUnauthenticated, "Token missing")
	ErrTokenExpired = certgate.Errorf(certgate.EUnauthenticated, "The token has expired")
	ErrTokenInvalid = certgate.Errorf(certgate.EUnauthenticated, "Incorrect token or token resolution failed")
)

func init() {
	ErrTokenMissing.Reason = "token_missing"
	ErrTokenExpired.Reason = "token_expired"
	ErrTokenInvalid.Reason = "token_invalid"
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

// ResolveToken returns the account a presented token belongs to, or one of
// ErrTokenMissing, ErrTokenExpired and ErrTokenInvalid.
func (s *Service) ResolveToken(ctx context.Context, token string) (*certgate.Account, error) {
	if token == "" {
		return nil, ErrTokenMissing
	}
	if !LooksLikeToken(token) {
		return nil, ErrTokenInvalid
	}
	t, err := s.store.GetToken(ctx, HashToken(token))
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, err
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, ErrTokenExpired
	}
	return s.store.GetAccount(ctx, t.AccountID)
}
