package huawei

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Every key of uploadCodes is a reason package pki can return: a key that
// no code produces (such as the "no_san" of before, which pki says does not
// exist) documents a mapping that never happens.
func TestUploadCodesArePKIReasons(t *testing.T) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), "../../pki", func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					v := s.(*ast.ValueSpec)
					for i, n := range v.Names {
						if !strings.HasPrefix(n.Name, "Reason") || i >= len(v.Values) {
							continue
						}
						if lit, ok := v.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							reasons[s] = true
						}
					}
				}
			}
		}
	}
	if len(reasons) < 5 {
		t.Fatalf("found %d pki.Reason constants: the walk is wrong", len(reasons))
	}
	for k := range uploadCodes {
		if !reasons[k] {
			t.Errorf("uploadCodes maps %q, which is no pki.Reason* value", k)
		}
	}
}
