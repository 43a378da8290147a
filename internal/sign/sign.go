// Package sign signs requests as clients of certgate's two API dialects do:
// AWS Signature Version 4 and Huawei's SDK-HMAC-SHA256. It is for tests (and
// for a load generator); the servers only verify, in auth/sigv4 and
// auth/hwsign.
//
// The caller passes the scheme's canonical request (sigv4.CanonicalRequest,
// hwsign.CanonicalRequest), so that a signer and its verifier share one
// canonical form and cannot drift apart. Taking it as an argument, rather
// than importing those packages, lets their own tests sign with this
// package too.
package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// dateLayout is the basic ISO 8601 form both schemes use (X-Amz-Date,
// X-Sdk-Date).
const dateLayout = "20060102T150405Z"

// unsignedHeaders are left out by SigV4 because proxies and transports add,
// drop or rewrite them (botocore skips the first three for the same reason).
var unsignedHeaders = map[string]bool{
	"authorization": true, "user-agent": true, "expect": true, "x-amzn-trace-id": true,
	"connection": true, "keep-alive": true, "proxy-authorization": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "content-length": true,
}

// SigV4Canonical builds a SigV4 canonical request: sigv4.CanonicalRequest.
type SigV4Canonical func(r *http.Request, signedHeaders []string, payloadHash string) string

// HuaweiCanonical builds an SDK-HMAC-SHA256 canonical request, ok false when
// the query cannot be decoded: hwsign.CanonicalRequest.
type HuaweiCanonical func(r *http.Request, signedHeaders []string, payloadHash string) (string, bool)

// SigV4 signs r in place with the canonical form canonical: it sets
// X-Amz-Date from now if absent and sets Authorization, signing host and
// every header of r.Header except hop-by-hop ones. It does not set
// X-Amz-Content-Sha256. body must be the bytes r will carry.
func SigV4(canonical SigV4Canonical, r *http.Request, body []byte, accessKeyID, secret, region, service string, now time.Time) error {
	if r.URL == nil {
		return errors.New("sign: request has no URL")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	if r.Host == "" && r.URL.Host == "" {
		return errors.New("sign: request has no host")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		amzDate = now.UTC().Format(dateLayout)
		r.Header.Set("X-Amz-Date", amzDate)
	} else if t, err := time.Parse(dateLayout, amzDate); err != nil || t.Format(dateLayout) != amzDate {
		return errors.New("sign: X-Amz-Date is not in 20060102T150405Z form")
	}
	r.Header.Del("Authorization")

	signed := []string{"host"}
	for name := range r.Header {
		if l := strings.ToLower(name); !unsignedHeaders[l] && l != "host" {
			signed = append(signed, l)
		}
	}
	slices.Sort(signed)
	signed = slices.Compact(signed)

	payloadHash := hexSHA256(body)
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		payloadHash = h
	}
	date := amzDate[:8]
	scope := date + "/" + region + "/" + service + "/aws4_request"
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hexSHA256([]byte(canonical(r, signed, payloadHash)))
	key := []byte("AWS4" + secret)
	for _, part := range []string{date, region, service, "aws4_request"} {
		key = hmacSHA256(key, part)
	}
	sig := hex.EncodeToString(hmacSHA256(key, sts))
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKeyID+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

// huaweiDefaultSigned are the headers Huawei signs, when present, if the
// caller names none: the Go SDK's set (user-agent, x-project-id, x-sdk-date,
// plus x-security-token and x-sdk-content-sha256 when it sends them) and
// host and content-type, which Huawei's other signers add.
var huaweiDefaultSigned = []string{
	"content-type", "host", "user-agent", "x-project-id",
	"x-sdk-content-sha256", "x-sdk-date", "x-security-token",
}

// Huawei signs r in place like the Huawei Go SDK, with the canonical form
// canonical. It sets X-Sdk-Date from
// now if absent, signs the headers named in signedHeaders (lower-cased,
// sorted, deduplicated) and sets Authorization. With signedHeaders nil it
// signs those of huaweiDefaultSigned that r carries. The payload hash is
// X-Sdk-Content-Sha256 if set, else the SHA-256 of body, which must be the
// bytes r will carry.
func Huawei(canonical HuaweiCanonical, r *http.Request, body []byte, accessKeyID, secret string, signedHeaders []string, now time.Time) error {
	if r.URL == nil {
		return errors.New("sign: request has no URL")
	}
	if accessKeyID == "" || secret == "" {
		return errors.New("sign: access key id and secret are required")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	sdkDate := r.Header.Get("X-Sdk-Date")
	if sdkDate == "" {
		sdkDate = now.UTC().Format(dateLayout)
		r.Header.Set("X-Sdk-Date", sdkDate)
	} else if t, err := time.Parse(dateLayout, sdkDate); err != nil || t.Format(dateLayout) != sdkDate {
		return errors.New("sign: X-Sdk-Date is not in 20060102T150405Z form")
	}
	r.Header.Del("Authorization")

	var signed []string
	if signedHeaders == nil {
		for _, name := range huaweiDefaultSigned {
			if carries(r, name) {
				signed = append(signed, name)
			}
		}
	} else {
		for _, name := range signedHeaders {
			name = strings.ToLower(name)
			if !isToken(name) {
				return errors.New("sign: signed header name is not a token")
			}
			if !carries(r, name) {
				return errors.New("sign: signed header " + name + " is absent from the request")
			}
			signed = append(signed, name)
		}
		slices.Sort(signed)
		signed = slices.Compact(signed)
	}
	if len(signed) == 0 {
		return errors.New("sign: no headers to sign")
	}

	payloadHash := hexSHA256(body)
	if h := r.Header.Get("X-Sdk-Content-Sha256"); h != "" {
		payloadHash = h
	}
	creq, ok := canonical(r, signed, payloadHash)
	if !ok {
		return errors.New("sign: query string has an invalid percent-encoding")
	}
	sts := "SDK-HMAC-SHA256\n" + sdkDate + "\n" + hexSHA256([]byte(creq))
	sig := hex.EncodeToString(hmacSHA256([]byte(secret), sts))
	r.Header.Set("Authorization", "SDK-HMAC-SHA256 Access="+accessKeyID+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}

// carries reports whether r will carry the header name (lower case), where
// net/http keeps it: Host and, for requests built in process, the length and
// transfer encoding live outside Header.
func carries(r *http.Request, name string) bool {
	switch name {
	case "host":
		return r.Host != "" || r.URL.Host != ""
	case "content-length":
		if r.ContentLength > 0 {
			return true
		}
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return true
		}
	}
	return len(r.Header.Values(name)) > 0
}

// isToken reports whether s is an RFC 9110 token, the form of a header name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
