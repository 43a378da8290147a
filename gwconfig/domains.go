package gwconfig

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Reasons of the custom domain errors.
const (
	// ReasonNoDomain: ENotFound for a domain that does not exist or is
	// another group's or account's. Value is the name when the domain was
	// asked for by name.
	ReasonNoDomain = "no_domain"
	// ReasonBadDomain: EInvalid for a url_domain that breaks the rule.
	ReasonBadDomain = "bad_domain"
	// ReasonDomainTaken: EConflict; the name is held on one of these
	// listeners, by this account or another one. Value is the name.
	ReasonDomainTaken = "domain_taken"
	// ReasonTooManyDomains: ELimitExceeded; Limit is MaxDomainsPerGroup.
	ReasonTooManyDomains = "too_many_domains"
	// ReasonBadPort: EInvalid for a port outside -1, 80/443 and
	// 1024-49151, or ports given by halves (Field says which).
	ReasonBadPort = "bad_port"
	// ReasonNoListener: EInvalid for a valid port the gateway does not
	// listen on.
	ReasonNoListener = "no_listener"
	// ReasonBadValue: EInvalid for an enumerated value not allowed.
	ReasonBadValue = "bad_value"
)

// MaxDomainsPerGroup is Huawei's limit: "An API group can be bound with a
// maximum of five domain names."
const MaxDomainsPerGroup = 5

// Minimum TLS versions a domain may require.
const (
	TLS11 = "TLSv1.1"
	TLS12 = "TLSv1.2"
)

// The url_domain rule, reconstructed from the SDK's comment: up to 7
// labels and a TLD of 2-64 letters; or a wildcard of one leading "*." over
// up to 6 labels and the TLD.
var (
	exactDomainRe    = regexp.MustCompile(`^([a-z0-9]([a-z0-9_-]{0,61}[a-z0-9_])?\.){1,7}[a-z]{2,64}$`)
	wildcardDomainRe = regexp.MustCompile(`^\*(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?){1,6}\.[a-z]{2,64}$`)
)

// NormalizeDomain checks a url_domain and returns its stored form:
// lowercase, without the trailing dot the rule allows.
func (s *Service) NormalizeDomain(name string) (string, error) {
	bad := func(msg string) error {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadDomain, Field: "url_domain",
			Value: certgate.Clip(name), Message: msg}
	}
	if name == "" {
		return "", &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "url_domain", Message: "url_domain is required"}
	}
	if len(name) > 255 {
		return "", bad("url_domain is at most 255 characters")
	}
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if len(n) > 253 { // DNS's own limit, below the API's 255
		return "", bad("url_domain is at most 253 characters without the final dot")
	}
	if !exactDomainRe.MatchString(n) && !wildcardDomainRe.MatchString(n) {
		return "", bad("url_domain must be a domain name (api.example.com) or a wildcard (*.example.com)")
	}
	// The debugging domains are the gateway's own.
	if n == s.suffix || strings.HasSuffix(n, "."+s.suffix) {
		return "", bad("url_domain must not be under the gateway's own domain " + s.suffix)
	}
	return n, nil
}

// port checks one ingress port of a domain and returns its stored form:
// 0 for the gateway's own listener, -1 for none.
func (s *Service) port(field string, p int, listener int, standard int) (int, error) {
	switch {
	case p == -1:
		return -1, nil
	case p != standard && (p < 1024 || p > 49151):
		return 0, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadPort, Field: field, Got: p,
			Message: fmt.Sprintf("%s must be -1, %d or between 1024 and 49151", field, standard)}
	case p == listener:
		return 0, nil
	}
	return 0, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonNoListener, Field: field, Got: p, Limit: listener,
		Message: fmt.Sprintf("%s %d is not a port the gateway listens on (it listens on %d)", field, p, listener)}
}

// Port is the effective port of a stored one: the gateway's listener for
// 0, else itself.
func (s *Service) Port(stored int, https bool) int {
	if stored != 0 {
		return stored
	}
	if https {
		return s.httpsPort
	}
	return s.httpPort
}

// WithListeners sets the ports of the gateway's own HTTP and HTTPS
// listeners (defaults 8081 and 8443).
func WithListeners(httpPort, httpsPort int) Option {
	return func(s *Service) { s.httpPort, s.httpsPort = httpPort, httpsPort }
}

// DomainInput is a new custom domain. Nil ports mean the gateway's own
// listeners; both or neither must be set.
type DomainInput struct {
	Name          string
	MinTLSVersion string // "" is TLS11
	RedirectHTTP  bool
	HTTPPort      *int
	HTTPSPort     *int
}

func checkTLSVersion(v string) error {
	if v != TLS11 && v != TLS12 {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "min_ssl_version", Value: certgate.Clip(v),
			Message: "min_ssl_version must be TLSv1.1 or TLSv1.2"}
	}
	return nil
}

// CreateDomain binds a custom domain to a group.
func (s *Service) CreateDomain(ctx context.Context, accountID, instanceID, groupID string, in DomainInput) (*certgate.Domain, error) {
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return nil, err
	}
	name, err := s.NormalizeDomain(in.Name)
	if err != nil {
		return nil, err
	}
	if in.MinTLSVersion == "" {
		in.MinTLSVersion = TLS11
	}
	if err := checkTLSVersion(in.MinTLSVersion); err != nil {
		return nil, err
	}
	if (in.HTTPPort == nil) != (in.HTTPSPort == nil) {
		field := "ingress_https_port"
		if in.HTTPPort == nil {
			field = "ingress_http_port"
		}
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadPort, Field: field,
			Message: "ingress_http_port and ingress_https_port are set together, or neither"}
	}
	d := &certgate.Domain{AccountID: accountID, InstanceID: instanceID, GroupID: groupID, Name: name,
		MinTLSVersion: in.MinTLSVersion, RedirectHTTP: in.RedirectHTTP}
	if in.HTTPPort != nil {
		if err := s.setPorts(d, in.HTTPPort, in.HTTPSPort); err != nil {
			return nil, err
		}
	}
	if d.ID, err = newID(s.random); err != nil {
		return nil, err
	}
	d.CreatedAt = s.clock()
	d.UpdatedAt = d.CreatedAt
	if err := s.store.CreateDomain(ctx, d, MaxDomainsPerGroup); err != nil {
		return nil, domainError(err, name)
	}
	return d, nil
}

// setPorts checks and sets the ports that are given.
func (s *Service) setPorts(d *certgate.Domain, httpPort, httpsPort *int) error {
	var err error
	if httpPort != nil {
		if d.HTTPPort, err = s.port("ingress_http_port", *httpPort, s.httpPort, 80); err != nil {
			return err
		}
	}
	if httpsPort != nil {
		if d.HTTPSPort, err = s.port("ingress_https_port", *httpsPort, s.httpsPort, 443); err != nil {
			return err
		}
	}
	if d.HTTPPort == -1 && d.HTTPSPort == -1 {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadPort, Field: "ingress_https_port",
			Message: "a domain serves HTTP, HTTPS or both: both ports cannot be -1"}
	}
	return nil
}

func domainError(err error, name string) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.ENotFound && e.Reason == store.ReasonNoGroup:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoGroup, Message: "API group not found", Err: err}
	case e.Code == certgate.ENotFound:
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoDomain, Message: "domain not found", Err: err}
	case e.Code == certgate.EConflict && e.Reason == "duplicate_name":
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDomainTaken, Field: "url_domain", Value: certgate.Clip(name),
			Message: "this domain name is already bound on this listener", Err: err}
	case e.Code == certgate.ELimitExceeded:
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonTooManyDomains, Limit: MaxDomainsPerGroup,
			Message: fmt.Sprintf("an API group has at most %d domains", MaxDomainsPerGroup), Err: err}
	}
	return err
}

// Domain returns one domain of the account's group.
func (s *Service) Domain(ctx context.Context, accountID, instanceID, groupID, id string) (*certgate.Domain, error) {
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return nil, err
	}
	d, err := s.store.GetDomain(ctx, accountID, instanceID, groupID, id)
	if err != nil {
		return nil, domainError(err, "")
	}
	return d, nil
}

// Domains returns the group's domains, in creation order.
func (s *Service) Domains(ctx context.Context, g *certgate.APIGroup) ([]*certgate.Domain, error) {
	return s.store.ListDomains(ctx, g.AccountID, g.InstanceID, g.ID)
}

// DomainUpdate is what UpdateDomain changes; nil (and "" for the TLS
// version, which the SDK always sends) is unchanged.
type DomainUpdate struct {
	MinTLSVersion string
	RedirectHTTP  *bool
	VerifyClients *bool
	HTTPPort      *int
	HTTPSPort     *int
}

// UpdateDomain changes a domain's settings. It runs as a binding change,
// because whether a domain may verify clients depends on the certificates
// bound to it: enabling verification with no bound certificate that has a
// trusted root CA is refused (certgate.ReasonNoTrustedCA).
func (s *Service) UpdateDomain(ctx context.Context, accountID, instanceID, groupID, id string, u DomainUpdate) (*certgate.Domain, error) {
	if u.MinTLSVersion != "" {
		if err := checkTLSVersion(u.MinTLSVersion); err != nil {
			return nil, err
		}
	}
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return nil, err
	}
	var out *certgate.Domain
	name := ""
	err := s.store.ChangeBindings(ctx, accountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		sv, err := tx.Domain(instanceID, groupID, id)
		if err != nil {
			return nil, domainError(err, "")
		}
		d := *sv.Domain
		name = d.Name
		if u.MinTLSVersion != "" {
			d.MinTLSVersion = u.MinTLSVersion
		}
		if u.RedirectHTTP != nil {
			d.RedirectHTTP = *u.RedirectHTTP
		}
		if u.VerifyClients != nil {
			d.VerifyClients = *u.VerifyClients
		}
		if err := s.setPorts(&d, u.HTTPPort, u.HTTPSPort); err != nil {
			return nil, err
		}
		if err := certgate.CheckServing(&d, sv.Certificates); err != nil {
			return nil, err
		}
		d.UpdatedAt = s.clock()
		out = &d
		return &store.BindingEdit{Domains: []*certgate.Domain{out}}, nil
	})
	if err != nil {
		return nil, domainError(err, name)
	}
	return out, nil
}

// DeleteDomain unbinds a domain from its group.
func (s *Service) DeleteDomain(ctx context.Context, accountID, instanceID, groupID, id string) error {
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return err
	}
	return domainError(s.store.DeleteDomain(ctx, accountID, instanceID, groupID, id), "")
}
