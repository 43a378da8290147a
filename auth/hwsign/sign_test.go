package hwsign

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// defaultSigned are the headers Sign signs, when present, if the caller names
// none: the Go SDK's set (user-agent, x-project-id, x-sdk-date, plus
// x-security-token and x-sdk-content-sha256 when it sends them) and host and
// content-type, which Huawei's other signers add.
var defaultSigned = []string{
	"content-type", "host", "user-agent", "x-project-id",
	"x-sdk-content-sha256", "x-sdk-date", "x-security-token",
}

// Sign signs r in place like the Huawei Go SDK, the client side of this
// package's own tests (other packages use internal/sign, which these tests
// cannot import: it imports this package). It sets X-Sdk-Date from now if
// absent, signs the headers named in signedHeaders (lower-cased, sorted,
// deduplicated) and sets Authorization. With signedHeaders nil it signs those
// of content-type, host, user-agent, x-project-id, x-sdk-content-sha256,
// x-sdk-date and x-security-token that r carries. The payload hash is
// X-Sdk-Content-Sha256 if set, else the SHA-256 of body, which must be the
// bytes r will carry.
func Sign(r *http.Request, body []byte, accessKeyID, secret string, signedHeaders []string, now time.Time) error {
	if r.URL == nil {
		return errors.New("hwsign: request has no URL")
	}
	if accessKeyID == "" || secret == "" {
		return errors.New("hwsign: access key id and secret are required")
	}
	if r.Header == nil {
		r.Header = make(http.Header)
	}
	sdkDate := r.Header.Get(headerDate)
	if sdkDate == "" {
		sdkDate = now.UTC().Format(dateLayout)
		r.Header.Set(headerDate, sdkDate)
	} else if t, err := time.Parse(dateLayout, sdkDate); err != nil || t.Format(dateLayout) != sdkDate {
		return errors.New("hwsign: X-Sdk-Date is not in 20060102T150405Z form")
	}
	r.Header.Del("Authorization")

	var signed []string
	if signedHeaders == nil {
		for _, name := range defaultSigned {
			if _, ok := headerValues(r, name); ok {
				signed = append(signed, name)
			}
		}
	} else {
		for _, name := range signedHeaders {
			name = strings.ToLower(name)
			if !isToken(name) {
				return errors.New("hwsign: signed header name is not a token")
			}
			if _, ok := headerValues(r, name); !ok {
				return errors.New("hwsign: signed header " + name + " is absent from the request")
			}
			signed = append(signed, name)
		}
		slices.Sort(signed)
		signed = slices.Compact(signed)
	}
	if len(signed) == 0 {
		return errors.New("hwsign: no headers to sign")
	}

	payloadHash := hexSHA256(body)
	if h := r.Header.Get(headerContentSHA); h != "" {
		payloadHash = h
	}
	creq, ok := CanonicalRequest(r, signed, payloadHash)
	if !ok {
		return errors.New("hwsign: query string has an invalid percent-encoding")
	}
	sig := hex.EncodeToString(signature(secret, StringToSign(sdkDate, creq)))
	r.Header.Set("Authorization", algorithm+" Access="+accessKeyID+
		", SignedHeaders="+strings.Join(signed, ";")+", Signature="+sig)
	return nil
}
