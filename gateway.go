package certgate

import "time"

// Instance is a gateway instance, the Huawei APIG {instance_id} every
// gateway path names. Each account has one, made with the account, and may
// add more; all are served by the same data plane.
type Instance struct {
	ID        string // 32 lowercase hex characters
	AccountID string // the owning account; instances are scoped by it alone
	Name      string
	CreatedAt time.Time
}

// APIGroup is an API group of an instance: the unit that custom domains
// (and later APIs) belong to.
type APIGroup struct {
	ID         string // 32 lowercase hex characters
	AccountID  string
	InstanceID string
	Name       string // unique within its instance
	Remark     string
	// SLDomainAccess says whether the group's debugging domain
	// ({id}.apic.{suffix}) answers; true unless turned off.
	SLDomainAccess bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Version increases by one with every update, for optimistic
	// concurrency control.
	Version int64
}

// Domain is a custom domain name bound to an API group. All instances are
// served by one data plane, so a name is unique per listener across the
// whole service, not per instance.
type Domain struct {
	ID         string // 32 lowercase hex characters
	AccountID  string
	InstanceID string
	GroupID    string
	Name       string // lowercase; exact ("api.example.com") or wildcard ("*.example.com")
	// MinTLSVersion is "TLSv1.1" or "TLSv1.2".
	MinTLSVersion string
	// RedirectHTTP sends plain HTTP requests to HTTPS.
	RedirectHTTP bool
	// VerifyClients requires client certificates signed by a bound
	// certificate's trusted root CA.
	VerifyClients bool
	// HTTPPort and HTTPSPort are the listeners the domain is served on:
	// 0 the gateway's own, -1 none (that protocol is off), otherwise a
	// port the gateway listens on.
	HTTPPort  int
	HTTPSPort int
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Binding is a certificate bound to a custom domain: the domain is served
// with it. A domain holds at most one certificate per key algorithm.
type Binding struct {
	AccountID     string
	InstanceID    string
	GroupID       string
	DomainID      string
	CertificateID string // a server certificate of the same account
	Algorithm     string // the certificate's KeyAlgorithm: RSA, ECC or SM2
	CreatedAt     time.Time
}
