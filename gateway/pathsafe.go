package gateway

import (
	"errors"
	"strings"
)

// A backend resolves dot segments (nginx, most frameworks, RFC 3986's
// remove_dot_segments): /base/a/../../secret is /secret there. So no "."
// or ".." segment a caller chose reaches a backend path, from the request
// path (decoded: %2e%2e and ..%2F are dots and slashes too) or from a
// parameter mapped into the backend path. Dots inside a segment (..b, v1.0)
// pass, and so does a double-encoded %252e, which the backend sees as %2e.
// Huawei's and AWS's own answers to such paths are UNCONFIRMED: certgate
// answers each dialect's 400.

// errDotSegment is a mapped path parameter that would climb the backend
// path.
var errDotSegment = errors.New("a path parameter would put a '.' or '..' segment in the backend path")

const (
	dotPathHuawei = "API request error: the request path has a '.' or '..' segment"
	dotPathAWS    = "Invalid request path: it has a '.' or '..' segment"
)

// hasDotSegment reports whether a slash-separated path (or a value mapped
// into one) has a "." or ".." segment.
func hasDotSegment(p string) bool {
	for p != "" {
		var seg string
		seg, p, _ = strings.Cut(p, "/")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// errBadHeaderValue is a value mapped into a backend header that no
// header may carry (CR, LF, NUL and the other controls but tab): Go's
// transport would refuse to send it, which looked like a backend failure.
var errBadHeaderValue = errors.New("a mapped header value has a control character")

// badHeaderValue reports whether any value in h has a byte RFC 9110 does
// not allow in a field value.
func badHeaderValue(h map[string][]string) bool {
	for _, vs := range h {
		for _, v := range vs {
			for i := 0; i < len(v); i++ {
				if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
					return true
				}
			}
		}
	}
	return false
}
