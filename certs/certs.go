// Package certs is the domain core of certgate: every operation that the API
// dialects offer (generate, get, list, update, delete, tag) is written here
// once, with its ownership, quota and validation rules. Dialects translate
// wire shapes to calls of this package and its *certgate.Error results back to
// their own error formats.
package certs

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/seal"
	"github.com/certgate/certgate/store"
)

// Config holds the rules the core enforces.
type Config struct {
	// ClientQuota caps client certificates per account and region; <= 0
	// means unlimited. AWS's default is 60.
	ClientQuota int
	// ServerQuota caps uploaded certificates per account; <= 0 means
	// unlimited.
	ServerQuota int
	// ClientTemplate shapes generated client certificates.
	ClientTemplate pki.ClientCertTemplate
}

// DefaultClientQuota is AWS's default quota of client certificates per
// account and region.
const DefaultClientQuota = 60

// Store is what the service needs of the store: the certificates, and the
// binding transaction that replacing a bound server certificate runs in.
type Store interface {
	store.Certificates
	ChangeBindings(ctx context.Context, accountID string, plan func(tx store.BindingTx) (*store.BindingEdit, error)) error
}

// Service implements the certificate operations. It is safe for concurrent
// use.
type Service struct {
	store  Store
	sealer *seal.Sealer
	keys   KeySource
	cfg    Config
	now    func() time.Time
	random io.Reader
	log    *slog.Logger
	pager  *Pager
}

// KeySource hands out fresh private keys; *pki.KeyPool implements it.
type KeySource interface {
	Get(ctx context.Context) (crypto.Signer, error)
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRandom replaces crypto/rand.Reader for ids and serials, for tests.
func WithRandom(r io.Reader) Option { return func(s *Service) { s.random = r } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(s *Service) { s.log = l } }

// New returns a Service. pager signs list position tokens; see NewPager.
func New(st Store, sealer *seal.Sealer, keys KeySource, pager *Pager, cfg Config, opts ...Option) *Service {
	s := &Service{
		store:  st,
		sealer: sealer,
		keys:   keys,
		cfg:    cfg,
		now:    time.Now,
		random: rand.Reader,
		log:    slog.New(slog.DiscardHandler),
		pager:  pager,
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// keyAAD binds a sealed private key to its record, so an envelope copied to
// another record (or tenant) fails to open.
func keyAAD(c *certgate.Certificate) []byte { return certgate.KeyAAD(c.ID, c.Scope.AccountID, c.Kind) }

// GenerateInput is what a caller may set on a new client certificate.
type GenerateInput struct {
	Description string
	Tags        map[string]string
}

// GenerateClientCertificate creates a self-signed client certificate whose
// private key stays in the service, sealed at rest.
func (s *Service) GenerateClientCertificate(ctx context.Context, scope certgate.Scope, in GenerateInput) (*certgate.Certificate, error) {
	if err := validateScope(scope); err != nil {
		return nil, err
	}
	if err := ValidateDescription(in.Description); err != nil {
		return nil, err
	}
	if err := ValidateTags(in.Tags); err != nil {
		return nil, err
	}
	// Fail fast when the quota is visibly full, before spending a pooled
	// key; the store re-checks atomically at insert time.
	if s.cfg.ClientQuota > 0 {
		n, err := s.store.CountCertificates(ctx, store.ListQuery{Scope: scope, Kind: certgate.KindClient})
		if err != nil {
			return nil, err
		}
		if n >= int64(s.cfg.ClientQuota) {
			return nil, quotaError(s.cfg.ClientQuota)
		}
	}

	key, err := s.keys.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	now := s.now().UTC()
	der, err := pki.SelfSign(key, s.cfg.ClientTemplate, now, s.random)
	if err != nil {
		return nil, fmt.Errorf("sign client certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse generated certificate: %w", err)
	}
	keyDER, err := pki.MarshalPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}

	c := &certgate.Certificate{
		Scope:          scope,
		Kind:           certgate.KindClient,
		Description:    in.Description,
		Tags:           copyTags(in.Tags),
		CertificatePEM: pki.EncodeCertificatePEM(der),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	setFacts(c, leaf)

	// An id collision is astronomically rare with 36^10 ids, but retrying is
	// cheap and keeps the store's uniqueness the single source of truth.
	for attempt := 0; ; attempt++ {
		c.ID, err = newClientID(s.random)
		if err != nil {
			return nil, err
		}
		c.KeySealed, c.SealKeyID, err = s.sealer.Seal(keyDER, keyAAD(c))
		if err != nil {
			return nil, fmt.Errorf("seal key: %w", err)
		}
		err = s.store.CreateCertificate(ctx, c, s.cfg.ClientQuota)
		if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "duplicate_id" && attempt < 5 {
			continue
		}
		if certgate.ErrorCode(err) == certgate.ELimitExceeded {
			return nil, quotaError(s.cfg.ClientQuota)
		}
		if err != nil {
			return nil, accountDeleted(err)
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "client certificate generated",
			slog.String("account", scope.AccountID), slog.String("region", scope.Region),
			slog.String("id", c.ID), slog.String("serial", c.SerialNumber))
		return c, nil
	}
}

func quotaError(quota int) error {
	return &certgate.Error{
		Code:       certgate.ELimitExceeded,
		Reason:     ReasonClientQuota,
		Limit:      quota,
		Message:    fmt.Sprintf("the quota of %d client certificates for this account and region is full", quota),
		RetryAfter: time.Minute,
	}
}

func setFacts(c *certgate.Certificate, leaf *x509.Certificate) {
	f := pki.Describe(leaf)
	c.CommonName = f.CommonName
	c.SANs = f.SANs
	c.NotBefore = f.NotBefore
	c.NotAfter = f.NotAfter
	c.SerialNumber = f.SerialNumber
	c.SignatureAlgorithm = f.SignatureAlgorithm
	c.KeyAlgorithm = f.KeyAlgorithm
}

// Get returns one certificate of the scope and kind.
func (s *Service) Get(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	return s.store.GetCertificate(ctx, scope, kind, id)
}

// PrivateKey opens the sealed private key of a certificate. It is for the
// data plane and for tests; no API operation returns a private key.
func (s *Service) PrivateKey(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (crypto.Signer, error) {
	c, err := s.Get(ctx, scope, kind, id)
	if err != nil {
		return nil, err
	}
	der, err := s.sealer.Open(c.KeySealed, c.SealKeyID, keyAAD(c))
	if err != nil {
		return nil, fmt.Errorf("open private key of %s: %w", c.ID, err)
	}
	return pki.ParsePrivateKeyDER(der)
}

// Limits of a page of the list operation, as AWS documents them.
const (
	DefaultPageLimit = 25
	MaxPageLimit     = 500
)

// Page is one page of a list.
type Page struct {
	Items []*certgate.Certificate
	// Position is the opaque token for the next page; empty on the last page.
	Position string
}

// List returns a page of certificates in creation order. position is a
// token from an earlier page (or empty); limit 0 means DefaultPageLimit.
func (s *Service) List(ctx context.Context, scope certgate.Scope, kind certgate.Kind, position string, limit int) (*Page, error) {
	switch {
	case limit == 0:
		limit = DefaultPageLimit
	case limit < 0 || limit > MaxPageLimit:
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "limit", Reason: ReasonOutOfRange, Limit: MaxPageLimit, Got: limit,
			Message: fmt.Sprintf("limit must be between 1 and %d (got %d)", MaxPageLimit, limit)}
	}
	q := store.ListQuery{Scope: scope, Kind: kind, Limit: limit + 1}
	if position != "" {
		cur, err := s.pager.Decode(scope, kind, position)
		if err != nil {
			return nil, err
		}
		q.After = cur
	}
	items, err := s.store.ListCertificates(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &Page{Items: items}
	// One record beyond the limit tells that another page exists, so the
	// last page carries no position, as AWS clients expect.
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.Position = s.pager.Encode(scope, kind, store.Cursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	return page, nil
}

// Delete removes a certificate.
func (s *Service) Delete(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) error {
	if err := validateID(id); err != nil {
		return err
	}
	// A bound server certificate is refused (EConflict, ReasonBound) by the
	// store, inside the delete's transaction.
	if err := s.store.DeleteCertificate(ctx, scope, kind, id); err != nil {
		return err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "certificate deleted",
		slog.String("account", scope.AccountID), slog.String("region", scope.Region),
		slog.String("kind", string(kind)), slog.String("id", id))
	return nil
}

// updateRetryBudget bounds the optimistic-concurrency retry loop by time, not
// by a count: writers on one record are serialized by the database, so how
// many rounds a writer may lose depends on how many others are writing and on
// the commit latency, not on anything a fixed count could know. Within the
// budget, every writer eventually wins; a loser after it gets EConflict.
const updateRetryBudget = 10 * time.Second

// maxUpdateBackoff caps the pause between two attempts.
const maxUpdateBackoff = 50 * time.Millisecond

// modify applies change to the current record and stores the result, retrying
// on a concurrent update so that no writer's change is lost. change must be
// deterministic given the record it sees, because it may run several times.
func (s *Service) modify(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string, change func(c *certgate.Certificate) error) (*certgate.Certificate, error) {
	return s.modifyWith(ctx, scope, kind, id, change, s.store.UpdateCertificate)
}

// modifyWith is modify with the write given: write stores c if its
// version is still the one read, or fails with EConflict "version".
func (s *Service) modifyWith(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string, change func(c *certgate.Certificate) error,
	write func(ctx context.Context, c *certgate.Certificate) error) (*certgate.Certificate, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(updateRetryBudget)
	for attempt := 0; ; attempt++ {
		c, err := s.store.GetCertificate(ctx, scope, kind, id)
		if err != nil {
			return nil, err
		}
		if err := change(c); err != nil {
			return nil, err
		}
		c.UpdatedAt = s.now().UTC()
		err = write(ctx, c)
		if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "version" && time.Now().Before(deadline) {
			// Back off, growing and jittered, so that hot writers spread
			// out instead of colliding again in step.
			pause := min(time.Duration(attempt+1)*time.Millisecond, maxUpdateBackoff)
			pause = pause/2 + jitter(pause/2)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(pause):
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// jitter returns a random duration in [0, d].
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(mathrand.Int64N(int64(d) + 1))
}

// SetDescription replaces a certificate's description.
func (s *Service) SetDescription(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id, description string) (*certgate.Certificate, error) {
	if err := ValidateDescription(description); err != nil {
		return nil, err
	}
	return s.modify(ctx, scope, kind, id, func(c *certgate.Certificate) error {
		c.Description = description
		return nil
	})
}

// Tag adds or replaces tags on a certificate.
func (s *Service) Tag(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string, tags map[string]string) (*certgate.Certificate, error) {
	if err := ValidateTags(tags); err != nil {
		return nil, err
	}
	return s.modify(ctx, scope, kind, id, func(c *certgate.Certificate) error {
		merged := copyTags(c.Tags)
		for k, v := range tags {
			merged[k] = v
		}
		if len(merged) > MaxTags {
			return tooManyTags(len(merged))
		}
		c.Tags = merged
		return nil
	})
}

// Untag removes tag keys from a certificate; absent keys are ignored.
func (s *Service) Untag(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string, keys []string) (*certgate.Certificate, error) {
	if len(keys) == 0 {
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "tagKeys", Reason: ReasonMissing, Message: "tagKeys is required"}
	}
	for _, k := range keys {
		if err := validateTagKey(k); err != nil {
			return nil, err
		}
	}
	return s.modify(ctx, scope, kind, id, func(c *certgate.Certificate) error {
		c.Tags = copyTags(c.Tags)
		for _, k := range keys {
			delete(c.Tags, k)
		}
		return nil
	})
}

func copyTags(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// accountDeleted turns the store's refusal to create a record for a deleted
// account into an authentication failure: the caller's key went with the
// account, and only a cache still let the request through.
func accountDeleted(err error) error {
	if e := certgate.AsError(err); e != nil && e.Code == certgate.ENotFound && e.Reason == store.ReasonDeletedAccount {
		return &certgate.Error{Code: certgate.EUnauthenticated, Reason: ReasonAccountDeleted,
			Message: "the account was deleted", Err: err}
	}
	return err
}
