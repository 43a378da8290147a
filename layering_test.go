package certgate_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/certgate/certgate/"

// parseProduction parses the non-test files of the package in dir.
func parseProduction(t *testing.T, dir string) []*ast.File {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		t.Fatalf("%s: no files", dir)
	}
	return files
}

// TestLayering pins the import edges the layering forbids: each would pull a
// package above its place (or sideways) for something that belongs lower.
func TestLayering(t *testing.T) {
	for _, rule := range []struct{ pkg, forbidden, why string }{
		{"rotation", "certs", "the AAD builders live in the root package"},
		{"rotation", "accounts", "the AAD builders live in the root package"},
		{"accounts", "auth/hwsign", "the token format is certgate's own, in accounts"},
		{"api/huawei", "store", "the list type values are certs.TypeGlobal and certs.TypeInstance"},
		{"api/aws", "store", "a dialect reaches data only through the core's tenant-scoped services, never the store"},
		{"api", "store", "the shared plumbing reaches data only through the core's tenant-scoped services"},
		{"api", "accounts", "api takes a small Resolver interface"},
		{"internal/sign", "auth/sigv4", "the auth packages' own tests sign with internal/sign"},
		{"internal/sign", "auth/hwsign", "the auth packages' own tests sign with internal/sign"},
	} {
		for _, f := range parseProduction(t, rule.pkg) {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if path == module+rule.forbidden {
					t.Errorf("%s imports %s: %s", rule.pkg, rule.forbidden, rule.why)
				}
			}
		}
	}
}

// TestNarrowSurface fails when a name that only one package needs, or that
// only tests need, is exported again.
func TestNarrowSurface(t *testing.T) {
	for pkg, names := range map[string][]string{
		"certs":       {"Modify", "KeyAAD"},
		"accounts":    {"SecretAAD"},
		"auth/sigv4":  {"Sign"},
		"auth/hwsign": {"Sign", "NewToken", "HashToken", "LooksLikeToken"},
	} {
		exported := map[string]bool{}
		for _, f := range parseProduction(t, pkg) {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					exported[d.Name.Name] = true
				case *ast.GenDecl:
					for _, s := range d.Specs {
						if v, ok := s.(*ast.ValueSpec); ok {
							for _, n := range v.Names {
								exported[n.Name] = true
							}
						}
					}
				}
			}
		}
		for _, n := range names {
			if exported[n] {
				t.Errorf("%s declares %s: it was unexported or moved out (only one package, or only tests, need it)", pkg, n)
			}
		}
	}
}
