package main

import (
	"go/parser"
	"go/token"
	"regexp"
	"strings"
	"testing"
)

// The command's doc comment names every top-level subcommand the help
// does, so that go doc does not describe a smaller tool than the binary.
func TestCommandDocNamesEverySubcommand(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	doc := f.Doc.Text()
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  certgate ([a-z-]+)`).FindAllStringSubmatch(topUsage, -1) {
		cmd := m[1]
		if cmd == "help" || seen[cmd] {
			continue
		}
		seen[cmd] = true
		if !strings.Contains(doc, "certgate "+cmd) {
			t.Errorf("the doc comment of main.go does not mention certgate %s", cmd)
		}
	}
	if len(seen) < 5 {
		t.Fatalf("found %d subcommands in topUsage: the pattern is wrong", len(seen))
	}
}
