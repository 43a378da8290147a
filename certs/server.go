package certs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
	"github.com/certgate/certgate/store"
)

// DefaultServerQuota caps uploaded certificates per account. Huawei documents
// no number; certgate's default is generous and configurable.
const DefaultServerQuota = 1000

// ServerInput is an uploaded SSL certificate: its name, the PEM chain (leaf
// first), its private key, and optionally CA certificates that verify
// clients. An empty InstanceID means a global certificate.
type ServerInput struct {
	Name          string
	CertPEM       string
	KeyPEM        string
	TrustedRootCA string
	InstanceID    string
	// KeyAlgorithm, when set, must match the key: "RSA" or "ECC".
	KeyAlgorithm string
}

// ServerUpdate changes an uploaded certificate. The certificate and key are
// replaced together; nil fields stay as they are.
type ServerUpdate struct {
	Name          *string
	CertPEM       string
	KeyPEM        string
	TrustedRootCA *string
	InstanceID    *string
	KeyAlgorithm  string
}

var (
	nameRe     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,49}$`)
	instanceRe = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// ValidateName checks a certificate name: 4 to 50 characters, starting with
// a letter, then letters, digits and underscores (Huawei's rule).
func ValidateName(name string) error {
	if name == "" {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "name", Message: "name is required"}
	}
	if !nameRe.MatchString(name) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "name",
			Message: "the name must be 4 to 50 characters, start with a letter, and contain only letters, digits and underscores"}
	}
	return nil
}

func validateInstanceID(id string) error {
	if id != "" && !instanceRe.MatchString(id) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "instance_id",
			Message: "the instance id must be 1 to 64 letters, digits or hyphens"}
	}
	return nil
}

func newServerID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validateUpload parses and checks certificate, key and CA bundle, turning
// pki's typed failures into domain errors that keep the reason and field.
func (s *Service) validateUpload(certPEM, keyPEM, caPEM, wantAlg string) (*pki.Upload, error) {
	if certPEM == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "cert_content", Message: "cert_content is required"}
	}
	if keyPEM == "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: "private_key", Message: "private_key is required"}
	}
	up, err := pki.ValidateUpload(certPEM, keyPEM, caPEM, s.now())
	var ue *pki.UploadError
	if errors.As(err, &ue) {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ue.Reason, Field: ue.Field, Message: ue.Msg}
	}
	if err != nil {
		return nil, err
	}
	switch wantAlg {
	case "", up.Facts.KeyAlgorithm:
	case "SM2":
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: pki.ReasonUnsupportedKey, Field: "algorithm_type",
			Message: "SM2 certificates are not supported; upload an RSA or ECC certificate"}
	case "RSA", "ECC":
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "algorithm_type",
			Message: fmt.Sprintf("algorithm_type is %s, but the certificate's key is %s", wantAlg, up.Facts.KeyAlgorithm)}
	default:
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadValue, Field: "algorithm_type",
			Message: "algorithm_type must be RSA, ECC or SM2"}
	}
	return up, nil
}

// setUpload copies an upload's chain and facts into c and seals its key. It
// leaves c.TrustedRootCA alone: the caller decides the CA, from the record it
// is changing (see UpdateServerCertificate).
func (s *Service) setUpload(c *certgate.Certificate, up *pki.Upload) error {
	c.CertificatePEM = up.ChainPEM
	c.CommonName = up.Facts.CommonName
	c.SANs = up.Facts.SANs
	c.NotBefore = up.Facts.NotBefore
	c.NotAfter = up.Facts.NotAfter
	c.SerialNumber = up.Facts.SerialNumber
	c.SignatureAlgorithm = up.Facts.SignatureAlgorithm
	c.KeyAlgorithm = up.Facts.KeyAlgorithm
	var err error
	c.KeySealed, c.SealKeyID, err = s.sealer.Seal(up.KeyPKCS8, keyAAD(c))
	if err != nil {
		return fmt.Errorf("seal key: %w", err)
	}
	return nil
}

// CreateServerCertificate validates and stores an uploaded certificate.
func (s *Service) CreateServerCertificate(ctx context.Context, scope certgate.Scope, in ServerInput) (*certgate.Certificate, error) {
	if err := validateScope(scope); err != nil {
		return nil, err
	}
	if err := ValidateName(in.Name); err != nil {
		return nil, err
	}
	if err := validateInstanceID(in.InstanceID); err != nil {
		return nil, err
	}
	up, err := s.validateUpload(in.CertPEM, in.KeyPEM, in.TrustedRootCA, in.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	c := &certgate.Certificate{
		Scope:      scope,
		Kind:       certgate.KindServer,
		Name:       in.Name,
		InstanceID: in.InstanceID,
		Tags:       map[string]string{},
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	for attempt := 0; ; attempt++ {
		if c.ID, err = newServerID(s.random); err != nil {
			return nil, err
		}
		if err := s.setUpload(c, up); err != nil {
			return nil, err
		}
		c.TrustedRootCA = up.CAPEM
		err = s.store.CreateCertificate(ctx, c, s.cfg.ServerQuota)
		if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && e.Reason == "duplicate_id" && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, accountDeleted(serverStoreError(err, in.Name, s.cfg.ServerQuota))
		}
		s.log.LogAttrs(ctx, slog.LevelInfo, "server certificate uploaded",
			slog.String("account", scope.AccountID), slog.String("id", c.ID),
			slog.String("common_name", c.CommonName), slog.Time("not_after", c.NotAfter))
		return c, nil
	}
}

// serverStoreError gives the store's name conflicts and quota errors the
// core's reasons, with the name and the quota a dialect tells the client.
func serverStoreError(err error, name string, quota int) error {
	e := certgate.AsError(err)
	switch {
	case e == nil:
		return err
	case e.Code == certgate.EConflict && e.Reason == ReasonDuplicateName:
		return &certgate.Error{Code: certgate.EConflict, Reason: ReasonDuplicateName, Field: "name", Value: certgate.Clip(name),
			Message: fmt.Sprintf("a certificate named %s already exists", certgate.Clip(name)), Err: err}
	case e.Code == certgate.ELimitExceeded:
		return &certgate.Error{Code: certgate.ELimitExceeded, Reason: ReasonServerQuota, Limit: quota,
			Message: fmt.Sprintf("the quota of %d certificates for this account is full", quota), Err: err}
	}
	return err
}

// UpdateServerCertificate replaces an uploaded certificate's contents and
// name. The new certificate and key are validated exactly as on create;
// CreatedAt is kept and UpdatedAt moves.
func (s *Service) UpdateServerCertificate(ctx context.Context, scope certgate.Scope, id string, in ServerUpdate) (*certgate.Certificate, error) {
	if err := validateID(id); err != nil {
		return nil, err
	}
	if in.Name != nil {
		if err := ValidateName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.InstanceID != nil {
		if err := validateInstanceID(*in.InstanceID); err != nil {
			return nil, err
		}
	}
	// Check the record exists before reporting problems with the upload, so
	// an unknown id is a 404 whatever the body holds.
	cur, err := s.store.GetCertificate(ctx, scope, certgate.KindServer, id)
	if err != nil {
		return nil, err
	}
	// The CA bundle is validated on its own (nothing in the upload depends on
	// it), so the CA to keep need not be known yet: an update that leaves the
	// CA alone keeps whatever CA the record holds when it is written, never
	// the one read above, which a concurrent update may have replaced.
	ca := ""
	if in.TrustedRootCA != nil {
		ca = *in.TrustedRootCA
	}
	up, err := s.validateUpload(in.CertPEM, in.KeyPEM, ca, in.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	c, err := s.modifyWith(ctx, scope, certgate.KindServer, id, func(c *certgate.Certificate) error {
		if in.Name != nil {
			c.Name = *in.Name
		}
		if in.InstanceID != nil {
			c.InstanceID = *in.InstanceID
		}
		if in.TrustedRootCA != nil {
			c.TrustedRootCA = up.CAPEM
		}
		return s.setUpload(c, up)
	}, s.writeBound)
	if err != nil {
		name := cur.Name
		if in.Name != nil {
			name = *in.Name
		}
		return nil, serverStoreError(err, name, 0)
	}
	return c, nil
}

// writeBound stores a replaced server certificate in a binding
// transaction: the domains it is bound to keep it (their bindings follow
// it), so it must still serve each of them by certgate.CheckServing,
// decided on the bindings as they are when it is written. A certificate
// that no longer covers a bound domain is refused (ReasonNotCovered,
// naming the domain).
func (s *Service) writeBound(ctx context.Context, c *certgate.Certificate) error {
	return s.store.ChangeBindings(ctx, c.Scope.AccountID, func(tx store.BindingTx) (*store.BindingEdit, error) {
		held, err := tx.Holding(c.ID)
		if err != nil {
			return nil, err
		}
		for _, sv := range held {
			certs := slices.Clone(sv.Certificates)
			for i := range certs {
				if certs[i].ID == c.ID {
					certs[i] = c
				}
			}
			if err := certgate.CheckServing(sv.Domain, certs); err != nil {
				return nil, err
			}
		}
		return &store.BindingEdit{Certificate: c}, nil
	})
}

// ServerFilter narrows a list of uploaded certificates. Empty fields match
// anything.
type ServerFilter struct {
	Name               string
	CommonName         string
	SignatureAlgorithm string
	KeyAlgorithm       string
	InstanceID         string
	Type               string // TypeGlobal, TypeInstance or empty
}

// Values of ServerFilter.Type. They are the store's, named here so that a
// dialect reaches them through the core instead of importing the store.
const (
	TypeGlobal   = store.TypeGlobal
	TypeInstance = store.TypeInstance
)

// ListServerCertificates returns one page by offset and the total matching.
func (s *Service) ListServerCertificates(ctx context.Context, scope certgate.Scope, f ServerFilter, offset, limit int) ([]*certgate.Certificate, int64, error) {
	q := store.ListQuery{
		Scope: scope, Kind: certgate.KindServer,
		Name: f.Name, CommonName: f.CommonName, SignatureAlgorithm: f.SignatureAlgorithm,
		KeyAlgorithm: f.KeyAlgorithm, InstanceID: f.InstanceID, Type: f.Type,
	}
	total, err := s.store.CountCertificates(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	q.Offset, q.Limit = offset, limit
	items, err := s.store.ListCertificates(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	return items, total, nil
}
