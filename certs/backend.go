package certs

import (
	"context"
	"log/slog"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// BackendInput is an instance's backend client certificate: the chain and
// key the gateway presents to HTTPS backends, and the CA of two-way
// authentication.
type BackendInput struct {
	CertPEM string
	KeyPEM  string
	CAPEM   string
}

// backendFields names the fields of a backend certificate's errors as the
// feature's config names them.
var backendFields = map[string]string{"cert_content": "config.content", "private_key": "config.key", "trusted_root_ca": "config.ca"}

// backendWords rewrites an upload error's sentence in the feature's terms.
var backendWords = strings.NewReplacer("cert_content", "config.content", "private_key", "config.key",
	"trusted_root_ca", "config.ca", "server certificate", "client certificate")

// backendName is the record's name: one per instance (names are unique per
// account and kind).
func backendName(instanceID string) string { return "backend_client_certificate/" + instanceID }

// SetBackendCertificate creates or replaces the instance's backend client
// certificate. The key is validated as an upload's is (it must match the
// certificate, which must not be expired) and sealed; the write moves the
// configuration revision. The caller has checked that the instance is the
// account's.
func (s *Service) SetBackendCertificate(ctx context.Context, accountID, instanceID string, in BackendInput) (*certgate.Certificate, error) {
	up, err := s.validateUpload(in.CertPEM, in.KeyPEM, in.CAPEM, "")
	if e := certgate.AsError(err); e != nil && backendFields[e.Field] != "" {
		e.Field = backendFields[e.Field]
		e.Message = backendWords.Replace(e.Message)
	}
	if err != nil {
		return nil, err
	}
	scope := certgate.Scope{AccountID: accountID}
	for attempt := 0; ; attempt++ {
		cur, err := s.BackendCertificate(ctx, accountID, instanceID)
		if certgate.ErrorCode(err) == certgate.ENotFound {
			now := s.now().UTC()
			c := &certgate.Certificate{Scope: scope, Kind: certgate.KindBackend, Name: backendName(instanceID),
				InstanceID: instanceID, Tags: map[string]string{}, CreatedAt: now, UpdatedAt: now}
			if c.ID, err = newServerID(s.random); err != nil {
				return nil, err
			}
			if err := s.setUpload(c, up); err != nil {
				return nil, err
			}
			c.TrustedRootCA = up.CAPEM
			err = s.store.CreateCertificate(ctx, c, 0)
			// A racing first set took the name (or the id): replace it.
			if e := certgate.AsError(err); e != nil && e.Code == certgate.EConflict && attempt < 5 {
				continue
			}
			if err != nil {
				return nil, accountDeleted(err)
			}
			s.logBackend(ctx, c)
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		c, err := s.modify(ctx, scope, certgate.KindBackend, cur.ID, func(c *certgate.Certificate) error {
			if err := s.setUpload(c, up); err != nil {
				return err
			}
			c.TrustedRootCA = up.CAPEM
			return nil
		})
		if certgate.ErrorCode(err) == certgate.ENotFound && attempt < 5 {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		s.logBackend(ctx, c)
		return c, nil
	}
}

func (s *Service) logBackend(ctx context.Context, c *certgate.Certificate) {
	s.log.LogAttrs(ctx, slog.LevelInfo, "backend client certificate set",
		slog.String("account", c.Scope.AccountID), slog.String("instance", c.InstanceID), slog.String("id", c.ID),
		slog.String("common_name", c.CommonName), slog.Time("not_after", c.NotAfter))
}

// BackendCertificate returns the instance's backend client certificate
// (without its sealed key), or ENotFound.
func (s *Service) BackendCertificate(ctx context.Context, accountID, instanceID string) (*certgate.Certificate, error) {
	list, err := s.store.ListCertificates(ctx, store.ListQuery{Scope: certgate.Scope{AccountID: accountID},
		Kind: certgate.KindBackend, Name: backendName(instanceID), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, certgate.Errorf(certgate.ENotFound, "the instance has no backend client certificate")
	}
	c := list[0]
	c.KeySealed, c.SealKeyID = nil, ""
	return c, nil
}

// DeleteBackendCertificate removes the instance's backend client
// certificate (the feature switched off) and returns it; none is not an
// error (nil, nil).
func (s *Service) DeleteBackendCertificate(ctx context.Context, accountID, instanceID string) (*certgate.Certificate, error) {
	c, err := s.BackendCertificate(ctx, accountID, instanceID)
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	err = s.store.DeleteCertificate(ctx, c.Scope, certgate.KindBackend, c.ID)
	if certgate.ErrorCode(err) == certgate.ENotFound {
		return nil, nil
	}
	return c, err
}
