package aws

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/certs"
)

// TestUnavailableIs503 checks that a dependency outage is API Gateway's
// modeled 503 with Retry-After, and that its cause stays out of the body.
func TestUnavailableIs503(t *testing.T) {
	for _, ra := range []time.Duration{0, 30 * time.Second} {
		w := httptest.NewRecorder()
		renderError(w, httptest.NewRequest("GET", "/clientcertificates", nil),
			&certgate.Error{Code: certgate.EUnavailable, Reason: "database", Message: "secret detail", RetryAfter: ra})
		want := "1"
		if ra > 0 {
			want = "30"
		}
		if w.Code != 503 || w.Header().Get("x-amzn-ErrorType") != "ServiceUnavailableException" ||
			w.Header().Get("Retry-After") != want || strings.Contains(w.Body.String(), "secret") {
			t.Errorf("RetryAfter %v: %d %q Retry-After %q body %s", ra, w.Code, w.Header().Get("x-amzn-ErrorType"),
				w.Header().Get("Retry-After"), w.Body)
		}
	}
}

// fallback is the core's neutral Message in the table below: a reason with
// a sentence of AWS's own must never show it.
const fallback = "the core's neutral fallback"

func inv(reason, field string) *certgate.Error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: reason, Field: field, Message: fallback}
}

func with(e *certgate.Error, f func(*certgate.Error)) *certgate.Error { f(e); return e }

type renderCase struct {
	name    string
	err     error
	status  int
	code    string
	message string
	headers map[string]string // exact values; "" asserts the header is absent
}

// renderCases is the AWS error table, case by case: every certgate code, every
// core reason with a sentence of its own, the signature and routing errors.
func renderCases() []renderCase {
	limit := func(n, got int) func(*certgate.Error) {
		return func(e *certgate.Error) { e.Limit, e.Got = n, got }
	}
	key := func(v string, n int) func(*certgate.Error) {
		return func(e *certgate.Error) { e.Value, e.Limit = v, n }
	}
	noRetry := map[string]string{"Retry-After": ""}
	const br, badID = "BadRequestException", "Invalid Client Certificate identifier specified: "
	return []renderCase{
		// Signature failures keep sigv4's status, code and message, bare or
		// as the dialect wraps them for the shared plumbing.
		{"sigv4", &sigv4.Error{Status: 403, Code: "InvalidSignatureException", Message: "Signature expired"},
			403, "InvalidSignatureException", "Signature expired", nil},
		{"sigv4 wrapped", authError(&sigv4.Error{Status: 400, Code: "IncompleteSignatureException", Message: "m"}),
			400, "IncompleteSignatureException", "m", nil},
		{"unknown operation", routeError(&apiError{status: 404, code: codeUnknownOperation, message: "Unknown operation: GET /x"}),
			404, codeUnknownOperation, "Unknown operation: GET /x", map[string]string{"Allow": ""}},
		{"method not allowed", routeError(&apiError{status: 405, code: codeMethodNotAllowed, message: "Method PUT", allow: "GET, POST"}),
			405, codeMethodNotAllowed, "Method PUT", map[string]string{"Allow": "GET, POST"}},

		// EInvalid: the dialect's own and the shared errors keep their text.
		{"dialect's own", &certgate.Error{Code: certgate.EInvalid, Field: "limit", Message: "Invalid value for parameter 'limit'"},
			400, br, "Invalid value for parameter 'limit'", nil},
		{"body not UTF-8", &certgate.Error{Code: certgate.EInvalid, Reason: "bad_utf8", Message: "The request body is not valid UTF-8"},
			400, br, "The request body is not valid UTF-8", nil},
		{"body too large", &certgate.Error{Code: certgate.EInvalid, Reason: "too_large", Message: "The request body is larger than 1 bytes"},
			413, br, "The request body is larger than 1 bytes", nil},

		// The core's reasons, in AWS's words.
		{"empty id", inv(certs.ReasonEmptyID, "id"), 400, br, badID + "the identifier is empty", nil},
		{"id not UTF-8", inv(certs.ReasonBadUTF8, "id"), 400, br, badID + "the identifier is not valid UTF-8", nil},
		{"id too long", with(inv(certs.ReasonBadID, "id"), limit(128, 129)), 400, br, badID + "identifiers are at most 128 characters", nil},
		{"description not UTF-8", inv(certs.ReasonBadUTF8, "description"), 400, br, "Invalid description: not valid UTF-8", nil},
		{"description too long", with(inv(certs.ReasonTooLong, "description"), limit(1024, 1100)), 400, br,
			"1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024 (got 1100)", nil},
		{"description NUL", inv(certs.ReasonNULChar, "description"), 400, br, "Invalid description: NUL characters are not allowed", nil},
		{"limit", with(inv(certs.ReasonOutOfRange, "limit"), limit(500, 600)), 400, br,
			"1 validation error detected: Value '600' at 'limit' failed to satisfy constraint: Member must have value between 1 and 500", nil},
		{"no tagKeys", inv(certs.ReasonMissing, "tagKeys"), 400, br,
			"1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null", nil},
		{"position", inv(certs.ReasonBadPosition, "position"), 400, br, "Invalid position: the token is malformed, or was not issued for this list", nil},
		{"too many tags", with(inv(certs.ReasonTooManyTags, "tags"), limit(50, 51)), 400, br, "Too many tags: a resource can have at most 50 tags (got 51)", nil},
		{"empty tag key", with(inv(certs.ReasonTagKeyEmpty, "tags"), key("", 128)), 400, br, "Invalid tag key: tag keys must be 1 to 128 characters long", nil},
		{"tag key not UTF-8", inv(certs.ReasonTagKeyBadUTF8, "tags"), 400, br, "Invalid tag key: not valid UTF-8", nil},
		{"tag key too long", with(inv(certs.ReasonTagKeyTooLong, "tags"), key("kkk...", 128)), 400, br, "Invalid tag key 'kkk...': tag keys must be 1 to 128 characters long", nil},
		{"tag key reserved", with(inv(certs.ReasonTagKeyReserved, "tags"), key("AWS:x", 0)), 400, br, "Invalid tag key 'AWS:x': the prefix 'aws:' is reserved", nil},
		{"tag key characters", with(inv(certs.ReasonTagKeyChars, "tags"), key("a!", 0)), 400, br,
			"Invalid tag key 'a!': tag keys may contain only letters, digits, spaces and + - = . _ : / @", nil},
		{"tag value not UTF-8", inv(certs.ReasonTagValueBadUTF8, "tags"), 400, br, "Invalid tag value: not valid UTF-8", nil},
		{"tag value too long", with(inv(certs.ReasonTagValueTooLong, "tags"), key("k", 256)), 400, br,
			"Invalid tag value for key 'k': tag values must be at most 256 characters long", nil},
		{"tag value characters", with(inv(certs.ReasonTagValueChars, "tags"), key("k", 0)), 400, br,
			"Invalid tag value for key 'k': tag values may contain only letters, digits, spaces and + - = . _ : / @", nil},

		// The other codes.
		{"not found", &certgate.Error{Code: certgate.ENotFound, Reason: "other_region", Message: "certificate x of account 210987654321"},
			404, codeNotFound, notFoundMessage, nil},
		{"conflict", &certgate.Error{Code: certgate.EConflict, Reason: "version", Message: "the certificate changed while it was updated"},
			409, codeConflict, "the certificate changed while it was updated", noRetry},
		{"client quota", &certgate.Error{Code: certgate.ELimitExceeded, Reason: certs.ReasonClientQuota, Limit: 60, RetryAfter: time.Minute, Message: fallback},
			429, codeLimitExceeded, "The maximum number of client certificates (60) for this account in this region has been reached. Delete unused client certificates or raise the quota.",
			map[string]string{"Retry-After": "60"}},
		{"limit without retry time", &certgate.Error{Code: certgate.ELimitExceeded, Message: "full"},
			429, codeLimitExceeded, "full", map[string]string{"Retry-After": "1"}},
		{"throttled", &certgate.Error{Code: certgate.EThrottled, Reason: "rate", RetryAfter: 2500 * time.Millisecond, Message: "Rate exceeded"},
			429, codeTooManyRequests, "Rate exceeded", map[string]string{"Retry-After": "2"}},
		{"throttled, sub-second", &certgate.Error{Code: certgate.EThrottled, Reason: "busy", RetryAfter: time.Millisecond, Message: "busy"},
			429, codeTooManyRequests, "busy", map[string]string{"Retry-After": "1"}},
		{"forbidden", &certgate.Error{Code: certgate.EForbidden, Message: "not allowed"}, 403, codeAccessDenied, "not allowed", nil},
		{"unauthenticated", &certgate.Error{Code: certgate.EUnauthenticated, Message: "no key"}, 403, codeAccessDenied, "no key", nil},
		{"key revoked after the signature", &certgate.Error{Code: certgate.EUnauthenticated, Reason: api.ReasonKeyRevoked, Message: "The access key was revoked"},
			403, "UnrecognizedClientException", "The security token included in the request is invalid.", nil},
		{"account deleted after the signature", &certgate.Error{Code: certgate.EUnauthenticated, Reason: certs.ReasonAccountDeleted, Message: "the account was deleted"},
			403, "UnrecognizedClientException", "The security token included in the request is invalid.", nil},
		{"unavailable", &certgate.Error{Code: certgate.EUnavailable, Reason: "database", RetryAfter: 30 * time.Second,
			Message: "postgres://certgate:hunter2@db/certgate is down", Err: errors.New("dial tcp 10.0.0.5:5432")},
			503, codeUnavailable, "Service unavailable; retry later", map[string]string{"Retry-After": "30"}},
		{"internal", &certgate.Error{Code: certgate.EInternal, Reason: certs.ReasonNoScope, Message: "Internal server error", Err: errors.New("empty account in scope")},
			500, codeInternal, "Internal server error", noRetry},
		{"unknown code", &certgate.Error{Code: "no_such_code", Message: "half-built feature"}, 500, codeInternal, "Internal server error", nil},
		{"plain error", errors.New("open /var/lib/certgate/master.key: permission denied"), 500, codeInternal, "Internal server error", noRetry},
	}
}

// TestRenderError is the AWS error table's unit test, as api/huawei's
// TestStatusOf is Huawei's: status, x-amzn-ErrorType, the exact message and
// the Retry-After and Allow headers of each case.
func TestRenderError(t *testing.T) {
	for _, c := range renderCases() {
		w := httptest.NewRecorder()
		renderError(w, httptest.NewRequest("GET", "/clientcertificates", nil), c.err)
		var body map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body) != 1 {
			t.Errorf("%s: body %q is not {\"message\": ...} (%v)", c.name, w.Body, err)
		}
		if w.Code != c.status || w.Header().Get("x-amzn-ErrorType") != c.code || body["message"] != c.message {
			t.Errorf("%s: %d %s %q\nwant %d %s %q", c.name, w.Code, w.Header().Get("x-amzn-ErrorType"), body["message"], c.status, c.code, c.message)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
		if n, _ := strconv.Atoi(w.Header().Get("Content-Length")); n != w.Body.Len() {
			t.Errorf("%s: Content-Length %q for %d bytes", c.name, w.Header().Get("Content-Length"), w.Body.Len())
		}
		for h, want := range c.headers {
			if got := w.Header().Get(h); got != want {
				t.Errorf("%s: %s %q, want %q", c.name, h, got, want)
			}
		}
	}
}

// TestInternalErrorsNeverLeak: whatever an internal error says, and however
// it is wrapped, an AWS client reads only "Internal server error" (or the
// 503's sentence), in neither the body nor a header.
func TestInternalErrorsNeverLeak(t *testing.T) {
	const secret = "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG -----BEGIN PRIVATE KEY----- password=hunter2"
	cause := errors.New(secret)
	for _, err := range []error{
		cause,
		fmt.Errorf("seal key: %w", cause),
		&certgate.Error{Code: certgate.EInternal, Message: "Internal server error", Err: cause},
		&certgate.Error{Code: certgate.EInternal, Message: secret},
		fmt.Errorf("generate: %w", &certgate.Error{Code: certgate.EInternal, Err: cause}),
		&certgate.Error{Code: certgate.EUnavailable, Reason: "master_key", Message: secret, Err: cause},
		&certgate.Error{Code: "", Message: secret, Err: cause},
	} {
		w := httptest.NewRecorder()
		renderError(w, httptest.NewRequest("GET", "/clientcertificates", nil), err)
		seen := w.Body.String()
		for h, v := range w.Header() {
			seen += "\n" + h + ": " + strings.Join(v, ",")
		}
		for _, part := range strings.Fields(secret) {
			if len(part) > 5 && strings.Contains(seen, part) {
				t.Errorf("%v: the response shows %q:\n%s", err, part, seen)
			}
		}
		if w.Code != 500 && w.Code != 503 {
			t.Errorf("%v: status %d", err, w.Code)
		}
	}
}

// TestEveryCoreReasonIsPlaced: each Reason constant of package certs is in
// the table above, or is listed here as one this dialect never receives. A
// new reason cannot be left without AWS's sentence unnoticed.
func TestEveryCoreReasonIsPlaced(t *testing.T) {
	keepsMessage := map[string]bool{
		certs.ReasonBadValue:      true, // Huawei's upload fields only
		certs.ReasonDuplicateName: true, // Huawei's names only
		certs.ReasonServerQuota:   true, // Huawei's certificates only
	}
	covered := map[string]bool{}
	for _, c := range renderCases() {
		if e := certgate.AsError(c.err); e != nil {
			covered[e.Reason] = true
		}
	}
	for name, value := range reasonConstants(t) {
		if !covered[value] && !keepsMessage[value] {
			t.Errorf("certs.%s (%q) is neither in TestRenderError's table nor listed as keeping its Message", name, value)
		}
	}
}

// reasonConstants reads the Reason* constants of package certs from its
// source, so that the list cannot drift from the code.
func reasonConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../../certs/reasons.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok {
			for i, id := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(id.Name, "Reason") {
					v, _ := strconv.Unquote(lit.Value)
					out[id.Name] = v
				}
			}
		}
		return true
	})
	if len(out) < 10 {
		t.Fatalf("found only %d Reason constants in certs/reasons.go", len(out))
	}
	return out
}
