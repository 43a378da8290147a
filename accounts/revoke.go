package accounts

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/certgate/certgate"
)

// MaxAccessKeys is how many access keys an account may hold at once. Two,
// as in AWS IAM: enough to rotate a key without downtime (create the new
// one, deploy it, delete the old one).
const MaxAccessKeys = 2

// MinHashPrefix is the shortest token hash prefix RevokeTokenPrefix takes,
// so that a typo cannot pick an arbitrary token.
const MinHashPrefix = 8

// CreatedKey is a new access key with the only copy of its secret.
type CreatedKey struct {
	AccountID       string
	AccessKeyID     string
	SecretAccessKey string
	CreatedAt       time.Time
}

var hashPrefixRe = regexp.MustCompile(`^[0-9a-f]+$`)

func checkAccountID(id string) error {
	if !accountIDRe.MatchString(id) {
		return &certgate.Error{Code: certgate.EInvalid, Field: "account-id", Message: "account id must be exactly 12 digits"}
	}
	return nil
}

// accountNotFound rewrites the store's ENotFound to name the account.
func accountNotFound(err error, id string) error {
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return &certgate.Error{Code: certgate.ENotFound, Message: "account " + id + " does not exist", Err: err}
	}
	return err
}

// CreateAccessKey adds an access key to an account, which may hold at most
// MaxAccessKeys; the store enforces the limit atomically.
func (s *Service) CreateAccessKey(ctx context.Context, accountID string) (*CreatedKey, error) {
	if err := checkAccountID(accountID); err != nil {
		return nil, err
	}
	k, secret, err := s.newAccessKey(accountID, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateAccessKey(ctx, k, MaxAccessKeys); err != nil {
		if certgate.ErrorCode(err) == certgate.ELimitExceeded {
			return nil, &certgate.Error{Code: certgate.ELimitExceeded, Reason: "access_keys", Err: err,
				Message: "account " + accountID + " already has the most access keys allowed (2); delete one first"}
		}
		return nil, accountNotFound(err, accountID)
	}
	return &CreatedKey{AccountID: accountID, AccessKeyID: k.ID, SecretAccessKey: secret, CreatedAt: k.CreatedAt}, nil
}

// ListAccessKeys returns an account's keys, without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, accountID string) ([]*certgate.AccessKey, error) {
	if err := checkAccountID(accountID); err != nil {
		return nil, err
	}
	ks, err := s.store.ListAccessKeys(ctx, accountID)
	return ks, accountNotFound(err, accountID)
}

// DeleteAccessKey revokes an access key and every token issued to it. This
// node stops accepting the key at once; other nodes within their cache
// lifetime (WithCacheTTL).
func (s *Service) DeleteAccessKey(ctx context.Context, accountID, accessKeyID string) error {
	if err := checkAccountID(accountID); err != nil {
		return err
	}
	err := s.store.DeleteAccessKey(ctx, accountID, accessKeyID)
	s.purge(func(id string, _ cachedKey) bool { return id == accessKeyID })
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return &certgate.Error{Code: certgate.ENotFound, Err: err,
			Message: "account " + accountID + " has no access key " + accessKeyID}
	}
	return err
}

// List returns every account.
func (s *Service) List(ctx context.Context) ([]*certgate.Account, error) {
	return s.store.ListAccounts(ctx)
}

// Delete removes an account with its keys and tokens. It is refused while
// the account holds certificates or API groups, unless force is set, which
// deletes them too.
func (s *Service) Delete(ctx context.Context, accountID string, force bool) error {
	if err := checkAccountID(accountID); err != nil {
		return err
	}
	err := s.store.DeleteAccount(ctx, accountID, force)
	s.purge(func(_ string, c cachedKey) bool { return c.account.ID == accountID })
	if e := certgate.AsError(err); e != nil && e.Reason == "not_empty" {
		return &certgate.Error{Code: certgate.EConflict, Reason: "not_empty", Err: err,
			Message: "account " + accountID + " is not empty: " + strings.TrimPrefix(e.Message, "the account ") +
				"; delete them first, or use --force to delete them with the account"}
	}
	return accountNotFound(err, accountID)
}

// purge drops matching cache entries, and keeps a Resolve that raced with
// the revocation from caching what it read before it.
func (s *Service) purge(match func(id string, c cachedKey) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for id, c := range s.cache {
		if match(id, c) {
			delete(s.cache, id)
		}
	}
}

// ListTokens returns an account's tokens (hashes and times, never the
// tokens), expired ones included.
func (s *Service) ListTokens(ctx context.Context, accountID string) ([]*certgate.Token, error) {
	if err := checkAccountID(accountID); err != nil {
		return nil, err
	}
	ts, err := s.store.ListTokens(ctx, accountID)
	return ts, accountNotFound(err, accountID)
}

// RevokeToken deletes a token. Token resolution is not cached, so every
// node refuses it from the next request on.
func (s *Service) RevokeToken(ctx context.Context, token string) (*certgate.Token, error) {
	if !LooksLikeToken(token) {
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "token", Message: "this is not a certgate token"}
	}
	t, err := s.store.DeleteToken(ctx, HashToken(token))
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, &certgate.Error{Code: certgate.ENotFound, Message: "no such token (revoked already, or never issued)", Err: err}
	}
	return t, err
}

// RevokeTokenPrefix deletes the one token whose hash starts with prefix (as
// `certgate token list` shows it). An ambiguous prefix deletes nothing.
func (s *Service) RevokeTokenPrefix(ctx context.Context, prefix string) (*certgate.Token, error) {
	prefix = strings.ToLower(prefix)
	if len(prefix) < MinHashPrefix || len(prefix) > 64 || !hashPrefixRe.MatchString(prefix) {
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "hash-prefix",
			Message: "a token hash prefix is 8 to 64 hexadecimal characters"}
	}
	t, err := s.store.DeleteToken(ctx, prefix)
	switch certgate.ErrorCode(err) {
	case certgate.ENotFound:
		return nil, &certgate.Error{Code: certgate.ENotFound, Message: "no token hash starts with " + prefix, Err: err}
	case certgate.EConflict:
		return nil, &certgate.Error{Code: certgate.EConflict, Reason: "ambiguous", Err: err,
			Message: "more than one token hash starts with " + prefix + "; give more characters"}
	}
	return t, err
}
