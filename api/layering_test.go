package api

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestLayering: the shared plumbing depends on no service or storage
// package, and on no dialect; it takes what it needs as small interfaces
// (Resolver). It asks the go command, so indirect imports count too.
func TestLayering(t *testing.T) {
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(goCmd, "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const mod = "github.com/certgate/certgate/"
	for _, dep := range strings.Fields(string(out)) {
		rest, ok := strings.CutPrefix(dep, mod)
		if !ok || rest == "api" {
			continue
		}
		switch top, _, _ := strings.Cut(rest, "/"); top {
		case "accounts", "certs", "store", "seal", "rotation", "cmd", "api":
			t.Errorf("package api depends on %s", dep)
		}
	}
}
