// Package accounts manages tenants and their access keys: creating an account
// with its first key pair, and looking up a key's secret for signature
// verification. Secrets are sealed at rest with package seal.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"sync"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// Service creates accounts and resolves access keys. Safe for concurrent use.
type Service struct {
	store  Store
	sealer *seal.Sealer
	now    func() time.Time
	random io.Reader

	// cache holds resolved access keys for a short while: every API request
	// resolves one, and two database reads plus an unseal per request would
	// be most of a GET's server time. Misses are never cached, so a key made
	// by `account create` (on any node) works at once.
	mu       sync.Mutex
	cache    map[string]cachedKey
	cacheTTL time.Duration // 0: no cache
	// gen counts revocations. A Resolve that read the store before a
	// revocation purged the cache must not put its stale answer back.
	gen uint64

	opened openedSecrets // plaintexts by envelope, so an unchanged key is opened once (opened.go)
}

type cachedKey struct {
	account *certgate.Account
	secret  string
	expires time.Time
}

// Resolution cache bounds. The cache is off by default: a key deleted on
// another node or by the CLI must be refused at once, and this cache
// cannot know of that (a TTL is how long such a key keeps working here).
// The store serves the reads from memory where it can prove them current
// (store/sqlite's read cache).
const (
	DefaultCacheTTL = 0
	cacheEntries    = 10000
)

// Option configures a Service.
type Option func(*Service)

// WithCacheTTL sets how long a resolved access key is cached; 0 disables
// the cache, so every request reads the store.
func WithCacheTTL(d time.Duration) Option {
	return func(s *Service) { s.cacheTTL = max(d, 0) }
}

// Store is what the accounts service needs of the store: accounts with
// their access keys, and tokens.
type Store interface {
	store.Accounts
	store.Tokens
}

// New returns a Service.
func New(st Store, sealer *seal.Sealer, opts ...Option) *Service {
	s := &Service{store: st, sealer: sealer, now: time.Now, random: rand.Reader, cache: map[string]cachedKey{},
		cacheTTL: DefaultCacheTTL}
	for _, o := range opts {
		o(s)
	}
	return s
}

// CreateInput holds the optional fields of a new account; empty fields are
// generated.
type CreateInput struct {
	Name      string
	AccountID string // 12 digits
	ProjectID string // 32 lowercase hex characters
}

// Created is a new account with the only copy of its secret access key.
type Created struct {
	Account         *certgate.Account
	Instance        *certgate.Instance // its first gateway instance
	AccessKeyID     string
	SecretAccessKey string
}

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	projectIDRe = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Create makes an account and its first access key.
func (s *Service) Create(ctx context.Context, in CreateInput) (*Created, error) {
	if len(in.Name) > 128 {
		return nil, certgate.Errorf(certgate.EInvalid, "account name must be at most 128 characters")
	}
	var err error
	if in.AccountID == "" {
		if in.AccountID, err = s.randomDigits(12); err != nil {
			return nil, err
		}
	} else if !accountIDRe.MatchString(in.AccountID) {
		return nil, certgate.Errorf(certgate.EInvalid, "account id must be exactly 12 digits")
	}
	if in.ProjectID == "" {
		b := make([]byte, 16)
		if _, err := io.ReadFull(s.random, b); err != nil {
			return nil, err
		}
		in.ProjectID = hex.EncodeToString(b)
	} else if !projectIDRe.MatchString(in.ProjectID) {
		return nil, certgate.Errorf(certgate.EInvalid, "project id must be 32 lowercase hexadecimal characters")
	}
	now := s.now().UTC()
	a := &certgate.Account{ID: in.AccountID, ProjectID: in.ProjectID, Name: in.Name, CreatedAt: now}
	k, secret, err := s.newAccessKey(a.ID, now)
	if err != nil {
		return nil, err
	}
	// The account's gateway instance is made in the same transaction: every
	// Huawei path names one, and an account must never be left without it.
	inst, err := gwconfig.NewInstance(s.random, a.ID, gwconfig.DefaultInstanceName, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateAccount(ctx, a, k, inst); err != nil {
		return nil, err
	}
	return &Created{Account: a, Instance: inst, AccessKeyID: k.ID, SecretAccessKey: secret}, nil
}

// newAccessKey makes a key pair for an account, its secret sealed.
func (s *Service) newAccessKey(accountID string, now time.Time) (*certgate.AccessKey, string, error) {
	akid, err := s.newAccessKeyID()
	if err != nil {
		return nil, "", err
	}
	secretRaw := make([]byte, 30)
	if _, err := io.ReadFull(s.random, secretRaw); err != nil {
		return nil, "", err
	}
	secret := base64.StdEncoding.EncodeToString(secretRaw) // 40 characters, like AWS's
	k := &certgate.AccessKey{ID: akid, AccountID: accountID, CreatedAt: now}
	k.SecretSealed, k.SealKeyID, err = s.sealer.Seal([]byte(secret), secretAAD(akid))
	if err != nil {
		return nil, "", fmt.Errorf("seal secret: %w", err)
	}
	return k, secret, nil
}

func secretAAD(akid string) []byte { return certgate.SecretAAD(akid) }

// accessKeyAlphabet is AWS's: access key ids use base32 letters and digits.
const accessKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newAccessKeyID returns a 20-character id starting CGAK ("certgate access
// key"), shaped like AWS's AKIA... ids so that tools that check the length
// accept it.
func (s *Service) newAccessKeyID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.random, b); err != nil {
		return "", err
	}
	out := []byte("CGAK")
	for _, x := range b {
		out = append(out, accessKeyAlphabet[int(x)%32])
	}
	return string(out), nil
}

func (s *Service) randomDigits(n int) (string, error) {
	// First digit non-zero so the id never looks like a shorter number.
	first, err := rand.Int(s.random, big.NewInt(9))
	if err != nil {
		return "", err
	}
	out := []byte{byte('1' + first.Int64())}
	for len(out) < n {
		d, err := rand.Int(s.random, big.NewInt(10))
		if err != nil {
			return "", err
		}
		out = append(out, byte('0'+d.Int64()))
	}
	return string(out), nil
}

// ErrUnknownAccessKey is wrapped by Resolve when the key does not exist.
var ErrUnknownAccessKey = errors.New("unknown access key")

// Resolve returns the account and plaintext secret of an access key. It
// returns an error wrapping ErrUnknownAccessKey when the key does not exist.
func (s *Service) Resolve(ctx context.Context, accessKeyID string) (*certgate.Account, string, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[accessKeyID]
	gen := s.gen
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		a := *c.account
		return &a, c.secret, nil
	}
	a, secret, err := s.resolve(ctx, accessKeyID)
	if err != nil {
		return nil, "", err
	}
	if s.cacheTTL == 0 {
		return a, secret, nil
	}
	s.mu.Lock()
	if len(s.cache) >= cacheEntries {
		clear(s.cache) // crude, but bounded; a full cache only costs re-reads
	}
	if gen == s.gen {
		s.cache[accessKeyID] = cachedKey{account: a, secret: secret, expires: now.Add(s.cacheTTL)}
	}
	s.mu.Unlock()
	b := *a
	return &b, secret, nil
}

func (s *Service) resolve(ctx context.Context, accessKeyID string) (*certgate.Account, string, error) {
	// The key with its account in one read: an account's deletion takes
	// its keys with it, so a key without one is unknown.
	k, a, err := s.store.GetAccessKeyAccount(ctx, accessKeyID)
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, "", fmt.Errorf("%w: %s", ErrUnknownAccessKey, accessKeyID)
	}
	if err != nil {
		return nil, "", err
	}
	secret, ok := s.opened.get(k.ID, k.SecretSealed, k.SealKeyID)
	if !ok {
		plain, err := s.sealer.Open(k.SecretSealed, k.SealKeyID, secretAAD(k.ID))
		if err != nil {
			return nil, "", fmt.Errorf("open secret of access key %s: %w", k.ID, err)
		}
		secret = string(plain)
		s.opened.put(k.ID, k.SecretSealed, k.SealKeyID, secret)
	}
	return a, secret, nil
}
