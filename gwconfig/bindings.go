package gwconfig

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Certificate bindings. Every change runs as one store.ChangeBindings
// transaction: the plan reads the domains and certificates it touches
// inside it, applies certgate.CheckServing to the state it would leave,
// and only then writes, so two changes racing on any handles never leave
// a domain served by a certificate that does not cover it, or verifying
// clients with no CA to verify them with.

// Reasons of the binding errors (besides certgate.CheckServing's).
const (
	// ReasonNoBinding: ENotFound; the certificate is not bound to the
	// domain. Value is the domain name when known.
	ReasonNoBinding = store.ReasonNoBinding
	// ReasonTooMany: EInvalid; a list holds more than Limit entries.
	ReasonTooMany = "too_many"
)

// MaxBatchDomains bounds the entries of one BatchAssociateDomainsV2 call,
// so that one transaction stays short.
const MaxBatchDomains = 100

// maxInstanceIDs bounds the instance ids of one entry.
const maxInstanceIDs = 20

// DomainRef names domains by name, in the given instances or, when
// InstanceIDs is empty, in every instance of the account; Verify, when
// set, is the domain's verification flag after an attach.
type DomainRef struct {
	Name        string
	InstanceIDs []string
	Verify      *bool
}

// plan accumulates one change's edit, keeping the latest state of every
// domain it touched so that a second entry naming the same domain decides
// on what the first left.
type plan struct {
	s       *Service
	edit    store.BindingEdit
	served  map[string]*store.Served // by domain id
	changed map[string]bool          // domains whose settings change
	// detached are the domains a DetachDomains plan already unbound, so
	// that a name listed twice is not a miss the second time.
	detached map[string]bool
	order    []string
}

func (s *Service) newPlan() *plan {
	return &plan{s: s, served: map[string]*store.Served{}, changed: map[string]bool{}, detached: map[string]bool{}}
}

// latest returns the plan's state of sv's domain.
func (p *plan) latest(sv *store.Served) *store.Served {
	if cur, ok := p.served[sv.Domain.ID]; ok {
		return cur
	}
	p.served[sv.Domain.ID] = sv
	p.order = append(p.order, sv.Domain.ID)
	return sv
}

// result is the edit, with each changed domain once.
func (p *plan) result() *store.BindingEdit {
	for _, id := range p.order {
		if p.changed[id] {
			p.edit.Domains = append(p.edit.Domains, p.served[id].Domain)
		}
	}
	return &p.edit
}

func bound(sv *store.Served, id string) bool {
	return slices.ContainsFunc(sv.Certificates, func(c *certgate.Certificate) bool { return c.ID == id })
}

// attach binds c to the domain of sv. verify nil keeps the domain's flag,
// except that newly attaching a certificate with a trusted root CA turns
// it on (Huawei's default); so attaching a certificate without a CA never
// turns verification off by itself, and naming a bound one again without
// the flag changes nothing.
func (p *plan) attach(sv *store.Served, c *certgate.Certificate, verify *bool) error {
	sv = p.latest(sv)
	certs := sv.Certificates
	isNew := !bound(sv, c.ID)
	if isNew {
		certs = append(slices.Clip(certs), c)
	}
	d := *sv.Domain
	switch {
	case verify != nil:
		d.VerifyClients = *verify
	case isNew && c.TrustedRootCA != "":
		// The default applies when the certificate is attached, not
		// when a batch names a bound one again: that must not undo a
		// flag the user turned off.
		d.VerifyClients = true
	}
	if err := certgate.CheckServing(&d, certs); err != nil {
		return err
	}
	if isNew {
		p.edit.Bind = append(p.edit.Bind, &certgate.Binding{AccountID: d.AccountID, InstanceID: d.InstanceID,
			GroupID: d.GroupID, DomainID: d.ID, CertificateID: c.ID, Algorithm: c.KeyAlgorithm, CreatedAt: p.s.clock()})
	}
	p.setDomain(sv, &d, certs)
	return nil
}

// detach unbinds certificate id from the domain of sv. A domain left with
// no certificate stops verifying clients (it has nothing to serve HTTPS
// with, and a later attach sets the flag again); one left with
// certificates but no CA while it verifies is refused, since turning
// verification off behind the caller's back would let unverified clients
// in.
func (p *plan) detach(sv *store.Served, id string) error {
	sv = p.latest(sv)
	if !bound(sv, id) {
		return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoBinding, Value: certgate.Clip(sv.Domain.Name),
			Message: fmt.Sprintf("certificate %s is not bound to the domain %s", id, sv.Domain.Name)}
	}
	certs := slices.DeleteFunc(slices.Clone(sv.Certificates), func(c *certgate.Certificate) bool { return c.ID == id })
	d := *sv.Domain
	if len(certs) == 0 {
		d.VerifyClients = false
	}
	if err := certgate.CheckServing(&d, certs); err != nil {
		if e := certgate.AsError(err); e != nil && e.Reason == certgate.ReasonNoTrustedCA {
			return &certgate.Error{Code: certgate.EInvalid, Reason: certgate.ReasonNoTrustedCA, Field: e.Field, Value: e.Value,
				Message: fmt.Sprintf("detaching certificate %s would leave the domain %s verifying client certificates with no trusted_root_ca: turn verification off first, or bind a certificate with a trusted_root_ca", id, d.Name)}
		}
		return err
	}
	p.edit.Unbind = append(p.edit.Unbind, &certgate.Binding{AccountID: d.AccountID, InstanceID: d.InstanceID,
		GroupID: d.GroupID, DomainID: d.ID, CertificateID: id})
	p.setDomain(sv, &d, certs)
	return nil
}

// setDomain records the domain's new state, marking its settings changed
// when the flag moved.
func (p *plan) setDomain(sv *store.Served, d *certgate.Domain, certs []*certgate.Certificate) {
	if d.VerifyClients != sv.Domain.VerifyClients {
		d.UpdatedAt = p.s.clock()
		p.changed[d.ID] = true
	}
	sv.Domain, sv.Certificates = d, certs
}

// oneCertificate checks the certificate_ids of a domain's attach or detach:
// Huawei takes exactly one per call ("Currently, only one certificate ID
// can be specified").
func oneCertificate(ids []string) (string, error) {
	switch {
	case len(ids) == 0 || (len(ids) == 1 && ids[0] == ""):
		return "", &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "certificate_ids",
			Message: "certificate_ids must name one certificate"}
	case len(ids) > 1:
		return "", &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooMany, Field: "certificate_ids", Limit: 1, Got: len(ids),
			Message: "only one certificate id can be specified per call"}
	}
	return ids[0], checkID("certificate_ids", ids[0])
}

// checkID refuses an id that cannot name anything, before any lookup.
func checkID(field, id string) error {
	if len(id) > 128 || !store.IsText(id) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: field, Value: certgate.Clip(id),
			Message: field + " holds an invalid identifier"}
	}
	return nil
}

// AttachCertificates binds a certificate to one domain
// (BatchAssociateCertsV2). Attaching a bound certificate again changes
// only the verification flag.
func (s *Service) AttachCertificates(ctx context.Context, accountID, instanceID, groupID, domainID string, certIDs []string, verify *bool) error {
	return s.changeDomain(ctx, accountID, instanceID, groupID, domainID, certIDs, func(p *plan, sv *store.Served, c *certgate.Certificate) error {
		return p.attach(sv, c, verify)
	})
}

// DetachCertificates unbinds a certificate from one domain
// (BatchDisassociateCertsV2, DisassociateCertificateV2).
func (s *Service) DetachCertificates(ctx context.Context, accountID, instanceID, groupID, domainID string, certIDs []string) error {
	return s.changeDomain(ctx, accountID, instanceID, groupID, domainID, certIDs, func(p *plan, sv *store.Served, c *certgate.Certificate) error {
		return p.detach(sv, c.ID)
	})
}

func (s *Service) changeDomain(ctx context.Context, accountID, instanceID, groupID, domainID string, certIDs []string,
	fn func(*plan, *store.Served, *certgate.Certificate) error) error {
	id, err := oneCertificate(certIDs)
	if err != nil {
		return err
	}
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return err
	}
	return s.store.ChangeBindings(ctx, accountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		sv, err := tx.Domain(instanceID, groupID, domainID)
		if err != nil {
			return nil, domainError(err, "")
		}
		c, err := tx.Certificate(id)
		if err != nil {
			return nil, err
		}
		p := s.newPlan()
		if err := fn(p, sv, c); err != nil {
			return nil, err
		}
		return p.result(), nil
	})
}

// checkRefs normalizes the entries of a certificate's attach or detach.
func (s *Service) checkRefs(certID string, refs []DomainRef) ([]DomainRef, error) {
	if err := checkID("certificate_id", certID); err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "domains",
			Message: "domains must name at least one domain"}
	}
	if len(refs) > MaxBatchDomains {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooMany, Field: "domains", Limit: MaxBatchDomains, Got: len(refs),
			Message: fmt.Sprintf("domains holds %d entries; at most %d are allowed per call", len(refs), MaxBatchDomains)}
	}
	out := make([]DomainRef, len(refs))
	for i, r := range refs {
		name, err := s.NormalizeDomain(r.Name)
		if err != nil {
			return nil, err
		}
		if len(r.InstanceIDs) > maxInstanceIDs {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooMany, Field: "instance_ids", Limit: maxInstanceIDs, Got: len(r.InstanceIDs),
				Message: fmt.Sprintf("instance_ids holds %d entries; at most %d are allowed", len(r.InstanceIDs), maxInstanceIDs)}
		}
		for _, id := range r.InstanceIDs {
			if err := checkID("instance_ids", id); err != nil {
				return nil, err
			}
		}
		out[i] = DomainRef{Name: name, InstanceIDs: r.InstanceIDs, Verify: r.Verify}
	}
	return out, nil
}

// matching returns the account's domains a ref names. Each instance it
// lists must hold one; another account's instance holds none, so it is
// answered exactly like a missing domain.
func matching(tx store.BindingTx, r DomainRef) ([]*store.Served, error) {
	found, err := tx.DomainsNamed(r.Name, r.InstanceIDs)
	if err != nil {
		return nil, err
	}
	missing := len(found) == 0
	for _, inst := range r.InstanceIDs {
		missing = missing || !slices.ContainsFunc(found, func(sv *store.Served) bool { return sv.Domain.InstanceID == inst })
	}
	if missing {
		return nil, &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoDomain, Value: certgate.Clip(r.Name),
			Message: "domain not found: " + r.Name}
	}
	return found, nil
}

// AttachDomains binds one certificate to every domain the refs name
// (BatchAssociateDomainsV2), all or none.
func (s *Service) AttachDomains(ctx context.Context, accountID, certID string, refs []DomainRef) error {
	return s.changeDomains(ctx, accountID, certID, refs, func(p *plan, c *certgate.Certificate, r DomainRef, found []*store.Served) error {
		for _, sv := range found {
			if err := p.attach(sv, c, r.Verify); err != nil {
				return err
			}
		}
		return nil
	})
}

// DetachDomains unbinds one certificate from the domains the refs name
// (BatchDisassociateDomainsV2), all or none. Of the domains a ref names,
// those the certificate is bound to are detached; a ref naming none of
// them is ENotFound (ReasonNoBinding).
func (s *Service) DetachDomains(ctx context.Context, accountID, certID string, refs []DomainRef) error {
	return s.changeDomains(ctx, accountID, certID, refs, func(p *plan, c *certgate.Certificate, r DomainRef, found []*store.Served) error {
		hit := false
		for _, sv := range found {
			if p.detached[sv.Domain.ID] {
				hit = true // an earlier entry named it: detached already
				continue
			}
			if sv = p.latest(sv); bound(sv, c.ID) {
				hit = true
				if err := p.detach(sv, c.ID); err != nil {
					return err
				}
				p.detached[sv.Domain.ID] = true
			}
		}
		if !hit {
			return &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoBinding, Value: certgate.Clip(r.Name),
				Message: fmt.Sprintf("certificate %s is not bound to the domain %s", c.ID, r.Name)}
		}
		return nil
	})
}

// changeDomains runs fn on every ref's domains in one binding change.
func (s *Service) changeDomains(ctx context.Context, accountID, certID string, refs []DomainRef,
	fn func(p *plan, c *certgate.Certificate, r DomainRef, found []*store.Served) error) error {
	refs, err := s.checkRefs(certID, refs)
	if err != nil {
		return err
	}
	return s.store.ChangeBindings(ctx, accountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		c, err := tx.Certificate(certID)
		if err != nil {
			return nil, err
		}
		p := s.newPlan()
		for _, r := range refs {
			found, err := matching(tx, r)
			if err != nil {
				return nil, err
			}
			if err := fn(p, c, r, found); err != nil {
				return nil, err
			}
		}
		return p.result(), nil
	})
}

// Served returns the certificates bound to d, in binding order.
func (s *Service) Served(ctx context.Context, d *certgate.Domain) ([]*certgate.Certificate, error) {
	bs, err := s.store.ListDomainBindings(ctx, d.AccountID, d.InstanceID, d.GroupID, d.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*certgate.Certificate, 0, len(bs))
	for _, b := range bs {
		c, err := s.store.GetCertificate(ctx, certgate.Scope{AccountID: d.AccountID}, certgate.KindServer, b.CertificateID)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			continue // deleted between the two reads: it no longer serves
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Attached is a domain a certificate is bound to, with its group.
type Attached struct {
	Domain *certgate.Domain
	Group  *certgate.APIGroup
}

// AttachedDomains returns the domains certificate certID is bound to
// (ListAttachedDomainsV2), those whose name contains nameFilter, in
// binding order, one page of them and how many match.
func (s *Service) AttachedDomains(ctx context.Context, accountID, certID, nameFilter string, offset, limit int) ([]Attached, int64, error) {
	if err := checkID("certificate_id", certID); err != nil {
		return nil, 0, err
	}
	if _, err := s.store.GetCertificate(ctx, certgate.Scope{AccountID: accountID}, certgate.KindServer, certID); err != nil {
		return nil, 0, err
	}
	bs, err := s.store.ListCertificateBindings(ctx, accountID, certID)
	if err != nil {
		return nil, 0, err
	}
	nameFilter = strings.ToLower(nameFilter)
	var match []Attached
	for _, b := range bs {
		d, err := s.store.GetDomain(ctx, accountID, b.InstanceID, b.GroupID, b.DomainID)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		if !strings.Contains(d.Name, nameFilter) {
			continue
		}
		g, err := s.store.GetGroup(ctx, accountID, b.InstanceID, b.GroupID)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		match = append(match, Attached{Domain: d, Group: g})
	}
	return page(match, offset, limit), int64(len(match)), nil
}

// DomainCertificate returns certificate certID if it is bound to the domain
// (ShowDetailsOfDomainNameCertificateV2); ENotFound (ReasonNoBinding) if
// it is not.
func (s *Service) DomainCertificate(ctx context.Context, accountID, instanceID, groupID, domainID, certID string) (*certgate.Certificate, error) {
	if err := checkID("certificate_id", certID); err != nil {
		return nil, err
	}
	if _, err := s.Group(ctx, accountID, instanceID, groupID); err != nil {
		return nil, err
	}
	d, err := s.store.GetDomain(ctx, accountID, instanceID, groupID, domainID)
	if err != nil {
		return nil, domainError(err, "")
	}
	served, err := s.Served(ctx, d)
	if err != nil {
		return nil, err
	}
	for _, c := range served {
		if c.ID == certID {
			return c, nil
		}
	}
	return nil, &certgate.Error{Code: certgate.ENotFound, Reason: ReasonNoBinding, Value: certgate.Clip(d.Name),
		Message: fmt.Sprintf("certificate %s is not bound to the domain %s", certgate.Clip(certID), d.Name)}
}
