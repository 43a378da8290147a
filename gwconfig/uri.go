package gwconfig

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
)

// MaxURILen is the longest req_uri, frontend or backend, in bytes.
const MaxURILen = 512

// Segment is one /-separated part of a path template.
type Segment struct {
	// Literal is the segment's text when it is not a variable. A frontend
	// segment is a literal or a variable, never both; a backend segment
	// may mix them (Parts).
	Literal string
	// Var names the variable of a {name} or {name+} segment.
	Var string
	// Greedy is {name+}: the rest of the path, one segment or more
	// (frontend only, and only last).
	Greedy bool
	// Parts is a backend segment that mixes text and variables
	// (/prefix-{x}-suffix), in order; a part with Var set is a variable.
	Parts []Segment
}

// Template is a parsed req_uri.
type Template struct {
	Segments []Segment
	// TrailingSlash is a path that ends in /: /test/ and /test are
	// different APIs.
	TrailingSlash bool
}

// Vars returns the template's variable names, in order.
func (t Template) Vars() []string {
	var out []string
	for _, s := range t.Segments {
		if s.Var != "" {
			out = append(out, s.Var)
		}
		for _, p := range s.Parts {
			if p.Var != "" {
				out = append(out, p.Var)
			}
		}
	}
	return out
}

// Route is the template with its variables' names dropped ({} and {+}):
// two frontend paths with the same route match the same requests.
func (t Template) Route() string {
	var b strings.Builder
	for _, s := range t.Segments {
		b.WriteByte('/')
		switch {
		case s.Greedy:
			b.WriteString("{+}")
		case s.Var != "":
			b.WriteString("{}")
		default:
			b.WriteString(s.Literal)
		}
	}
	if t.TrailingSlash || len(t.Segments) == 0 {
		b.WriteByte('/')
	}
	return b.String()
}

// varNameRe is the rule for a path variable, the same as for a request
// parameter's name: 1 to 32 letters, digits, -_. starting with a letter.
var varNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,31}$`)

// literalChar reports whether c may appear in a path's literal text:
// RFC 3986's pchar without the percent (checked apart).
func literalChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ParseFrontendURI parses an API's req_uri: /-separated segments, each a
// literal or a whole {name} variable, and last a {name+} one that takes
// the rest of the path.
func ParseFrontendURI(uri string) (Template, error) { return parseURI("req_uri", uri, false) }

// ParseBackendURI parses a backend's req_uri, where a segment may mix text
// and {name} variables (/prefix-{x}-suffix) and {name+} is not allowed.
func ParseBackendURI(uri string) (Template, error) { return parseURI("backend_api.req_uri", uri, true) }

func badURI(field, uri, why string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: ReasonBadURI, Field: field, Value: certgate.Clip(uri),
		Message: "invalid path " + fmt.Sprintf("%q", certgate.Clip(uri)) + ": " + why}
}

func parseURI(field, uri string, backend bool) (Template, error) {
	var t Template
	if uri == "" {
		return t, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonMissing, Field: field, Message: field + " is required"}
	}
	if len(uri) > MaxURILen {
		return t, &certgate.Error{Code: certgate.EInvalid, Reason: ReasonTooLong, Field: field, Limit: MaxURILen, Got: len(uri),
			Message: fmt.Sprintf("%s must be at most %d characters", field, MaxURILen)}
	}
	if uri[0] != '/' {
		return t, badURI(field, uri, "it must start with /")
	}
	if uri == "/" {
		return t, nil
	}
	parts := strings.Split(uri[1:], "/")
	if parts[len(parts)-1] == "" {
		t.TrailingSlash = true
		parts = parts[:len(parts)-1]
	}
	seen := map[string]bool{}
	for i, p := range parts {
		if p == "" {
			return t, badURI(field, uri, "it has an empty segment (//)")
		}
		seg, err := parseSegment(p, backend)
		if err != nil {
			return t, badURI(field, uri, err.Error())
		}
		if seg.Var == "" && len(seg.Parts) == 0 && (seg.Literal == "." || seg.Literal == "..") {
			return t, badURI(field, uri, "it has a . or .. segment")
		}
		if seg.Greedy && (i != len(parts)-1 || t.TrailingSlash) {
			return t, badURI(field, uri, "a {name+} variable must be the last segment")
		}
		names := []string{seg.Var}
		for _, sp := range seg.Parts {
			names = append(names, sp.Var)
		}
		for _, n := range names {
			if n == "" {
				continue
			}
			if seen[n] {
				return t, badURI(field, uri, "the variable {"+n+"} appears twice")
			}
			seen[n] = true
		}
		t.Segments = append(t.Segments, seg)
	}
	return t, nil
}

// parseSegment parses one segment.
func parseSegment(p string, backend bool) (Segment, error) {
	var parts []Segment
	var lit strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '{':
			end := strings.IndexByte(p[i:], '}')
			if end < 0 {
				return Segment{}, fmt.Errorf("a { is not closed")
			}
			name := p[i+1 : i+end]
			greedy := strings.HasSuffix(name, "+")
			name = strings.TrimSuffix(name, "+")
			if !varNameRe.MatchString(name) {
				return Segment{}, fmt.Errorf("the variable name %q must be 1 to 32 letters, digits, hyphens, underscores and dots, starting with a letter", certgate.Clip(name))
			}
			if greedy && backend {
				return Segment{}, fmt.Errorf("a backend path cannot have a {name+} variable")
			}
			if lit.Len() > 0 {
				parts = append(parts, Segment{Literal: lit.String()})
				lit.Reset()
			}
			parts = append(parts, Segment{Var: name, Greedy: greedy})
			i += end + 1
		case c == '}':
			return Segment{}, fmt.Errorf("a } has no {")
		case c == '%':
			if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
				return Segment{}, fmt.Errorf("a %% must start a percent-encoded byte (%%XX)")
			}
			b, _ := strconv.ParseUint(p[i+1:i+3], 16, 8)
			switch {
			case b == '/' || b == 0:
				return Segment{}, fmt.Errorf("an encoded / or NUL (%s) is not allowed in a path", p[i:i+3])
			case literalChar(byte(b)) && b != '%':
				// An encoded character that needs no encoding is the
				// character itself, as the data plane compares paths
				// decoded: /a/%62 is /a/b, and a duplicate of it.
				lit.WriteByte(byte(b))
			default:
				lit.WriteString(strings.ToUpper(p[i : i+3]))
			}
			i += 3
		case literalChar(c):
			lit.WriteByte(c)
			i++
		default:
			return Segment{}, fmt.Errorf("the character %q is not allowed in a path", rune(c))
		}
	}
	if lit.Len() > 0 {
		parts = append(parts, Segment{Literal: lit.String()})
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	if !backend {
		return Segment{}, fmt.Errorf("a variable must be a whole segment: /{x}, not /p-{x}")
	}
	return Segment{Parts: parts}, nil
}
