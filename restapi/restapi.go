// Package restapi is the core of Amazon API Gateway's REST APIs: REST APIs,
// their resource trees, methods, method responses, integrations and
// integration responses, with their rules (ids, path parts, authorization
// and integration types, timeouts, quotas) written once. Records are scoped
// per account and region like client certificates; another scope's id is
// not found, exactly like a missing one. The AWS dialect (api/aws) turns
// wire shapes into calls of this package and its *certgate.Error results
// back into AWS's messages.
package restapi

import (
	"crypto/rand"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/store"
)

// Quotas AWS applies by default; each has a flag in cmd/certgate.
const (
	DefaultRestAPIQuota  = 600 // REST APIs per account and region
	DefaultResourceQuota = 300 // resources per REST API, the root included
	DefaultStageQuota    = 10  // stages per REST API
)

// Config holds the rules the core enforces.
type Config struct {
	// RestAPIQuota caps REST APIs per account and region; <= 0 means
	// unlimited.
	RestAPIQuota int
	// ResourceQuota caps resources per REST API, the root included; <= 0
	// means unlimited.
	ResourceQuota int
	// StageQuota caps stages per REST API; <= 0 means unlimited.
	StageQuota int
}

// Store is what the package needs of the store.
type Store interface {
	store.RestAPIs
	store.Resources
	store.Methods
	store.Deployments
	store.Stages
}

// Service implements the operations. It is safe for concurrent use.
type Service struct {
	st     Store
	cfg    Config
	now    func() time.Time
	random io.Reader
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithRandom replaces crypto/rand.Reader for ids, for tests.
func WithRandom(r io.Reader) Option { return func(s *Service) { s.random = r } }

// New returns a Service over st.
func New(st Store, cfg Config, opts ...Option) *Service {
	s := &Service{st: st, cfg: cfg, now: time.Now, random: rand.Reader}
	for _, o := range opts {
		o(s)
	}
	return s
}

// IDLen is the length of REST API and resource ids.
const IDLen = 10

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns IDLen lowercase alphanumerics, each equally likely, as
// client certificate ids are made.
func (s *Service) newID() (string, error) {
	out := make([]byte, 0, IDLen)
	buf := make([]byte, 16)
	for len(out) < IDLen {
		if _, err := io.ReadFull(s.random, buf); err != nil {
			return "", fmt.Errorf("random id: %w", err)
		}
		for _, b := range buf {
			if int(b) < 252 && len(out) < IDLen { // 252 = 7*36
				out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			}
		}
	}
	return string(out), nil
}

// retries bounds the optimistic read-check-write loops; a loser of a race
// reads again, and only a storm of writers on one record exhausts it.
const retries = 8

// retry runs fn again while it fails with a lost race (EConflict "version").
func retry(fn func() error) error {
	var err error
	for range retries {
		err = fn()
		if e := certgate.AsError(err); e == nil || e.Code != certgate.EConflict || e.Reason != "version" {
			return err
		}
	}
	return err
}

// Page is one page of a list, with the position of the next page ("" at
// the end).
type Page[T any] struct {
	Items    []T
	Position string
}

// DefaultPageLimit and MaxPageLimit bound list pages, as AWS does.
const (
	DefaultPageLimit = 25
	MaxPageLimit     = 500
)

// paginate returns the page of items after position (an item's key, as
// keyOf gives it) with at most limit items (DefaultPageLimit when 0).
func paginate[T any](items []T, keyOf func(T) string, position string, limit int) (Page[T], error) {
	if limit == 0 {
		limit = DefaultPageLimit
	}
	if limit < 1 || limit > MaxPageLimit {
		return Page[T]{}, &certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonOutOfRange, Field: "limit", Limit: MaxPageLimit, Got: limit,
			Message: fmt.Sprintf("limit must be between 1 and %d", MaxPageLimit)}
	}
	start := 0
	if position != "" {
		i := slices.IndexFunc(items, func(t T) bool { return keyOf(t) == position })
		if i < 0 {
			return Page[T]{}, &certgate.Error{Code: certgate.EInvalid, Reason: certs.ReasonBadPosition, Field: "position", Message: "invalid position"}
		}
		start = i + 1
	}
	end := min(start+limit, len(items))
	p := Page[T]{Items: items[start:end]}
	if end < len(items) {
		p.Position = keyOf(items[end-1])
	}
	return p, nil
}

func validateScope(s certgate.Scope) error {
	if s.AccountID == "" {
		return &certgate.Error{Code: certgate.EInternal, Reason: certs.ReasonNoScope, Message: "Internal server error", Err: fmt.Errorf("empty account in scope")}
	}
	return nil
}
