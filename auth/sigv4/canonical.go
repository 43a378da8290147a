package sigv4

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
	algorithm  = "AWS4-HMAC-SHA256"
	terminator = "aws4_request"
	// amzDateLayout is the ISO-8601 basic format of X-Amz-Date.
	amzDateLayout = "20060102T150405Z"
	scopeLayout   = "20060102"
)

// CanonicalRequest builds the SigV4 canonical request of r for the given
// signed header names (used as given, in the given order) and hex payload hash.
//
// The URI is r.URL.EscapedPath() encoded a second time, as every AWS service
// except S3 expects: a client that sends /tags/arn%3A...%2F... signs
// /tags/arn%253A...%252F.... A signed header absent from r contributes an
// empty value; Verify rejects that case before it gets here.
func CanonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	method := r.Method
	if method == "" {
		method = http.MethodGet // what net/http sends for an empty Method
	}
	var path, rawQuery string
	if r.URL != nil {
		path, rawQuery = r.URL.EscapedPath(), r.URL.RawQuery
	}
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(path))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(rawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		v, _ := headerValue(r, name)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// StringToSign returns the SigV4 string to sign for a request dated amzDate
// (X-Amz-Date form) with credential scope DATE/REGION/SERVICE/aws4_request.
func StringToSign(amzDate, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// SigningKey derives the SigV4 signing key for a secret, a scope date
// (YYYYMMDD), a region and a service.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func signature(key []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func scopeString(date, region, service string) string {
	return date + "/" + region + "/" + service + "/" + terminator
}

// canonicalURI encodes the path as received once more, keeping '/'. Every '%'
// of the received path becomes "%25", so /a%2Fb and /a/b sign differently, as
// they must: they name different resources.
func canonicalURI(escapedPath string) string {
	if escapedPath == "" {
		return "/"
	}
	return uriEncode(escapedPath, true)
}

// canonicalQuery decodes each raw key and value and re-encodes it per RFC 3986,
// then sorts by encoded key and then by encoded value.
//
// Decoding uses path semantics: a raw '+' is a literal plus (canonical %2B),
// not a space. AWS clients send spaces as %20 and pluses as %2B, so they never
// send a raw '+'; treating it as a space would let "a+b" and "a%20b" share one
// signature. Handlers reading the query should therefore decode it the same
// way (url.PathUnescape), not with url.ParseQuery, if '+' matters to them.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	pairs := make([][2]string, 0, len(parts))
	for _, p := range parts {
		if p == "" {
			continue // "a=1&&b=2": an empty component carries no parameter
		}
		k, v, _ := strings.Cut(p, "=") // a bare key k canonicalizes as "k="
		pairs = append(pairs, [2]string{uriEncode(queryUnescape(k), false), uriEncode(queryUnescape(v), false)})
	}
	slices.SortFunc(pairs, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
	}
	return b.String()
}

// queryUnescape percent-decodes s; a malformed escape leaves s as is (its '%'
// is then encoded as %25), so any input still yields one canonical form.
func queryUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// uriEncode percent-encodes every byte except the RFC 3986 unreserved set (and
// '/' when keepSlash), with upper-case hex as SigV4 requires.
func uriEncode(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved(c) && !(keepSlash && c == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hexUpper = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
		} else {
			b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
		}
	}
	return string(b)
}

// headerValue returns the canonical value of the header name and whether the
// request carries it. Repeated headers are joined with ',' in order.
func headerValue(r *http.Request, name string) (string, bool) {
	lname := strings.ToLower(name)
	switch lname {
	case "host":
		// net/http moves Host out of Header; Request.Host keeps the port.
		h := r.Host
		if h == "" && r.URL != nil {
			h = r.URL.Host
		}
		return trimAll(h), h != ""
	case "content-length":
		// Requests built in process (httptest, http.NewRequest) carry the
		// length only in ContentLength; servers also keep the header.
		if len(r.Header.Values(name)) == 0 && r.ContentLength > 0 {
			return strconv.FormatInt(r.ContentLength, 10), true
		}
	case "transfer-encoding":
		// The server deletes this header and records it in TransferEncoding.
		if len(r.Header.Values(name)) == 0 && len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ","), true
		}
	}
	vs := r.Header.Values(name)
	if len(vs) == 0 {
		return "", false
	}
	if len(vs) == 1 {
		return trimAll(vs[0]), true
	}
	t := make([]string, len(vs))
	for i, v := range vs {
		t[i] = trimAll(v)
	}
	return strings.Join(t, ","), true
}

// trimAll trims surrounding blanks and collapses runs of spaces, the "Trimall"
// of the SigV4 specification.
func trimAll(v string) string {
	v = strings.Trim(v, " \t")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}
