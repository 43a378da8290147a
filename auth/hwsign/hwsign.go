// Package hwsign verifies Huawei Cloud SDK-HMAC-SHA256 (AK/SK) signatures on
// the server side, as Huawei's API Gateway does. (Clients' signing, for
// tests, is in internal/sign; the tokens certgate accepts in X-Auth-Token are
// its own format, in package accounts.)
//
// The canonical form follows the "Authentication" section of
// huawei-apig-certificates.md (in the project's specs, ../shared/specs, not
// in this repository) and the Go SDK's signer (core/auth/signer): the decoded
// path is escaped segment by segment and always ends in '/'; the query is
// decoded, sorted by key and value, and re-escaped; signed headers are
// trimmed; the payload hash is X-Sdk-Content-Sha256 when present, else the
// SHA-256 of the exact body. The string to sign has no credential scope: the
// secret key itself is the HMAC key.
//
// Failures are *Error values carrying the status, code and message the
// gateway would send. The package logs nothing.
//
// As in package sigv4, Verify is VerifyHeaders (everything the headers
// decide, the access key included) then Pending.VerifyBody, so that a server
// can refuse a request before it reads the body.
package hwsign

import (
	"context"
	"crypto/hmac"
	"errors"
	"net/http"
	"strings"
	"time"
)

// SecretLookup returns the secret key for an access key id. It returns an
// error wrapping ErrUnknownAccessKey when the key does not exist; any other
// error is treated as an internal failure and returned to the caller as is.
type SecretLookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Identity is what a valid signature proves.
type Identity struct {
	AccessKeyID string
	// ProjectID is the X-Project-Id header ("" when absent). Verify only
	// accepts it when it is signed, so it is authenticated.
	ProjectID string
	Date      time.Time // X-Sdk-Date
	// SecurityToken is X-Security-Token ("" when absent); it is signed then.
	// Verify does not check that it belongs to AccessKeyID: a caller that
	// issues temporary keys must do that.
	SecurityToken string
}

// Verifier checks SDK-HMAC-SHA256 Authorization headers. It is safe for
// concurrent use.
type Verifier struct {
	lookup  SecretLookup
	now     func() time.Time
	maxSkew time.Duration
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the clock used for the skew check (default time.Now).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithMaxSkew sets how far X-Sdk-Date may be from the clock in either
// direction (default 15 minutes, as the gateway).
func WithMaxSkew(d time.Duration) Option { return func(v *Verifier) { v.maxSkew = d } }

// NewVerifier returns a Verifier that finds secrets with lookup, which must
// not be nil.
func NewVerifier(lookup SecretLookup, opts ...Option) *Verifier {
	if lookup == nil {
		panic("hwsign: NewVerifier needs a SecretLookup")
	}
	v := &Verifier{lookup: lookup, now: time.Now, maxSkew: 15 * time.Minute}
	for _, o := range opts {
		o(v)
	}
	return v
}

// HasSignature reports whether r carries an Authorization header with the
// SDK-HMAC-SHA256 scheme, so that a caller can choose between Verify and an
// X-Auth-Token check. It does not validate the header.
func HasSignature(r *http.Request) bool {
	for _, h := range r.Header.Values("Authorization") {
		scheme, _, _ := strings.Cut(strings.TrimLeft(h, " \t"), " ")
		if strings.EqualFold(scheme, algorithm) {
			return true
		}
	}
	return false
}

// Verify checks r's Authorization header against body (the exact request
// body bytes; nil for none). It returns *Error for every authentication
// failure, or the lookup's internal error unchanged. It is VerifyHeaders
// followed by Pending.VerifyBody.
//
// With X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD (which the SDK sends for
// content types other than JSON and BSON) the body is not authenticated; a
// caller that needs it to be must reject such requests itself.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Identity, error) {
	p, err := v.VerifyHeaders(ctx, r)
	if err != nil {
		return nil, err
	}
	return p.VerifyBody(body)
}

// Pending is a request whose headers passed every check that needs no body:
// presence and syntax of the Authorization header, the date and its skew, the
// signed headers and the query's encoding, and the access key, whose secret
// it holds. Only the signature, which covers the body's hash, is left.
type Pending struct {
	r           *http.Request
	a           *Authorization
	sdkDate     string
	date        time.Time
	secret      string
	hasProject  bool
	hasToken    bool
	contentHash string // X-Sdk-Content-Sha256, trimmed; "" when absent
}

// UnsignedPayload reports whether the client declared the body unsigned
// (X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD).
func (p *Pending) UnsignedPayload() bool { return p.contentHash == unsignedPayload }

// VerifyHeaders runs every check that the headers alone decide, the access
// key lookup included, so that a caller can refuse a request before it reads
// a byte of its body. It returns *Error for every authentication failure, or
// the lookup's internal error unchanged.
func (v *Verifier) VerifyHeaders(ctx context.Context, r *http.Request) (*Pending, error) {
	authz := r.Header.Values("Authorization")
	switch {
	case len(authz) == 0 || len(authz) == 1 && strings.TrimSpace(authz[0]) == "":
		return nil, authError(msgNoAuthorization)
	case len(authz) > 1:
		return nil, authError(msgManyAuthorization)
	}
	a, err := ParseAuthorization(authz[0])
	if err != nil {
		return nil, err
	}

	dates := r.Header.Values(headerDate)
	if len(dates) == 0 {
		return nil, authError(msgDateMissing)
	}
	if len(dates) > 1 {
		return nil, malformed("X-Sdk-Date appears more than once")
	}
	sdkDate := dates[0]
	date, err := time.Parse(dateLayout, sdkDate)
	if err != nil || date.Format(dateLayout) != sdkDate { // time.Parse alone accepts one-digit fields
		return nil, authError(msgDateFormat)
	}

	// Headers that Verify or its caller reads as single values must be
	// single, or the signature and the reader could see different ones.
	for _, h := range []string{headerProject, headerToken, headerContentSHA} {
		if len(r.Header.Values(h)) > 1 {
			return nil, malformed(h + " appears more than once")
		}
	}
	hasToken := len(r.Header.Values(headerToken)) > 0
	if hasToken && !a.signs(headerToken) {
		// An unsigned token could be swapped by anyone on the path.
		return nil, authError(msgTokenUnsigned)
	}
	hasProject := len(r.Header.Values(headerProject)) > 0
	if hasProject && !a.signs(headerProject) {
		// Identity reports the project as authenticated; an unsigned one
		// could be changed to act on another project.
		return nil, authError(msgProjectUnsigned)
	}
	for _, name := range a.SignedHeaders {
		if _, ok := headerValues(r, name); !ok {
			if n := saneName(strings.ToLower(name)); n != "" {
				return nil, malformed("signed header " + n + " is absent from the request")
			}
			return nil, malformed("a signed header is absent from the request")
		}
	}

	// The gateway answers both directions with the same text.
	now := v.now()
	if date.Before(now.Add(-v.maxSkew)) || date.After(now.Add(v.maxSkew)) {
		return nil, authError(msgExpired)
	}

	var contentHash string
	if vs := r.Header.Values(headerContentSHA); len(vs) == 1 {
		contentHash = strings.TrimSpace(vs[0])
		if contentHash != unsignedPayload && (len(contentHash) != 64 || !isHex(contentHash)) {
			return nil, authError(msgContentSHA)
		}
	}
	// The query's encoding is checked here, before the lookup; the
	// canonical request is built again once the payload hash is known.
	if _, ok := CanonicalRequest(r, a.SignedHeaders, unsignedPayload); !ok {
		return nil, authError(msgQueryEncoding)
	}

	secret, err := v.lookup(ctx, a.AccessKeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			return nil, unknownKey(a.AccessKeyID)
		}
		return nil, err
	}
	return &Pending{r: r, a: a, sdkDate: sdkDate, date: date, secret: secret,
		hasProject: hasProject, hasToken: hasToken, contentHash: contentHash}, nil
}

// VerifyBody checks the signature over body (the exact request body bytes;
// nil for none). It returns *Error when the signature does not hold.
func (p *Pending) VerifyBody(body []byte) (*Identity, error) {
	r, a := p.r, p.a
	payloadHash := p.contentHash
	switch {
	case payloadHash == unsignedPayload:
	case payloadHash == "":
		payloadHash = hexSHA256(body)
	case !strings.EqualFold(payloadHash, hexSHA256(body)):
		// A hash that does not describe this body vouches for another body.
		return nil, authError(msgSignatureWrong)
	}
	creq, ok := CanonicalRequest(r, a.SignedHeaders, payloadHash)
	if !ok {
		return nil, authError(msgQueryEncoding)
	}
	want := signature(p.secret, stringToSign(p.sdkDate, creq))
	if !hmac.Equal(want, decodeSignature(a.Signature)) {
		return nil, authError(msgSignatureWrong)
	}
	id := &Identity{AccessKeyID: a.AccessKeyID, Date: p.date}
	if p.hasProject {
		id.ProjectID = strings.TrimSpace(r.Header.Get(headerProject))
	}
	if p.hasToken {
		id.SecurityToken = strings.TrimSpace(r.Header.Get(headerToken))
	}
	return id, nil
}
