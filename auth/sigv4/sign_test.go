package sigv4

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// unsignedHeaders are left out by Sign because proxies and transports add,
// drop or rewrite them (botocore skips the first three for the same reason).
var unsignedHeaders = map[string]bool{
	"authorization": true, "user-agent": true, "expect": true, "x-amzn-trace-id": true,
	"connection": true, "keep-alive": true, "proxy-authorization": true, "te": true,
	"trailer": true, "transfer-encoding": true, "upgrade": true, "content-length": true,
}

// Sign signs r in place, the client side of this package's own tests (other
// packages use internal/sign, which these tests cannot import: it imports this
// package). It sets X-Amz-Date from now if absent and sets Authorization,
// signing host and every header of r.Header except hop-by-hop ones. It does
// not set X-Amz-Content-Sha256. body must be the bytes r will carry.
func Sign(r *http.Request, body []byte, accessKeyID, secret, region, service string, now time.Time) error {
	if r.URL == nil {
		return errors.New("sigv4: request has no URL")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	if r.Host == "" && r.URL.Host == "" {
		return errors.New("sigv4: request has no host")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		amzDate = now.UTC().Format(amzDateLayout)
		r.Header.Set("X-Amz-Date", amzDate)
	} else if t, err := time.Parse(amzDateLayout, amzDate); err != nil || t.Format(amzDateLayout) != amzDate {
		return errors.New("sigv4: X-Amz-Date is not in 20060102T150405Z form")
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
	scope := scopeString(date, region, service)
	sts := StringToSign(amzDate, scope, CanonicalRequest(r, signed, payloadHash))
	sig := signature(SigningKey(secret, date, region, service), sts)
	r.Header.Set("Authorization", algorithm+" Credential="+accessKeyID+"/"+scope+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}
