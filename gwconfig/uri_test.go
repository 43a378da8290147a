package gwconfig

import (
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate"
)

func TestParseFrontendURI(t *testing.T) {
	for _, c := range []struct {
		uri, route string
		vars       []string
	}{
		{"/", "/", nil},
		{"/a", "/a", nil},
		{"/test/", "/test/", nil},
		{"/a/{x}", "/a/{}", []string{"x"}},
		{"/a/{x}/b/{rest+}", "/a/{}/b/{+}", []string{"x", "rest"}},
		{"/v1.0/{test01}", "/v1.0/{}", []string{"test01"}},
		{"/a%20b/*/-_.~", "/a%20b/*/-_.~", nil},
		{"/{a.b-c_d}", "/{}", []string{"a.b-c_d"}},
	} {
		tm, err := ParseFrontendURI(c.uri)
		if err != nil {
			t.Errorf("%q: %v", c.uri, err)
			continue
		}
		if got := tm.Route(); got != c.route {
			t.Errorf("%q: route %q, want %q", c.uri, got, c.route)
		}
		if got := tm.Vars(); !slices.Equal(got, c.vars) {
			t.Errorf("%q: vars %q, want %q", c.uri, got, c.vars)
		}
	}
	for _, bad := range []string{"", "a", "//", "/a//b", "/a/{x", "/a/x}", "/a/{}", "/a/{1x}", "/p-{x}", "/{x}{y}",
		"/{x+}/b", "/{x+}/", "/{x}/{x}", "/a b", "/a?b", "/a#b", "/%zz", "/%4", "/é", "/" + strings.Repeat("a", 512), "/{" + strings.Repeat("x", 33) + "}"} {
		_, err := ParseFrontendURI(bad)
		if e := certgate.AsError(err); e == nil || e.Code != certgate.EInvalid || e.Field != "req_uri" {
			t.Errorf("%.30q: %v; want EInvalid on req_uri", bad, err)
		}
	}
}

func TestParseBackendURI(t *testing.T) {
	tm, err := ParseBackendURI("/prefix-{x}-suffix/{y}/z")
	if err != nil {
		t.Fatal(err)
	}
	if got := tm.Vars(); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("vars %q", got)
	}
	if len(tm.Segments[0].Parts) != 3 || tm.Segments[0].Parts[1].Var != "x" || tm.Segments[0].Parts[2].Literal != "-suffix" {
		t.Errorf("segment 0: %+v", tm.Segments[0])
	}
	for _, bad := range []string{"/{x+}", "/a/{x}-{x}", "b", "/#var#"} {
		if _, err := ParseBackendURI(bad); certgate.ErrorCode(err) != certgate.EInvalid || certgate.AsError(err).Field != "backend_api.req_uri" {
			t.Errorf("%q: %v; want EInvalid on backend_api.req_uri", bad, err)
		}
	}
}

// FuzzParseURI checks that the parsers never panic, that they refuse
// with EInvalid only, and that what the frontend parser accepts has a
// route that parses again to itself and the same variable count.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"/", "/a/{x}", "/a/{x}/{y+}", "/p-{x}", "/test/", "//", "/{", "/%41", "/a/{x+}/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		tm, err := ParseFrontendURI(uri)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("%q: %v", uri, err)
			}
		} else {
			r := tm.Route()
			if strings.Count(r, "{") != len(tm.Vars()) || len(r) > len(uri)+1 && uri != "/" {
				t.Fatalf("%q: route %q for vars %q", uri, r, tm.Vars())
			}
			if !strings.HasPrefix(uri, "/") || strings.ContainsAny(uri, " ?#") {
				t.Fatalf("%q accepted", uri)
			}
		}
		if _, err := ParseBackendURI(uri); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("backend %q: %v", uri, err)
		}
	})
}
