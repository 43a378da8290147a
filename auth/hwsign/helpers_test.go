package hwsign

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

var clock = time.Date(2026, 11, 22, 10, 46, 12, 0, time.UTC) // 20261122T104612Z

const (
	testAK      = "TESTAK0123456789"
	testSecret  = "testsecretkey"
	testProject = "0123456789abcdef0123456789abcdef"
	testBody    = `{"name":"cert_demo","cert_content":"c","private_key":"k"}` + "\n"
)

var errLookupDown = errors.New("store: connection refused")

func testLookup(_ context.Context, ak string) (string, error) {
	switch ak {
	case testAK:
		return testSecret, nil
	case "BROKENAK":
		return "", errLookupDown
	}
	return "", ErrUnknownAccessKey
}

func fixedClock(t time.Time) Option { return WithClock(func() time.Time { return t }) }

func testVerifier(opts ...Option) *Verifier {
	return NewVerifier(testLookup, append([]Option{fixedClock(clock)}, opts...)...)
}

// signedRequest returns a PUT signed at date the way the Go SDK signs it.
func signedRequest(t testing.TB, date time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, "http://127.0.0.1:43107/v2/"+testProject+"/apigw/certificates/abc?instance_id&limit=10&name=cert%20demo%2Bx", strings.NewReader(testBody))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json;charset=UTF-8")
	r.Header.Set("User-Agent", "huaweicloud-usdk-go/3.0")
	r.Header.Set("X-Project-Id", testProject)
	if err := Sign(r, []byte(testBody), testAK, testSecret, []string{"user-agent", "x-project-id", "x-sdk-date"}, date); err != nil {
		t.Fatal(err)
	}
	return r
}

// wire sends r through HTTP/1.1 serialisation and parses it back as the
// server would, so that tests cover what actually reaches Verify.
func wire(t testing.TB, r *http.Request) *http.Request {
	t.Helper()
	if r.GetBody != nil {
		r.Body, _ = r.GetBody() // r may be sent more than once
	}
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write: %v", err)
	}
	s, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read %q: %v", buf.String(), err)
	}
	return s
}

func authParam(r *http.Request, name string) string {
	for _, p := range strings.Split(strings.TrimPrefix(r.Header.Get("Authorization"), algorithm+" "), ", ") {
		if k, v, _ := strings.Cut(p, "="); k == name {
			return v
		}
	}
	return ""
}

func setAuth(r *http.Request, ak, signed, sig string) {
	r.Header.Set("Authorization", algorithm+" Access="+ak+", SignedHeaders="+signed+", Signature="+sig)
}

// wantError checks that err is an *Error with status 401, code APIGW.0301
// and message msg (a prefix match when msg ends in "...").
func wantError(t testing.TB, what string, id *Identity, err error, msg string) *Error {
	t.Helper()
	if id != nil {
		t.Fatalf("%s: got identity %+v", what, id)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %v, want *Error", what, err)
	}
	if e.Status != http.StatusUnauthorized || e.Code != codeAuth {
		t.Fatalf("%s: got %d %s (%s)", what, e.Status, e.Code, e.Message)
	}
	if p, ok := strings.CutSuffix(msg, "..."); ok {
		if !strings.HasPrefix(e.Message, p) {
			t.Fatalf("%s: message %q, want prefix %q", what, e.Message, p)
		}
	} else if msg != "" && e.Message != msg {
		t.Fatalf("%s: message %q, want %q", what, e.Message, msg)
	}
	return e
}
