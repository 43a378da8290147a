package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// checkGolden compares a JSON response body with testdata/golden/name.json,
// after replacing each string of subst by its placeholder (ids the test
// made), request_id by "<request-id>", and every value of a key ending in
// "_time" by "<unix-seconds>" or "<rfc3339>" as its type is, so that
// the file records the shape and the fixed values only. With -update it
// writes the file instead.
func checkGolden(t *testing.T, name string, body []byte, subst map[string]string) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: the body is not JSON: %v: %q", name, err, body)
	}
	v = normalize(v, "", subst)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the response differs from %s (-update rewrites it)\n got: %s\nwant: %s", name, path, got, want)
	}
}

func normalize(v any, key string, subst map[string]string) any {
	if key == "request_id" {
		return "<request-id>"
	}
	if strings.HasSuffix(key, "_time") {
		// The placeholder keeps the time's wire type and format.
		switch x := v.(type) {
		case float64:
			return "<unix-seconds>"
		case string:
			if _, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return "<rfc3339>"
			}
		}
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e, k, subst)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e, key, subst)
		}
	case string:
		// Longest first, so that an id inside another (a group id inside
		// its sl_domain) is replaced whole.
		olds := make([]string, 0, len(subst))
		for old := range subst {
			olds = append(olds, old)
		}
		sort.Slice(olds, func(i, j int) bool { return len(olds[i]) > len(olds[j]) })
		for _, old := range olds {
			x = strings.ReplaceAll(x, old, subst[old])
		}
		return x
	}
	return v
}
