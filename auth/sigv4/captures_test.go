package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Captured requests from boto3, AWS CLI v1/v2 and aws-sdk-go-v2 (access key
// AKIDEXAMPLE, secret "secret", us-east-1). testdata holds a copy so the test
// runs in a clone without the shared directory.
const sharedCaptures = "../../../shared/testdata/sigv4-captures"

var captureFiles = []string{"awscli_v1.45.11.log", "awscli_v2.9.19.log", "boto3.log", "gosdk.log"}

type capture struct {
	name    string // file:index[:label]
	line    string // request line, e.g. "GET /x HTTP/1.1"
	headers string // header lines, "\n"-separated
	body    []byte
}

// raw renders the capture as wire bytes with line replaced.
func (c capture) raw(line string) []byte {
	var b bytes.Buffer
	b.WriteString(line + "\r\n")
	b.WriteString(strings.ReplaceAll(c.headers, "\n", "\r\n"))
	b.WriteString("\r\n\r\n")
	b.Write(c.body)
	return b.Bytes()
}

// request parses the capture as net/http's server would.
func (c capture) request(t testing.TB, line string) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(c.raw(line))))
	if err != nil {
		t.Fatalf("%s: ReadRequest: %v", c.name, err)
	}
	return r
}

func (c capture) header(name string) string {
	for _, l := range strings.Split(c.headers, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (c capture) date(t testing.TB) time.Time {
	d, err := time.Parse(amzDateLayout, c.header("X-Amz-Date"))
	if err != nil {
		t.Fatalf("%s: X-Amz-Date: %v", c.name, err)
	}
	return d
}

// parseCaptures splits a log into blocks. A block is "=== " + request line,
// header lines, one blank line, then the body: exactly Content-Length bytes,
// or nothing without that header. The blank lines that end each block (and
// boto3's "####### label" lines) are separators, not body.
func parseCaptures(t testing.TB, file string, data []byte) []capture {
	t.Helper()
	var out []capture
	s := string(data)
	label := ""
	for pos := 0; pos < len(s); {
		nl := strings.IndexByte(s[pos:], '\n')
		if nl < 0 {
			nl = len(s) - pos
		}
		line := s[pos : pos+nl]
		next := min(pos+nl+1, len(s))
		switch {
		case strings.HasPrefix(line, "####### "):
			label = strings.TrimPrefix(line, "####### ")
			pos = next
		case strings.HasPrefix(line, "=== "):
			end := strings.Index(s[next:], "\n\n")
			if end < 0 {
				t.Fatalf("%s: block at byte %d has no blank line after its headers", file, pos)
			}
			c := capture{line: strings.TrimPrefix(line, "=== "), headers: s[next : next+end]}
			c.name = fmt.Sprintf("%s:%d", file, len(out))
			if label != "" {
				c.name += ":" + label
				label = ""
			}
			pos = next + end + 2
			if cl := c.header("Content-Length"); cl != "" {
				n, err := strconv.Atoi(cl)
				if err != nil || pos+n > len(s) {
					t.Fatalf("%s: bad Content-Length %q", c.name, cl)
				}
				c.body = []byte(s[pos : pos+n])
				pos += n
			}
			out = append(out, c)
		case strings.TrimSpace(line) == "":
			pos = next
		default:
			t.Fatalf("%s: unexpected line between blocks: %q", file, line)
		}
	}
	return out
}

func loadCaptures(t testing.TB) []capture {
	t.Helper()
	dir := "testdata"
	if _, err := os.Stat(filepath.Join(dir, captureFiles[0])); err != nil {
		dir = sharedCaptures
		if _, err := os.Stat(dir); err != nil {
			t.Skipf("no SigV4 captures: neither testdata/ nor %s is present", sharedCaptures)
		}
	}
	var all []capture
	for _, f := range captureFiles {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, parseCaptures(t, f, data)...)
	}
	return all
}

func staticLookup(secret string) SecretLookup {
	return func(_ context.Context, ak string) (string, error) {
		if ak != "AKIDEXAMPLE" {
			return "", fmt.Errorf("lookup %q: %w", ak, ErrUnknownAccessKey)
		}
		return secret, nil
	}
}

func captureVerifier(secret string, now time.Time) *Verifier {
	return NewVerifier("apigateway", staticLookup(secret), WithClock(func() time.Time { return now }))
}

func wantCode(t *testing.T, name string, err error, code string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v, want *Error %s", name, err, code)
	}
	if e.Code != code {
		t.Fatalf("%s: got %s (%s), want %s", name, e.Code, e.Message, code)
	}
}

func TestCaptures(t *testing.T) {
	caps := loadCaptures(t)
	if len(caps) != 44 {
		t.Fatalf("parsed %d capture blocks, want 44", len(caps))
	}
	features := map[string]bool{}
	for _, c := range caps {
		t.Run(c.name, func(t *testing.T) {
			now := c.date(t)
			r := c.request(t, c.line)
			id, err := captureVerifier("secret", now).Verify(context.Background(), r, c.body)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if id.AccessKeyID != "AKIDEXAMPLE" || id.Region != "us-east-1" || !id.Date.Equal(now) || id.SecurityToken != "" {
				t.Fatalf("identity = %+v", id)
			}
			// The clock may be anywhere within the skew.
			for _, d := range []time.Duration{-15 * time.Minute, 15 * time.Minute} {
				if _, err := captureVerifier("secret", now.Add(d)).Verify(context.Background(), r, c.body); err != nil {
					t.Fatalf("clock %v: %v", d, err)
				}
			}

			_, err = captureVerifier("wrong", now).Verify(context.Background(), c.request(t, c.line), c.body)
			wantCode(t, "wrong secret", err, codeInvalid)

			if len(c.body) > 0 {
				body := bytes.Clone(c.body)
				body[len(body)/2] ^= 0x01
				_, err = captureVerifier("secret", now).Verify(context.Background(), c.request(t, c.line), body)
				wantCode(t, "body byte changed", err, codeInvalid)
			}

			// Change the last byte of the path.
			method, rest, _ := strings.Cut(c.line, " ")
			target, proto, _ := strings.Cut(rest, " ")
			path, query, hasQuery := strings.Cut(target, "?")
			last := path[len(path)-1]
			repl := byte('x')
			if last == 'x' {
				repl = 'y'
			}
			tampered := path[:len(path)-1] + string(repl)
			if hasQuery {
				tampered += "?" + query
			}
			_, err = captureVerifier("secret", now).Verify(context.Background(), c.request(t, method+" "+tampered+" "+proto), c.body)
			wantCode(t, "path byte changed", err, codeInvalid)

			if strings.Contains(path, "%2F") {
				features["%2F"] = true
				// The S3 rule (decode, encode once) would accept this swap.
				swapped := strings.ReplaceAll(path, "%2F", "/")
				if hasQuery {
					swapped += "?" + query
				}
				_, err = captureVerifier("secret", now).Verify(context.Background(), c.request(t, method+" "+swapped+" "+proto), c.body)
				wantCode(t, "%2F decoded", err, codeInvalid)
			}
			if hasQuery {
				if strings.Count(query, "tagKeys=") > 1 {
					features["repeated tagKeys"] = true
					// Reordering repeated keys keeps the signature: values are sorted.
					parts := strings.Split(query, "&")
					parts[0], parts[len(parts)-1] = parts[len(parts)-1], parts[0]
					r := c.request(t, method+" "+path+"?"+strings.Join(parts, "&")+" "+proto)
					if _, err := captureVerifier("secret", now).Verify(context.Background(), r, c.body); err != nil {
						t.Fatalf("reordered repeated keys: %v", err)
					}
				}
				if strings.Contains(query, "%20") {
					features["%20"] = true
					// A raw '+' is a literal plus, not the space that was signed.
					r := c.request(t, method+" "+path+"?"+strings.ReplaceAll(query, "%20", "+")+" "+proto)
					_, err = captureVerifier("secret", now).Verify(context.Background(), r, c.body)
					wantCode(t, "%20 sent as +", err, codeInvalid)
				}
				if strings.Contains(query, "%2B") {
					features["%2B"] = true
					// The plus the client encoded may arrive unencoded.
					r := c.request(t, method+" "+path+"?"+strings.ReplaceAll(query, "%2B", "+")+" "+proto)
					if _, err := captureVerifier("secret", now).Verify(context.Background(), r, c.body); err != nil {
						t.Fatalf("%%2B sent as raw +: %v", err)
					}
					r = c.request(t, method+" "+path+"?"+strings.ReplaceAll(query, "%2B", "%20")+" "+proto)
					_, err = captureVerifier("secret", now).Verify(context.Background(), r, c.body)
					wantCode(t, "%2B sent as %20", err, codeInvalid)
				}
			}
		})
	}
	for _, f := range []string{"%2F", "repeated tagKeys", "%20", "%2B"} {
		if !features[f] {
			t.Errorf("no capture exercised %s", f)
		}
	}
}

// The canonical request of a tag ARN request, spelled out.
func TestCaptureCanonicalTagARN(t *testing.T) {
	var c capture
	for _, x := range loadCaptures(t) {
		if strings.HasSuffix(x.name, ":untag") {
			c = x
		}
	}
	if c.name == "" {
		t.Fatal("no boto3 untag capture")
	}
	r := c.request(t, c.line)
	got := CanonicalRequest(r, []string{"accept", "host", "x-amz-date"}, hexSHA256(nil))
	want := "DELETE\n" +
		"/tags/arn%253Aaws%253Aapigateway%253Aus-east-1%253A%253A%252Fclientcertificates%252Fabc123\n" +
		"tagKeys=k%202&tagKeys=k1\n" +
		"accept:application/json\nhost:127.0.0.1:18080\nx-amz-date:20261122T094800Z\n\n" +
		"accept;host;x-amz-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got != want {
		t.Fatalf("canonical request:\n%s\nwant:\n%s", got, want)
	}
}
