package hwsign

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Requests the Huawei Go SDK v0.1.207 sent to a local server (AK
// TESTAK0123456789, SK testsecretkey). testdata holds a copy so the test runs
// in a clone without the shared directory.
const (
	sharedCaptures = "../../../shared/testdata/hwsign-captures"
	captureFile    = "huawei-go-sdk.log"
)

type capture struct {
	name    string // index and request line
	method  string
	target  string // request URI as sent
	host    string
	headers []string // "Name: value"
	body    []byte
	sigOK   bool
}

// request renders the capture with target replaced and parses it as
// net/http's server would.
func (c capture) request(t testing.TB, target string) *http.Request {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", c.method, target, c.host)
	for _, h := range c.headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(c.body)
	r, err := http.ReadRequest(bufio.NewReader(&b))
	if err != nil {
		t.Fatalf("%s: ReadRequest: %v", c.name, err)
	}
	return r
}

func (c capture) header(name string) string {
	for _, h := range c.headers {
		if k, v, ok := strings.Cut(h, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (c capture) date(t testing.TB) time.Time {
	d, err := time.Parse(dateLayout, c.header("X-Sdk-Date"))
	if err != nil {
		t.Fatalf("%s: X-Sdk-Date: %v", c.name, err)
	}
	return d
}

// parseCaptures reads blocks of the form
//
//	>>> METHOD REQUEST-URI (Host=HOST)
//	    Header: value
//	    body="Go-quoted"
//	    sigOK=true
func parseCaptures(t testing.TB, data string) []capture {
	t.Helper()
	var out []capture
	var cur *capture
	for n, line := range strings.Split(data, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, ">>> "):
			rest := strings.TrimPrefix(line, ">>> ")
			method, rest, _ := strings.Cut(rest, " ")
			target, host, ok := strings.Cut(rest, " (Host=")
			if !ok || !strings.HasSuffix(host, ")") {
				t.Fatalf("line %d: bad request line %q", n+1, line)
			}
			out = append(out, capture{name: fmt.Sprintf("%d %s %s", len(out), method, target),
				method: method, target: target, host: strings.TrimSuffix(host, ")")})
			cur = &out[len(out)-1]
		case cur == nil:
			t.Fatalf("line %d: %q outside a block", n+1, line)
		case strings.HasPrefix(line, "    body="):
			b, err := strconv.Unquote(strings.TrimPrefix(line, "    body="))
			if err != nil {
				t.Fatalf("line %d: body: %v", n+1, err)
			}
			cur.body = []byte(b)
		case strings.TrimSpace(line) == "sigOK=true":
			cur.sigOK = true
		case strings.HasPrefix(line, "    "):
			cur.headers = append(cur.headers, strings.TrimPrefix(line, "    "))
		default:
			t.Fatalf("line %d: unexpected %q", n+1, line)
		}
	}
	return out
}

func loadCaptures(t testing.TB) []capture {
	t.Helper()
	dir := "testdata"
	if _, err := os.Stat(filepath.Join(dir, captureFile)); err != nil {
		dir = sharedCaptures
		if _, err := os.Stat(filepath.Join(dir, captureFile)); err != nil {
			t.Skipf("no Huawei SDK captures: neither testdata/ nor %s holds %s", sharedCaptures, captureFile)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, captureFile))
	if err != nil {
		t.Fatal(err)
	}
	return parseCaptures(t, string(data))
}

func captureVerifier(secret string, now time.Time) *Verifier {
	lookup := func(_ context.Context, ak string) (string, error) {
		if ak != testAK {
			return "", fmt.Errorf("lookup %q: %w", ak, ErrUnknownAccessKey)
		}
		return secret, nil
	}
	return NewVerifier(lookup, fixedClock(now))
}

func TestCaptures(t *testing.T) {
	caps := loadCaptures(t)
	if len(caps) != 10 {
		t.Fatalf("parsed %d capture blocks, want 10", len(caps))
	}
	features := map[string]bool{}
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			if !c.sigOK {
				t.Fatal("capture not marked sigOK=true")
			}
			if cl := c.header("Content-Length"); cl != "" && cl != strconv.Itoa(len(c.body)) {
				t.Fatalf("Content-Length %s but body has %d bytes", cl, len(c.body))
			}
			now := c.date(t)
			ctx := context.Background()
			verify := func(secret string, now time.Time, target string, body []byte) (*Identity, error) {
				return captureVerifier(secret, now).Verify(ctx, c.request(t, target), body)
			}

			id, err := verify(testSecret, now, c.target, c.body)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			want := Identity{AccessKeyID: testAK, ProjectID: testProject, Date: now}
			if *id != want {
				t.Fatalf("identity %+v, want %+v", *id, want)
			}
			// The clock may be anywhere within the skew.
			for _, d := range []time.Duration{-15 * time.Minute, 15 * time.Minute} {
				if _, err := verify(testSecret, now.Add(d), c.target, c.body); err != nil {
					t.Fatalf("clock %v: %v", d, err)
				}
			}
			id, err = verify(testSecret, now.Add(16*time.Minute), c.target, c.body)
			wantError(t, "clock 16 minutes ahead", id, err, msgExpired)

			id, err = verify("wrong", now, c.target, c.body)
			wantError(t, "wrong secret", id, err, msgSignatureWrong)
			id, err = verify(testSecret+" ", now, c.target, c.body)
			wantError(t, "secret with a trailing space", id, err, msgSignatureWrong)

			body := bytes.Clone(c.body)
			if len(body) > 0 {
				body[len(body)/2] ^= 0x01
			} else {
				body = []byte("x")
			}
			id, err = verify(testSecret, now, c.target, body)
			wantError(t, "body byte changed", id, err, msgSignatureWrong)
			if len(c.body) > 0 {
				id, err = verify(testSecret, now, c.target, bytes.TrimSuffix(c.body, []byte("\n")))
				wantError(t, "trailing newline dropped", id, err, msgSignatureWrong)
			}

			path, query, hasQuery := strings.Cut(c.target, "?")
			withQuery := func(p string) string {
				if hasQuery {
					return p + "?" + query
				}
				return p
			}
			last := path[len(path)-1]
			repl := byte('x')
			if last == 'x' {
				repl = 'y'
			}
			id, err = verify(testSecret, now, withQuery(path[:len(path)-1]+string(repl)), c.body)
			wantError(t, "path byte changed", id, err, msgSignatureWrong)
			id, err = verify(testSecret, now, withQuery(strings.Replace(path, "/v2/", "/v3/", 1)), c.body)
			wantError(t, "path version changed", id, err, msgSignatureWrong)

			// The canonical URI always ends in '/', so the signature cannot
			// tell a trailing slash apart: routing must.
			if _, err := verify(testSecret, now, withQuery(path+"/"), c.body); err != nil {
				t.Fatalf("trailing slash added: %v", err)
			}
			// Escaping an unreserved character does not change the decoded path.
			if _, err := verify(testSecret, now, withQuery(strings.Replace(path, "apigw", "api%67w", 1)), c.body); err != nil {
				t.Fatalf("%%67 for g: %v", err)
			}

			if hasQuery {
				features["query"] = true
				id, err = verify(testSecret, now, path, c.body)
				wantError(t, "query dropped", id, err, msgSignatureWrong)
				id, err = verify(testSecret, now, c.target+"&offset=0", c.body)
				wantError(t, "parameter added", id, err, msgSignatureWrong)
				parts := strings.Split(query, "&")
				slices.Reverse(parts)
				if _, err := verify(testSecret, now, path+"?"+strings.Join(parts, "&"), c.body); err != nil {
					t.Fatalf("parameters reordered: %v", err)
				}
			}
			if strings.Contains(query, "%20") {
				features["%20"] = true
				// '+' is a space in a query, as url.ParseQuery reads it.
				if _, err := verify(testSecret, now, path+"?"+strings.ReplaceAll(query, "%20", "+"), c.body); err != nil {
					t.Fatalf("%%20 sent as +: %v", err)
				}
			}
			if strings.Contains(query, "%2B") {
				features["%2B"] = true
				id, err = verify(testSecret, now, path+"?"+strings.ReplaceAll(query, "%2B", "+"), c.body)
				wantError(t, "%2B sent as raw +", id, err, msgSignatureWrong)
				id, err = verify(testSecret, now, path+"?"+strings.ReplaceAll(query, "%2B", "%20"), c.body)
				wantError(t, "%2B sent as %20", id, err, msgSignatureWrong)
			}
			if slices.Contains(strings.Split(query, "&"), "instance_id") {
				features["bare key"] = true
				// A bare key and an empty value are the same parameter.
				if _, err := verify(testSecret, now, path+"?"+strings.Replace(query, "instance_id", "instance_id=", 1), c.body); err != nil {
					t.Fatalf("instance_id=: %v", err)
				}
				id, err = verify(testSecret, now, path+"?"+strings.Replace(query, "instance_id", "instance_id=x", 1), c.body)
				wantError(t, "bare key given a value", id, err, msgSignatureWrong)
			}

			// Unsigned headers may change; signed ones may not.
			r := c.request(t, c.target)
			r.Header.Set("Accept-Encoding", "identity")
			r.Header.Set("Content-Type", "text/plain")
			if _, err := captureVerifier(testSecret, now).Verify(ctx, r, c.body); err != nil {
				t.Fatalf("unsigned headers changed: %v", err)
			}
			r = c.request(t, c.target)
			r.Header.Set("User-Agent", r.Header.Get("User-Agent")+"x")
			id, err = captureVerifier(testSecret, now).Verify(ctx, r, c.body)
			wantError(t, "user-agent changed", id, err, msgSignatureWrong)
			r = c.request(t, c.target)
			r.Header.Set("X-Project-Id", strings.Repeat("f", 32))
			id, err = captureVerifier(testSecret, now).Verify(ctx, r, c.body)
			wantError(t, "project changed", id, err, msgSignatureWrong)
			r = c.request(t, c.target)
			r.Method = map[string]string{"GET": "HEAD", "POST": "PUT", "PUT": "POST", "DELETE": "GET"}[c.method]
			id, err = captureVerifier(testSecret, now).Verify(ctx, r, c.body)
			wantError(t, "method changed", id, err, msgSignatureWrong)
		})
	}
	for _, f := range []string{"query", "%20", "%2B", "bare key"} {
		if !features[f] {
			t.Errorf("no capture exercised %s", f)
		}
	}
}

// The canonical request of the list capture, spelled out: bare key, %20 and
// %2B, and the '/' appended to the path.
func TestCaptureCanonicalList(t *testing.T) {
	var c capture
	for _, x := range loadCaptures(t) {
		if strings.Contains(x.target, "instance_id&") {
			c = x
		}
	}
	if c.name == "" {
		t.Fatal("no capture with a bare instance_id")
	}
	r := c.request(t, c.target)
	got, ok := CanonicalRequest(r, []string{"user-agent", "x-project-id", "x-sdk-date"}, hexSHA256(nil))
	if !ok {
		t.Fatal("canonicalRequest failed")
	}
	want := "GET\n" +
		"/v2/0123456789abcdef0123456789abcdef/apigw/certificates/\n" +
		"instance_id=&limit=10&name=cert%20demo%2Bx\n" +
		"user-agent:" + c.header("User-Agent") + "\n" +
		"x-project-id:0123456789abcdef0123456789abcdef\n" +
		"x-sdk-date:20261122T104612Z\n\n" +
		"user-agent;x-project-id;x-sdk-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Fatalf("canonical request:\n%s\nwant:\n%s", got, want)
	}
	// What a handler reading r.URL.Query() sees is what was signed.
	q := r.URL.Query()
	if q.Get("name") != "cert demo+x" || !q.Has("instance_id") || q.Get("instance_id") != "" || q.Get("limit") != "10" {
		t.Fatalf("query as a handler reads it: %v", q)
	}
	if got, want := authParam(r, "Signature"), "18d6bbf5ffaeab78eb67da77cbbdf5d3f74dcc9d354a490ac76f2c3562a4ad92"; got != want {
		t.Fatalf("capture signature %s", got)
	}
	if got := fmt.Sprintf("%x", signature(testSecret, stringToSign("20261122T104612Z", want))); got != authParam(r, "Signature") {
		t.Fatalf("recomputed signature %s", got)
	}
}
