package huawei

import (
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/pki"
)

// certificateForm is the SDK's CertificateForm (create and update bodies).
type certificateForm struct {
	Name            *string `json:"name"`
	CertContent     *string `json:"cert_content"`
	PrivateKey      *string `json:"private_key"`
	Type            *string `json:"type"`
	InstanceID      *string `json:"instance_id"`
	TrustedRootCA   *string `json:"trusted_root_ca"`
	AlgorithmType   *string `json:"algorithm_type"`
	CertContentSign *string `json:"cert_content_sign"`
	PrivateKeySign  *string `json:"private_key_sign"`
}

// certBase is a list item (CertBase).
type certBase struct {
	ID                 string   `json:"id"`
	Name               string   `json:"name"`
	Type               string   `json:"type"`
	InstanceID         string   `json:"instance_id"`
	ProjectID          string   `json:"project_id"`
	CommonName         string   `json:"common_name"`
	SAN                []string `json:"san"`
	NotAfter           string   `json:"not_after"`
	SignatureAlgorithm string   `json:"signature_algorithm"`
	CreateTime         string   `json:"create_time"`
	UpdateTime         string   `json:"update_time"`
	IsHasTrustedRootCA bool     `json:"is_has_trusted_root_ca"`
	AlgorithmType      string   `json:"algorithm_type"`
}

// cert is the full Cert of create, show and update.
type cert struct {
	certBase
	certDetail
}

// certDetail is what a full certificate adds to a list item.
type certDetail struct {
	Version            int32    `json:"version"`
	Organization       []string `json:"organization"`
	OrganizationalUnit []string `json:"organizational_unit"`
	Locality           []string `json:"locality"`
	State              []string `json:"state"`
	Country            []string `json:"country"`
	NotBefore          string   `json:"not_before"`
	SerialNumber       string   `json:"serial_number"`
	Issuer             []string `json:"issuer"`
}

type listResponse struct {
	Size  int32      `json:"size"`
	Total int64      `json:"total"`
	Certs []certBase `json:"certs"`
}

// wireTime formats a time as the SDK parses it: UTC, RFC 3339, with Z.
// Epoch numbers would make the whole response fail to parse.
func wireTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// instanceGlobal is the instance id APIG shows for global certificates.
const instanceGlobal = "common"

func toBase(c *certgate.Certificate, projectID string) certBase {
	typ, inst := "global", instanceGlobal
	if c.InstanceID != "" {
		typ, inst = "instance", c.InstanceID
	}
	san := c.SANs
	if san == nil {
		san = []string{}
	}
	return certBase{
		ID: c.ID, Name: c.Name, Type: typ, InstanceID: inst, ProjectID: projectID,
		CommonName: c.CommonName, SAN: san, NotAfter: wireTime(c.NotAfter),
		SignatureAlgorithm: c.SignatureAlgorithm, CreateTime: wireTime(c.CreatedAt), UpdateTime: wireTime(c.UpdatedAt),
		IsHasTrustedRootCA: c.TrustedRootCA != "", AlgorithmType: c.KeyAlgorithm,
	}
}

// toCert describes the certificate from its contents. The subject and issuer
// details are parsed from the stored PEM on the way out rather than stored
// twice.
func toCert(c *certgate.Certificate, projectID string, facts *pki.FactsMemo) cert {
	out := cert{certBase: toBase(c, projectID), certDetail: certDetail{NotBefore: wireTime(c.NotBefore), SerialNumber: c.SerialNumber, Version: 3}}
	f, ok := facts.DescribePEM(c.CertificatePEM)
	if ok {
		out.Version = int32(f.Version)
	}
	out.Organization = orEmpty(f.Organization)
	out.OrganizationalUnit = orEmpty(f.OrganizationalUnit)
	out.Locality = orEmpty(f.Locality)
	out.State = orEmpty(f.Province)
	out.Country = orEmpty(f.Country)
	out.Issuer = orEmpty(f.IssuerOrganization)
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
