package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
)

// countingBody records whether anything read the request body.
type countingBody struct {
	r    io.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}
func (b *countingBody) Close() error { return nil }

// testDialect is a dialect whose requests are authenticated by the header
// "Auth: <account id>" and whose body must be "ok" or empty. It renders an
// error as "599 <code>/<reason>", and its routes answer "routed <account>
// <body>", or panic on /panic.
func testDialect(out *logBuffer, limiter *RateLimiter, verified *int) *Dialect {
	d := &Dialect{
		Logger: out.logger(),
		Render: func(w http.ResponseWriter, r *http.Request, err error) {
			e := certgate.AsError(err)
			w.Header().Set("Test-Code", "T."+e.Code)
			w.WriteHeader(599)
			fmt.Fprintf(w, "%s/%s", e.Code, e.Reason)
		},
		ErrorCode:       func(w http.ResponseWriter, err error) string { return w.Header().Get("Test-Code") },
		RequestIDHeader: "Test-Request-Id",
		Authenticate: func(r *http.Request) (Verify, error) {
			id := r.Header.Get("Auth")
			if id == "" {
				return nil, &certgate.Error{Code: certgate.EUnauthenticated, Reason: "no_auth", Message: "who?"}
			}
			return func(body []byte) (*Caller, error) {
				*verified++
				if len(body) > 0 && string(body) != "ok" && string(body) != "\xff" {
					return nil, &certgate.Error{Code: certgate.EUnauthenticated, Reason: "body_unsigned", Message: "tampered"}
				}
				return &Caller{Account: &certgate.Account{ID: id, ProjectID: "p-" + id}, Scope: certgate.Scope{AccountID: id}}, nil
			}, nil
		},
		Authorize: func(r *http.Request, c *Caller) error {
			if strings.HasPrefix(r.URL.Path, "/other/") {
				return &certgate.Error{Code: certgate.EForbidden, Reason: "wrong_project", Message: "not yours"}
			}
			return nil
		},
		BadPath: func(r *http.Request) error {
			return &certgate.Error{Code: certgate.ENotFound, Reason: "unclean", Message: "no route"}
		},
		Bodies:  NewBodyLimiter(1, 64, time.Second),
		Limiter: limiter,
	}
	mux := http.NewServeMux()
	mux.Handle("/panic", d.Handle(func(w http.ResponseWriter, r *http.Request) error { panic("boom") }))
	mux.Handle("/fail", d.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return &certgate.Error{Code: certgate.EConflict, Reason: "stale", Message: "lost"}
	}))
	mux.Handle("/", d.Handle(func(w http.ResponseWriter, r *http.Request) error {
		c := CallerOf(r)
		fmt.Fprintf(w, "routed %s %s %q", c.Account.ID, c.Scope.AccountID, c.Body)
		return nil
	}))
	d.Routes = mux
	return d
}

// TestDialectPrelude runs every step of the prelude through a test dialect:
// what each refusal answers (always through the dialect's renderer), whether
// the body reached verification, and what the access log records.
func TestDialectPrelude(t *testing.T) {
	cases := []struct {
		name, method, path, auth, body string
		want                           string // status and body
		verified                       bool
		log                            []string // in the access line
	}{
		{"routed", "POST", "/certs", "111", "ok", `200 routed 111 111 "ok"`, true, []string{"account=111 "}},
		{"no body", "GET", "/certs", "111", "", `200 routed 111 111 ""`, true, []string{"account=111 "}},
		{"refused from the headers", "POST", "/certs", "", "ok", "599 unauthenticated/no_auth", false, []string{" code=T.unauthenticated", " reason=no_auth"}},
		{"body fails verification", "POST", "/certs", "111", "evil", "599 unauthenticated/body_unsigned", true, []string{`account="" `, " code=T.unauthenticated", " reason=body_unsigned"}},
		{"too large", "POST", "/certs", "111", strings.Repeat("x", 65), "599 invalid/too_large", false, []string{" reason=too_large"}},
		{"not UTF-8, after the signature", "POST", "/certs", "111", "\xff", "599 invalid/bad_utf8", true, []string{"account=111 ", " reason=bad_utf8"}},
		{"unclean path", "GET", "/a/../certs", "111", "", "599 not_found/unclean", true, []string{"account=111 ", " reason=unclean"}},
		{"authorize", "GET", "/other/certs", "111", "", "599 forbidden/wrong_project", true, []string{" code=T.forbidden", " reason=wrong_project"}},
		{"route error", "GET", "/fail", "111", "", "599 conflict/stale", true, []string{" code=T.conflict", " reason=stale"}},
		{"route panic", "GET", "/panic", "111", "", "599 internal/", true, []string{" code=T.internal"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out logBuffer
			verified := 0
			d := testDialect(&out, nil, &verified)
			body := &countingBody{r: strings.NewReader(c.body)}
			r := httptest.NewRequest(c.method, "http://x"+c.path, nil)
			r.URL.Path = c.path // keep it unclean
			if c.body != "" {
				r.Body, r.ContentLength = body, int64(len(c.body))
			}
			if c.auth != "" {
				r.Header.Set("Auth", c.auth)
			}
			rec := httptest.NewRecorder()
			Middleware(out.logger(), d).ServeHTTP(rec, r)
			if got := fmt.Sprintf("%d %s", rec.Code, rec.Body); got != c.want {
				t.Errorf("answer %q, want %q", got, c.want)
			}
			if (verified > 0) != c.verified {
				t.Errorf("body verified %d times; want verified=%v", verified, c.verified)
			}
			if c.auth == "" && rec.Header().Get("Connection") != "close" {
				t.Error("a body refused from the headers left the connection open")
			}
			if rec.Header().Get("Test-Request-Id") == "" {
				t.Error("no request id header")
			}
			line := accessLine(t, out.String())
			for _, want := range c.log {
				if !strings.Contains(line, want) {
					t.Errorf("access line %s\nlacks %q", line, want)
				}
			}
			if strings.Contains(out.String(), "boom") && !strings.Contains(out.String(), "panic serving request") {
				t.Error("the panic was not logged as one")
			}
		})
	}
}

// TestDialectRateLimit: the rate limit applies per authenticated account,
// after the signature, and answers through the dialect.
func TestDialectRateLimit(t *testing.T) {
	var out logBuffer
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	d := testDialect(&out, NewRateLimiter(1, 1, clk.now), new(int))
	serve := func(account string) string {
		r := httptest.NewRequest("GET", "/certs", nil)
		r.Header.Set("Auth", account)
		rec := httptest.NewRecorder()
		d.ServeHTTP(rec, r)
		return fmt.Sprintf("%d %s", rec.Code, rec.Body)
	}
	if got := serve("111"); !strings.HasPrefix(got, "200 ") {
		t.Fatalf("first request: %s", got)
	}
	if got := serve("111"); got != "599 throttled/" {
		t.Errorf("second request within the second: %s; want 599 throttled", got)
	}
	if got := serve("222"); !strings.HasPrefix(got, "200 ") {
		t.Errorf("another account: %s", got)
	}
}

type fakeResolver struct {
	calls   int
	revoked bool // from the second call on
}

var errNoSuchKey = errors.New("resolver: unknown key")
var errVerifierUnknown = errors.New("verifier: unknown key")

func (f *fakeResolver) Resolve(ctx context.Context, id string) (*certgate.Account, string, error) {
	f.calls++
	if id != "AK" || f.revoked && f.calls > 1 {
		return nil, "", fmt.Errorf("%w: %s", errNoSuchKey, id)
	}
	return &certgate.Account{ID: "111"}, "secret", nil
}

// TestSigner: the lookup maps the resolver's unknown-key sentinel to the
// verifier's, and a key revoked between the lookup and Account is a client
// error (EUnauthenticated), never an internal one.
func TestSigner(t *testing.T) {
	ctx := context.Background()
	f := &fakeResolver{}
	s := NewSigner(f, errNoSuchKey, errVerifierUnknown)
	if secret, err := s.Lookup(ctx, "AK"); secret != "secret" || err != nil {
		t.Fatalf("Lookup = %q, %v", secret, err)
	}
	if a, err := s.Account(ctx, "AK"); err != nil || a.ID != "111" {
		t.Fatalf("Account = %v, %v", a, err)
	}
	if _, err := s.Lookup(ctx, "nope"); err != errVerifierUnknown {
		t.Errorf("unknown key: %v, want the verifier's sentinel", err)
	}
	f = &fakeResolver{revoked: true}
	s = NewSigner(f, errNoSuchKey, errVerifierUnknown)
	if _, err := s.Lookup(ctx, "AK"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Account(ctx, "AK")
	if e := certgate.AsError(err); e == nil || e.Code != certgate.EUnauthenticated || e.Reason != "key_revoked" {
		t.Errorf("key revoked after the lookup: %v; want EUnauthenticated key_revoked", err)
	}
}
