// Package rowcodec is the certificate row format shared by the SQL
// backends (store/sqlite, store/postgres): the column list, how tags, SANs,
// sealed keys and times are stored, and how a row is read back. The SQL
// statements are in store/internal/sqlstore; the stored form is defined
// once here, so the two backends cannot drift apart.
package rowcodec

import (
	"encoding/json"
	"time"

	"github.com/certgate/certgate"
)

// CertColumns is the column list every certificate SELECT uses, in the
// order ScanCert reads.
const CertColumns = `id, account_id, region, kind, name, description, tags, instance_id,
	certificate_pem, key_sealed, seal_key_id, trusted_root_ca,
	common_name, sans, not_before, not_after, serial_number, signature_algorithm, key_algorithm,
	created_at, updated_at, version`

// Encoded holds a certificate's fields in their stored forms.
type Encoded struct {
	Tags string // JSON object, sorted keys
	SANs string // JSON array
	Key  []byte // never nil: the column is NOT NULL, and drivers send nil as NULL
}

// EncodeCert returns the stored forms of c's tags, SANs and sealed key.
func EncodeCert(c *certgate.Certificate) (Encoded, error) {
	tags := c.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	// encoding/json sorts map keys, so equal tag sets give equal text.
	t, err := json.Marshal(tags)
	if err != nil {
		return Encoded{}, err
	}
	sans := c.SANs
	if sans == nil {
		sans = []string{}
	}
	s, err := json.Marshal(sans)
	if err != nil {
		return Encoded{}, err
	}
	key := c.KeySealed
	if key == nil {
		key = []byte{}
	}
	return Encoded{Tags: string(t), SANs: string(s), Key: key}, nil
}

// Scanner is a row of either driver: *sql.Row, *sql.Rows, pgx.Row, pgx.Rows.
type Scanner interface{ Scan(dest ...any) error }

// ScanCert reads one row selected with CertColumns. Both drivers copy
// bytes out of their buffers, so the result shares no memory with them.
func ScanCert(s Scanner) (*certgate.Certificate, error) {
	var (
		c                                      certgate.Certificate
		kind, tags, sans                       string
		notBefore, notAfter, created, modified int64
	)
	err := s.Scan(&c.ID, &c.Scope.AccountID, &c.Scope.Region, &kind, &c.Name, &c.Description,
		&tags, &c.InstanceID, &c.CertificatePEM, &c.KeySealed, &c.SealKeyID, &c.TrustedRootCA,
		&c.CommonName, &sans, &notBefore, &notAfter, &c.SerialNumber, &c.SignatureAlgorithm,
		&c.KeyAlgorithm, &created, &modified, &c.Version)
	if err != nil {
		return nil, err
	}
	c.Kind = certgate.Kind(kind)
	if err := json.Unmarshal([]byte(tags), &c.Tags); err != nil {
		return nil, err
	}
	if c.Tags == nil {
		c.Tags = map[string]string{}
	}
	if err := json.Unmarshal([]byte(sans), &c.SANs); err != nil {
		return nil, err
	}
	if len(c.SANs) == 0 {
		c.SANs = nil
	}
	if len(c.KeySealed) == 0 {
		c.KeySealed = nil
	}
	c.NotBefore = FromMicros(notBefore)
	c.NotAfter = FromMicros(notAfter)
	c.CreatedAt = FromMicros(created)
	c.UpdatedAt = FromMicros(modified)
	return &c, nil
}

// Micros is how times are stored: Unix microseconds, which fit every
// time.Time a certificate can carry (years 1 to 9999, zero time included).
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros turns a stored time back into a UTC time.Time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
