package pki

import (
	"crypto/x509"
	"time"
)

// Facts are the properties of a certificate that the API dialects report and
// that stores index, extracted once so both dialects agree.
type Facts struct {
	CommonName string
	// SANs lists DNS names, then IP addresses, then email addresses, then
	// URIs, each group in certificate order.
	SANs                []string
	NotBefore, NotAfter time.Time // UTC
	SerialNumber        string    // decimal
	SignatureAlgorithm  string    // x509.SignatureAlgorithm.String(), e.g. "SHA256-RSA"
	KeyAlgorithm        string    // "RSA" or "ECC" (other types: x509.PublicKeyAlgorithm.String())

	// The subject's attributes.
	Organization, OrganizationalUnit, Locality, Province, Country []string

	IssuerOrganization []string
	IssuerCommonName   string
	Version            int
}

// Describe extracts the Facts of c. Slices are copies, so callers may keep or
// modify them without touching c.
func Describe(c *x509.Certificate) Facts {
	f := Facts{
		CommonName:         c.Subject.CommonName,
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		KeyAlgorithm:       keyAlgorithm(c.PublicKeyAlgorithm),
		Organization:       clone(c.Subject.Organization),
		OrganizationalUnit: clone(c.Subject.OrganizationalUnit),
		Locality:           clone(c.Subject.Locality),
		Province:           clone(c.Subject.Province),
		Country:            clone(c.Subject.Country),
		IssuerOrganization: clone(c.Issuer.Organization),
		IssuerCommonName:   c.Issuer.CommonName,
		Version:            c.Version,
	}
	if c.SerialNumber != nil {
		f.SerialNumber = c.SerialNumber.String()
	}
	n := len(c.DNSNames) + len(c.IPAddresses) + len(c.EmailAddresses) + len(c.URIs)
	if n > 0 {
		f.SANs = make([]string, 0, n)
		f.SANs = append(f.SANs, c.DNSNames...)
		for _, ip := range c.IPAddresses {
			f.SANs = append(f.SANs, ip.String())
		}
		f.SANs = append(f.SANs, c.EmailAddresses...)
		for _, u := range c.URIs {
			f.SANs = append(f.SANs, u.String())
		}
	}
	return f
}

// keyAlgorithm uses the names Huawei APIG reports ("RSA", "ECC"); AWS does
// not report one.
func keyAlgorithm(a x509.PublicKeyAlgorithm) string {
	switch a {
	case x509.RSA:
		return "RSA"
	case x509.ECDSA:
		return "ECC"
	}
	return a.String()
}

func clone(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return append([]string(nil), s...)
}
