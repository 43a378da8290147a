package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
)

// FuzzHuaweiMatch: any request path against a fixed table never panics;
// a match's variables are non-empty path text; a NORMAL literal route
// matches exactly its own path; an SWA match's rest and prefix rebuild the
// path.
func FuzzHuaweiMatch(f *testing.F) {
	for _, p := range []string{"/", "/test/AA/CC", "/items/new", "/files/a/b", "//", "/slash/", "/a%2Fb", "/test/AA/", "/\x00"} {
		f.Add("GET", p)
	}
	var routes []*hwRoute
	for i, c := range []struct{ method, path, mode string }{
		{"GET", "/test/", "SWA"}, {"GET", "/test/AA", "SWA"}, {"GET", "/test/AA", "NORMAL"}, {"ANY", "/items/{id}", "NORMAL"},
		{"GET", "/items/new", "NORMAL"}, {"GET", "/files/{rest+}", "NORMAL"}, {"GET", "/slash/", "NORMAL"}, {"GET", "/", "NORMAL"},
	} {
		tmpl, err := gwconfig.ParseFrontendURI(c.path)
		if err != nil {
			f.Fatal(err)
		}
		v := &certgate.APIVersion{ID: string(rune('a' + i)), API: certgate.API{Path: c.path}}
		routes = append(routes, &hwRoute{v: v, api: &v.API, method: c.method, tmpl: tmpl, swa: c.mode == "SWA"})
	}
	t := &hwTable{routes: routes}
	f.Fuzz(func(t2 *testing.T, method, path string) {
		m, _ := t.match(method, path)
		if m.route == nil {
			return
		}
		for k, v := range m.vars {
			if v == "" || !strings.Contains(path, v) {
				t2.Fatalf("%q: variable %s = %q", path, k, v)
			}
		}
		if !m.route.swa && len(m.route.tmpl.Vars()) == 0 && "/"+strings.TrimPrefix(path, "/") != m.route.api.Path {
			t2.Fatalf("%q matched the literal route %q", path, m.route.api.Path)
		}
		if m.route.swa && len(m.rest) > 0 && !strings.HasSuffix(path, strings.Join(m.rest, "/")) {
			t2.Fatalf("%q: rest %q", path, m.rest)
		}
	})
}

// FuzzAWSMatch: any invocation path through a stage never panics and
// answers with a status (never 500 for routing reasons).
func FuzzAWSMatch(f *testing.F) {
	for _, p := range []string{"/prod", "/prod/", "/prod/pets/9", "/prod/a/b", "/x", "/prod//", "/_aws/execute-api/abc123/prod/pets", "/prod/%2e%2e"} {
		f.Add(p)
	}
	g := New(Config{Source: &fakeSource{}})
	st := restStage("abc123", "prod", map[string]map[string]*certgate.Method{
		"/":          {"GET": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK"}}},
		"/{proxy+}":  {"ANY": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK"}}},
		"/pets/{id}": {"GET": {AuthorizationType: "NONE", Integration: &certgate.Integration{Type: "MOCK"}}},
		"/pets":      {},
	})
	root, err := compileDeployment(st.Deployment)
	if err != nil {
		f.Fatal(err)
	}
	s := newSnapshot(1)
	s.routes.stages["abc123"] = map[string]*awsStage{"prod": {stage: st.Stage, api: st.API, root: root}}
	f.Fuzz(func(t *testing.T, path string) {
		r := httptest.NewRequest("GET", "http://abc123.execute-api.x/", nil)
		r.URL.Path = path
		w := httptest.NewRecorder()
		g.serveAWS(w, r, s, &accessEntry{}, "abc123", path)
		if w.Code != http.StatusOK && w.Code != http.StatusForbidden && w.Code != http.StatusNotFound {
			t.Fatalf("%q: %d %s", path, w.Code, w.Body)
		}
		if n, vars := root.match(splitPath("/"+strings.TrimPrefix(path, "/")), nil); n != nil {
			for k, v := range vars {
				if v == "" {
					t.Fatalf("%q: empty variable %s", path, k)
				}
			}
		}
	})
}
