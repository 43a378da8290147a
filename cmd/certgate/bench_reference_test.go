package main

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// hw-show and --reference against a real server: the scenario's requests
// are accepted (zero errors), every phase runs, and the ratio is the
// quotient of the two sides' throughputs.
func TestBenchReference(t *testing.T) {
	s := startServer(t, nil)
	for _, sc := range []string{"aws-get", "hw-show"} {
		t.Run(sc, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"bench", sc, "--reference", "--rounds", "2", "--requests", "40", "--concurrency", "2", "--json"}, acctFlags(s, s.Bootstrap)...)
			if code := run(context.Background(), args, &stdout, &stderr, func(string) string { return "" }); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			var res referenceResult
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, stdout.String())
			}
			if len(res.Phases) != 4 {
				t.Fatalf("phases: %d, want 4 (reference, subject, twice)", len(res.Phases))
			}
			for i, p := range res.Phases {
				want := sc + " reference"
				if i%2 == 1 {
					want = sc + " subject"
				}
				if p.Scenario != want || p.Requests != 40 || p.Errors != 0 {
					t.Errorf("phase %d: %s, %d requests, errors %v; want %s, 40, none", i, p.Scenario, p.Requests, p.ErrorsBy, want)
				}
			}
			if res.StatusCode != 200 || res.BodyBytes < 100 || res.Reference <= 0 || res.Subject <= 0 {
				t.Errorf("implausible: %+v", res)
			}
			if got := res.Subject / res.Reference; res.Ratio < got-0.002 || res.Ratio > got+0.002 {
				t.Errorf("ratio %v, want subject/reference = %v", res.Ratio, got)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), append([]string{"bench", "hw-upload", "--reference", "--requests", "1"}, acctFlags(s, s.Bootstrap)...), &stdout, &stderr, func(string) string { return "" }); code != 2 || !strings.Contains(stderr.String(), "--reference takes") {
		t.Errorf("hw-upload --reference: exit %d, %q; want 2 and a refusal", code, stderr.String())
	}
}

// The bare handler answers with exactly the bytes the server answered:
// the same status, the same headers (but Date, which net/http writes on
// both) and the same body.
func TestBenchReferenceReplaysTheAnswer(t *testing.T) {
	s := startServer(t, nil)
	for _, sc := range []string{"aws-get", "hw-show", "aws-list", "hw-list"} {
		t.Run(sc, func(t *testing.T) {
			f := &benchFlags{endpoint: s.URL(), accessKeyID: s.Bootstrap.AccessKeyID, secret: s.Bootstrap.SecretAccessKey,
				projectID: s.Bootstrap.Account.ProjectID, region: "us-east-1"}
			f.opts.Concurrency = 1
			b, err := newBencher(f)
			if err != nil {
				t.Fatal(err)
			}
			defer b.close()
			ctx := context.Background()
			op, err := b.scenario(ctx, sc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := capture(ctx, op)
			if err != nil {
				t.Fatal(err)
			}
			client, stop, err := bareServer(want, 1)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			var got *captured
			class := op(context.WithValue(ctx, benchCtxKey{}, &benchCtx{client: client, capture: func(status int, h http.Header, body []byte) {
				got = &captured{status: status, header: h.Clone(), body: body}
			}}))
			if class != "" || got == nil {
				t.Fatalf("through the bare handler: %q", class)
			}
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Errorf("bare handler: %d %q\nserver: %d %q", got.status, got.body, want.status, want.body)
			}
			delete(got.header, "Date")
			delete(want.header, "Date")
			if !maps.EqualFunc(got.header, want.header, slices.Equal) {
				t.Errorf("headers differ:\nbare   %v\nserver %v", got.header, want.header)
			}
			if want.status != 200 || len(want.body) < 10 {
				t.Errorf("the captured answer is not a success: %d %q", want.status, want.body)
			}
		})
	}
}
