// Package gwconfig is the core for the gateway's configuration: the records
// that say what the data plane serves, as opposed to the certificates it
// serves (package certs). Today that is Huawei's gateway instances and API
// groups (each with its debugging domain, {group_id}.apic.{suffix}) and
// their custom domains, and the certificates bound to those domains; the
// APIs of groups, the environments of instances (RELEASE and more), and
// the immutable versions that publishing an API records. Every rule on
// these records (names, limits, ownership, what deleting takes with
// it) is written here once; the dialects only translate wire shapes to and
// from these calls.
//
// Records are scoped by account: an id of another account's record is
// answered exactly like one that does not exist.
package gwconfig

import (
	"context"
	"crypto/rand"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Store is what the service needs of the store.
type Store interface {
	store.Instances
	store.Groups
	store.Domains
	store.Bindings
	store.APIs
	store.Environments
	store.Publications
	// GetCertificate reads the certificates that domains are served with.
	GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error)
}

// Service runs the rules on gateway configuration records.
type Service struct {
	store  Store
	now    func() time.Time
	random io.Reader
	suffix string // of SLDomain

	// The ports of the gateway's own listeners.
	httpPort, httpsPort int
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns the service over st.
func New(st Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now, random: rand.Reader, suffix: DefaultDomainSuffix,
		httpPort: 8081, httpsPort: 8443}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Reasons of the errors this package returns; dialects map them to their
// own codes and sentences.
const (
	// ReasonNoInstance: ENotFound for an instance that does not exist or
	// is another account's.
	ReasonNoInstance = "no_instance"
	// ReasonBadName: EInvalid for a name that breaks its rule (Field says
	// whose).
	ReasonBadName = "bad_name"
)

// DefaultInstanceName is the name of the instance made with an account.
const DefaultInstanceName = "apig-default"

// instanceNameRe is Huawei's rule for instance names: 3 to 64 characters,
// starting with a letter; letters, digits, hyphens and underscores.
var instanceNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{2,63}$`)

// NewInstance builds (without storing) an instance of accountID named
// name, or a name made from its id when name is empty. Accounts use it for
// the instance made with the account.
func NewInstance(random io.Reader, accountID, name string, now time.Time) (*certgate.Instance, error) {
	id, err := newID(random)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = "apig-" + id[:8]
	}
	if !instanceNameRe.MatchString(name) {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadName, Field: "instance_name",
			Value:   certgate.Clip(name),
			Message: "an instance name is 3 to 64 letters, digits, hyphens and underscores, starting with a letter"}
	}
	return &certgate.Instance{ID: id, AccountID: accountID, Name: name, CreatedAt: now.UTC().Truncate(time.Microsecond)}, nil
}

// CreateInstance adds an instance to an account.
func (s *Service) CreateInstance(ctx context.Context, accountID, name string) (*certgate.Instance, error) {
	in, err := NewInstance(s.random, accountID, name, s.now())
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateInstance(ctx, in); err != nil {
		return nil, err
	}
	return in, nil
}

// Instance returns the account's instance id.
func (s *Service) Instance(ctx context.Context, accountID, id string) (*certgate.Instance, error) {
	in, err := s.store.GetInstance(ctx, accountID, id)
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, noInstance(err)
	}
	return in, err
}

func noInstance(cause error) error {
	return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoInstance, Message: "instance not found", Err: cause}
}

// InstanceFilter selects instances; empty fields match anything.
type InstanceFilter struct {
	ID   string // exact
	Name string // substring, as Huawei's console searches
}

// ListInstances returns the account's instances that match f, in creation
// order, skipping offset and returning at most limit (all when limit <= 0),
// with the number that match.
func (s *Service) ListInstances(ctx context.Context, accountID string, f InstanceFilter, offset, limit int) ([]*certgate.Instance, int64, error) {
	all, err := s.store.ListInstances(ctx, accountID)
	if err != nil {
		return nil, 0, err
	}
	var match []*certgate.Instance
	for _, in := range all {
		if (f.ID == "" || in.ID == f.ID) && strings.Contains(in.Name, f.Name) {
			match = append(match, in)
		}
	}
	return page(match, offset, limit), int64(len(match)), nil
}

// page cuts one page out of xs.
func page[T any](xs []T, offset, limit int) []T {
	offset = min(max(offset, 0), len(xs))
	xs = xs[offset:]
	if limit > 0 && limit < len(xs) {
		xs = xs[:limit]
	}
	return xs
}

// clock is the time of a write as the store keeps it (microseconds, UTC),
// so that the answer to a write and a later read show the same time.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }
