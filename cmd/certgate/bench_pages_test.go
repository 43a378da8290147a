package main

import (
	"strings"
	"testing"
)

// --limit and --offset reach the server inside the signed query: pages
// within the APIs' bounds are answered (the signatures over the query
// verify), and an AWS limit past its bound is refused by the server, which
// shows the value was sent. (Huawei clamps a limit above 500.)
func TestBenchListPages(t *testing.T) {
	s := startServer(t, nil)
	for _, c := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"aws-list", "--limit", "500"}, ""},
		{[]string{"hw-list", "--limit", "500", "--offset", "3"}, ""},
		{[]string{"aws-list", "--limit", "501"}, "HTTP 400"},
	} {
		res, code, stderr := benchRun(t, append(append(c.args, "--requests", "20", "--concurrency", "2"), acctFlags(s, s.Bootstrap)...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		var types []string
		for k := range res.ErrorsBy {
			types = append(types, k)
		}
		switch {
		case c.wantErr == "" && res.Errors != 0:
			t.Errorf("%v: errors %v", c.args, res.ErrorsBy)
		case c.wantErr != "" && (res.Errors != 20 || len(types) != 1 || !strings.HasPrefix(types[0], c.wantErr)):
			t.Errorf("%v: errors %v, want 20 × %s", c.args, res.ErrorsBy, c.wantErr)
		}
	}
}
