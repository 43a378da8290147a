// Package sigv4 verifies AWS Signature Version 4 on the server side, as Amazon
// API Gateway does for its rest-json API. (Clients' signing, for tests, is in
// internal/sign.)
//
// The canonical form follows the rules for every AWS service except S3 (see
// "Verifying SigV4 on the server" in aws-clientcertificate.md, in the
// project's specs, ../shared/specs, not in this repository): the path
// as received is URI-encoded a second time, the raw query is decoded and
// re-encoded per RFC 3986, host comes from Request.Host, and the payload hash
// covers the exact body bytes. Failures are *Error values carrying the code,
// status and message AWS would send. The package logs nothing.
//
// Verify runs in two phases, which a server can call apart: VerifyHeaders
// decides everything the headers can (syntax, date, skew, scope, region, the
// access key), and Pending.VerifyBody checks the signature over the body, so
// that a request that cannot be valid is refused before its body is read.
//
// In the query a raw '+' is a literal plus, as for AWS (clients send a space
// as %20 and a plus as %2B). url.ParseQuery reads '+' as a space, so a handler
// for which the difference matters should decode with url.PathUnescape to see
// exactly what was signed.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SecretLookup returns the secret access key for an access key id. It returns
// an error wrapping ErrUnknownAccessKey when the key does not exist; any other
// error is treated as an internal failure and returned to the caller as is.
type SecretLookup func(ctx context.Context, accessKeyID string) (secret string, err error)

// Identity is what a valid signature proves.
type Identity struct {
	AccessKeyID   string
	Region        string    // from the credential scope
	Date          time.Time // X-Amz-Date
	SecurityToken string    // X-Amz-Security-Token if present (it must be signed then)
}

// Verifier checks SigV4 Authorization headers for one service. It is safe for
// concurrent use.
type Verifier struct {
	service   string
	lookup    SecretLookup
	now       func() time.Time
	maxSkew   time.Duration
	cacheSize int
	cache     *keyCache
	regions   map[string]bool // nil: any region
}

// Option configures a Verifier.
type Option func(*Verifier)

// WithClock sets the clock used for the skew check (default time.Now).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithMaxSkew sets how far X-Amz-Date may be from the clock in either
// direction (default 15 minutes, as AWS).
func WithMaxSkew(d time.Duration) Option { return func(v *Verifier) { v.maxSkew = d } }

// WithCacheSize bounds the signing-key cache (default 1024 entries; 0 or less
// disables it).
func WithCacheSize(n int) Option { return func(v *Verifier) { v.cacheSize = n } }

// WithRegions limits the credential scope to the given regions, as an AWS
// endpoint serves only its own: a request scoped to another region fails
// before its access key is looked up. Without it every region is accepted.
func WithRegions(regions []string) Option {
	return func(v *Verifier) {
		v.regions = make(map[string]bool, len(regions))
		for _, r := range regions {
			v.regions[r] = true
		}
	}
}

// NewVerifier verifies requests signed for the given service name (e.g.
// "apigateway"). lookup must not be nil.
func NewVerifier(service string, lookup SecretLookup, opts ...Option) *Verifier {
	if lookup == nil {
		panic("sigv4: NewVerifier needs a SecretLookup")
	}
	v := &Verifier{service: service, lookup: lookup, now: time.Now, maxSkew: 15 * time.Minute, cacheSize: 1024}
	for _, o := range opts {
		o(v)
	}
	v.cache = newKeyCache(v.cacheSize)
	return v
}

// Verify checks r's Authorization header against body (the exact request body
// bytes; nil for none). It returns *Error for every authentication failure, or
// the lookup's internal error unchanged. It is VerifyHeaders followed by
// Pending.VerifyBody.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Identity, error) {
	p, err := v.VerifyHeaders(ctx, r)
	if err != nil {
		return nil, err
	}
	return p.VerifyBody(body)
}

// Pending is a request whose headers passed every check that needs no body:
// presence and syntax of the Authorization header, the date and its skew, the
// credential scope, and the access key, whose secret it holds. Only the
// signature, which covers the body's hash, is left to check.
type Pending struct {
	v       *Verifier
	r       *http.Request
	a       *Authorization
	amzDate string
	date    time.Time
	token   string
	secret  string
}

// VerifyHeaders runs every check that the headers alone decide, the access
// key lookup included, so that a caller can refuse a request before it reads
// a byte of its body. It returns *Error for every authentication failure, or
// the lookup's internal error unchanged.
func (v *Verifier) VerifyHeaders(ctx context.Context, r *http.Request) (*Pending, error) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 || len(authz) == 1 && strings.TrimSpace(authz[0]) == "" {
		// Presigned URLs (X-Amz-Signature in the query) are not served: such
		// a request is unsigned here and gets the one anonymous answer.
		return nil, &Error{Code: codeMissingToken, Status: http.StatusForbidden, Message: msgMissingToken}
	}
	if len(authz) > 1 {
		return nil, incomplete("Only one Authorization header is allowed.")
	}

	a, problems := parseAuthorization(authz[0])
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		if r.Header.Get("Date") != "" {
			problems = append(problems, "Authorization header requires an 'X-Amz-Date' header: the 'Date' header is not supported.")
		} else {
			problems = append(problems, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
		}
	}
	if len(problems) > 0 {
		return nil, incomplete(strings.Join(problems, " "))
	}

	date, err := time.Parse(amzDateLayout, amzDate)
	if err != nil || date.Format(amzDateLayout) != amzDate { // time.Parse alone accepts one-digit fields
		return nil, incomplete("Date must be in ISO-8601 'basic format'. Got '" + clip(amzDate) + "'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	if a.Date != amzDate[:8] {
		return nil, incomplete(fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from 'X-Amz-Date'.", a.Date, amzDate[:8]))
	}
	if v.regions != nil && !v.regions[a.Region] {
		return nil, invalidRegion(a.Region)
	}
	if a.Service != v.service {
		return nil, invalid("Credential should be scoped to correct service: '" + v.service + "'.")
	}
	if !signs(a, "host") {
		return nil, incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if len(r.Header.Values("X-Amz-Security-Token")) > 0 && !signs(a, "x-amz-security-token") {
		// An unsigned token could be swapped by anyone on the path.
		return nil, incomplete("'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization.")
	}
	for _, name := range a.SignedHeaders {
		if _, ok := headerValue(r, name); !ok {
			return nil, incomplete("Header '" + clip(strings.ToLower(name)) + "' is listed in SignedHeaders but absent from the request.")
		}
	}

	now := v.now().UTC()
	if earliest := now.Add(-v.maxSkew); date.Before(earliest) {
		return nil, invalid(fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			amzDate, earliest.Format(amzDateLayout), now.Format(amzDateLayout), skewText(v.maxSkew)))
	}
	if latest := now.Add(v.maxSkew); date.After(latest) {
		return nil, invalid(fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			amzDate, latest.Format(amzDateLayout), now.Format(amzDateLayout), skewText(v.maxSkew)))
	}

	secret, err := v.lookup(ctx, a.AccessKeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownAccessKey) {
			return nil, &Error{Code: codeUnrecognized, Status: http.StatusForbidden, Message: msgUnrecognized}
		}
		return nil, err
	}
	return &Pending{v: v, r: r, a: a, amzDate: amzDate, date: date, token: token, secret: secret}, nil
}

// VerifyBody checks the signature over body (the exact request body bytes;
// nil for none). It returns *Error when the signature does not hold.
func (p *Pending) VerifyBody(body []byte) (*Identity, error) {
	a := p.a
	// The body is always hashed: trusting a client-sent X-Amz-Content-Sha256
	// (or UNSIGNED-PAYLOAD) would leave the body unauthenticated.
	payloadHash := hexSHA256(body)
	if h := p.r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		if !strings.EqualFold(h, payloadHash) {
			return nil, invalid(msgContentSHA)
		}
		payloadHash = h // the client signed its own spelling
	}

	if !p.signatureHolds(payloadHash) {
		return nil, invalid(msgSignatureWrong)
	}
	return &Identity{AccessKeyID: a.AccessKeyID, Region: a.Region, Date: p.date, SecurityToken: p.token}, nil
}

// VerifyDeclaredHash checks the signature before the body is read, when the
// client declared the body's hash in X-Amz-Content-Sha256 (aws-sdk-go-v2
// does): the signature covers that value as the payload hash, so a caller
// without the secret is refused here, before it can make the server wait
// for a body. VerifyBody is still needed: the body must match the hash.
// It reports whether the signature was checked (false when no hash was
// declared), and returns *Error when the request cannot succeed whatever its
// body: a declared value that is no SHA-256 (which no body matches), or a
// signature that does not hold over the declared hash.
func (p *Pending) VerifyDeclaredHash() (verified bool, err error) {
	h := p.r.Header.Get("X-Amz-Content-Sha256")
	if h == "" {
		return false, nil
	}
	if _, err := hex.DecodeString(h); err != nil || len(h) != 2*sha256.Size {
		return false, invalid(msgContentSHA)
	}
	if !p.signatureHolds(h) {
		return false, invalid(msgSignatureWrong)
	}
	return true, nil
}

// signatureHolds reports whether the signature is right for payloadHash.
func (p *Pending) signatureHolds(payloadHash string) bool {
	v, a := p.v, p.a
	ck := cacheKey{secret: sha256.Sum256([]byte(p.secret)), date: a.Date, region: a.Region, service: a.Service}
	key, cached := v.cache.get(ck)
	if !cached {
		key = SigningKey(p.secret, a.Date, a.Region, a.Service)
	}
	sts := StringToSign(p.amzDate, scopeString(a.Date, a.Region, a.Service), CanonicalRequest(p.r, a.SignedHeaders, payloadHash))
	if !hmac.Equal([]byte(signature(key, sts)), []byte(a.Signature)) {
		return false
	}
	if !cached {
		// Only keys that just produced a valid signature are cached, so
		// clients cannot fill the cache with made-up regions.
		v.cache.put(ck, key)
	}
	return true
}

func signs(a *Authorization, name string) bool {
	for _, n := range a.SignedHeaders {
		if strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// skewText prints the skew as AWS does ("15 min").
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return d.String()
}
