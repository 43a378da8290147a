package gateway

import (
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
)

// Route matching, for both dialects. Paths are compared by segment: a
// request path is split at '/', after percent-decoding (r.URL.Path), and a
// trailing slash is a final empty segment, so that /test/ and /test differ
// as Huawei's gateway says they do.

// splitPath returns the segments of an absolute path: "/" has none, "/a/"
// has "a" and "".
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// hwRoute is one published API version, compiled for matching.
type hwRoute struct {
	v      *certgate.APIVersion
	api    *certgate.API
	method string // a method, or ANY
	tmpl   gwconfig.Template
	swa    bool
	// backend is the parsed backend req_uri (HTTP backends).
	backend gwconfig.Template
}

// hwTable holds the routes of one group in one environment, in the order
// they are tried: every NORMAL route before every SWA one; NORMAL routes
// by specificity (segment by segment, a literal before a variable before
// the rest of the path, then a method before ANY); SWA routes by the
// longest prefix, then a method before ANY. The first match wins, so the
// outcome never depends on the order of publication.
type hwTable struct {
	routes []*hwRoute
}

// hwMatch is a matched route with its path variables and, for SWA, the
// unmatched rest of the path.
type hwMatch struct {
	route *hwRoute
	vars  map[string]string
	rest  []string
}

// match finds the route of method and path. pathOnly reports whether some
// route matched the path with another method (Huawei answers that "The API
// does not exist." rather than "… has not been published").
func (t *hwTable) match(method, path string) (m hwMatch, pathOnly bool) {
	segs := splitPath(path)
	for _, r := range t.routes {
		vars, rest, ok := r.matchPath(segs)
		if !ok {
			continue
		}
		if r.method != "ANY" && r.method != method {
			pathOnly = true
			continue
		}
		return hwMatch{route: r, vars: vars, rest: rest}, false
	}
	return hwMatch{}, pathOnly
}

// matchPath matches the request's segments against the route's template.
func (r *hwRoute) matchPath(segs []string) (vars map[string]string, rest []string, ok bool) {
	ts := r.tmpl.Segments
	want := len(ts)
	if r.tmpl.TrailingSlash && !r.swa {
		want++ // the final empty segment
	}
	greedy := len(ts) > 0 && ts[len(ts)-1].Greedy
	switch {
	case r.swa:
		// A prefix on a segment boundary: /test/AA serves /test/AA/BB,
		// not /test/AACC. A trailing slash in the template is the
		// boundary itself.
		if len(segs) < len(ts) {
			return nil, nil, false
		}
	case greedy:
		if len(segs) < len(ts) {
			return nil, nil, false
		}
	default:
		if len(segs) != want {
			return nil, nil, false
		}
		if r.tmpl.TrailingSlash && segs[len(segs)-1] != "" {
			return nil, nil, false
		}
	}
	for i, s := range ts {
		switch {
		case s.Greedy:
			v := strings.Join(segs[i:], "/")
			if v == "" {
				return nil, nil, false
			}
			vars = setVar(vars, s.Var, v)
			return vars, nil, true
		case s.Var != "":
			if segs[i] == "" {
				return nil, nil, false
			}
			vars = setVar(vars, s.Var, segs[i])
		case s.Literal != segs[i]:
			return nil, nil, false
		}
	}
	if r.swa {
		rest = segs[len(ts):]
	}
	return vars, rest, true
}

func setVar(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string, 2)
	}
	m[k] = v
	return m
}

// hwLess orders routes as hwTable tries them.
func hwLess(a, b *hwRoute) int {
	if a.swa != b.swa {
		if !a.swa {
			return -1
		}
		return 1
	}
	if a.swa {
		if d := len(b.tmpl.Segments) - len(a.tmpl.Segments); d != 0 {
			return d // the longer prefix first
		}
	}
	as, bs := a.tmpl.Segments, b.tmpl.Segments
	for i := 0; i < len(as) && i < len(bs); i++ {
		if d := segRank(as[i]) - segRank(bs[i]); d != 0 {
			return d
		}
	}
	if d := len(bs) - len(as); d != 0 {
		return d
	}
	if (a.method == "ANY") != (b.method == "ANY") {
		if a.method != "ANY" {
			return -1
		}
		return 1
	}
	return strings.Compare(a.v.ID, b.v.ID)
}

func segRank(s gwconfig.Segment) int {
	switch {
	case s.Greedy:
		return 2
	case s.Var != "":
		return 1
	}
	return 0
}

// awsNode is one resource of a deployment's tree, for matching: children
// by literal path part, then at most one {param} child and one {param+}
// child, as API Gateway allows.
type awsNode struct {
	path     string // the resource's path, e.g. /pets/{id}
	literal  map[string]*awsNode
	param    *awsNode
	greedy   *awsNode
	name     string // the variable's name, for param and greedy nodes
	methods  map[string]*certgate.Method
	resource string // id
}

// match finds the resource serving segs below n: a literal part beats a
// {param}, which beats {proxy+}; backtracking, so that a literal branch
// that dead-ends lets a variable one try. {proxy+} takes one segment or
// more, so it never matches its parent's own path (the stage root in
// particular).
func (n *awsNode) match(segs []string, vars map[string]string) (*awsNode, map[string]string) {
	if len(segs) == 0 {
		return n, vars
	}
	if c := n.literal[segs[0]]; c != nil {
		if m, v := c.match(segs[1:], vars); m != nil {
			return m, v
		}
	}
	if n.param != nil && segs[0] != "" {
		if m, v := n.param.match(segs[1:], setVar(cloneVars(vars), n.param.name, segs[0])); m != nil {
			return m, v
		}
	}
	if n.greedy != nil {
		return n.greedy, setVar(cloneVars(vars), n.greedy.name, strings.Join(segs, "/"))
	}
	return nil, nil
}

func cloneVars(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// method returns the node's method for an HTTP method: its own, else ANY.
func (n *awsNode) method(m string) *certgate.Method {
	if x := n.methods[m]; x != nil {
		return x
	}
	return n.methods["ANY"]
}
