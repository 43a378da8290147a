package hwsign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	algorithm       = "SDK-HMAC-SHA256"
	dateLayout      = "20060102T150405Z"
	unsignedPayload = "UNSIGNED-PAYLOAD"

	headerDate       = "X-Sdk-Date"
	headerContentSHA = "X-Sdk-Content-Sha256"
	headerToken      = "X-Security-Token"
	headerProject    = "X-Project-Id"
)

// CanonicalRequest builds the canonical request of r for the signed header
// names (used as listed, in the listed order) and the payload hash. ok is
// false when the query string cannot be decoded (see canonicalQuery). It is
// exported, as sigv4.CanonicalRequest is, for client-side signing
// (internal/sign).
func CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) (string, bool) {
	method := r.Method
	if method == "" {
		method = http.MethodGet // what net/http sends for an empty Method
	}
	var path, rawQuery string
	if r.URL != nil {
		path, rawQuery = r.URL.Path, r.URL.RawQuery
	}
	query, ok := canonicalQuery(rawQuery)
	if !ok {
		return "", false
	}
	var b strings.Builder
	b.Grow(256 + len(path) + len(query))
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(path))
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		vs, _ := headerValues(r, name)
		for _, v := range vs {
			b.WriteString(name)
			b.WriteByte(':')
			b.WriteString(v)
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	for i, name := range signedHeaders {
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(name)
	}
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), true
}

// stringToSign returns "SDK-HMAC-SHA256\n" + X-Sdk-Date + "\n" +
// hex(sha256(canonicalRequest)).
func stringToSign(sdkDate, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithm + "\n" + sdkDate + "\n" + hex.EncodeToString(sum[:])
}

func signature(secret, stringToSign string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return m.Sum(nil)
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// canonicalURI encodes the decoded path segment by segment and makes it end
// in '/', as the SDK does. Working on the decoded path means /a%2Fb and /a/b
// sign alike, and so do /a and /a/: the SDK signs the path before Go escapes
// it, so a server cannot tell these apart from the signature alone.
func canonicalURI(path string) string {
	var b strings.Builder
	b.Grow(len(path) + 8)
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '/' {
			b.WriteByte('/')
		} else {
			escapeByte(&b, c)
		}
	}
	if b.Len() == 0 || path[len(path)-1] != '/' {
		b.WriteByte('/')
	}
	return b.String()
}

// canonicalQuery decodes each key and value as url.ParseQuery does ('+' is a
// space), sorts by decoded key and then decoded value (the SDK sorts before
// escaping, and escaping does not keep byte order for non-ASCII), and joins
// esc(k)=esc(v) with '&'. A bare key gives "k=".
//
// Decoding like url.ParseQuery makes the signature cover exactly what a
// handler reading r.URL.Query() sees. A component that is not valid
// percent-encoding makes ok false: ParseQuery would drop it, so accepting it
// would let "%zz" stand in for a signed "%25zz" and hide the parameter.
func canonicalQuery(raw string) (string, bool) {
	if raw == "" {
		return "", true
	}
	pairs := make([][2]string, 0, strings.Count(raw, "&")+1)
	for p := range strings.SplitSeq(raw, "&") {
		if p == "" {
			continue // "a=1&&b=2": an empty component carries no parameter
		}
		k, v, _ := strings.Cut(p, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return "", false
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			return "", false
		}
		pairs = append(pairs, [2]string{dk, dv})
	}
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	var b strings.Builder
	b.Grow(len(raw) * 2)
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		escape(&b, p[0])
		b.WriteByte('=')
		escape(&b, p[1])
	}
	return b.String(), true
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// escape percent-encodes every byte outside A-Za-z0-9-_.~ with upper-case
// hex, the SDK's escape().
func escape(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		escapeByte(b, s[i])
	}
}

func escapeByte(b *strings.Builder, c byte) {
	const hexUpper = "0123456789ABCDEF"
	if unreserved(c) {
		b.WriteByte(c)
		return
	}
	b.WriteByte('%')
	b.WriteByte(hexUpper[c>>4])
	b.WriteByte(hexUpper[c&15])
}

// headerValues returns the canonical values of the header name, trimmed and
// sorted (the SDK writes one "name:value" line per value, sorted), and
// whether r carries the header at all.
func headerValues(r *http.Request, name string) ([]string, bool) {
	switch strings.ToLower(name) {
	case "host":
		// net/http moves Host out of Header; Request.Host keeps the port.
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return []string{strings.TrimSpace(h)}, h != ""
	case "content-length":
		// Requests built in process (httptest, http.NewRequest) carry the
		// length only in ContentLength; servers also keep the header.
		if len(r.Header.Values(name)) == 0 && r.ContentLength > 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}, true
		}
	case "transfer-encoding":
		// The server deletes this header and records it in TransferEncoding.
		if len(r.Header.Values(name)) == 0 && len(r.TransferEncoding) > 0 {
			return []string{strings.Join(r.TransferEncoding, ",")}, true
		}
	}
	vs := r.Header.Values(name)
	switch len(vs) {
	case 0:
		return nil, false
	case 1:
		return []string{strings.TrimSpace(vs[0])}, true
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = strings.TrimSpace(v)
	}
	slices.Sort(t)
	return t, true
}
