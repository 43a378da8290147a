package sigv4

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestDeletedKeyWithCachedSigningKey: the signing-key cache is keyed by the
// secret's hash, not the access key id, and the lookup runs before it on
// every request. So once a key is deleted (the lookup reports it unknown),
// a request signed with it is refused with AWS's answer for an unknown key,
// although its derived signing key is still cached.
func TestDeletedKeyWithCachedSigningKey(t *testing.T) {
	var deleted atomic.Bool
	lookup := func(_ context.Context, ak string) (string, error) {
		if deleted.Load() || ak != "AKIDEXAMPLE" {
			return "", ErrUnknownAccessKey
		}
		return testSecret, nil
	}
	v := NewVerifier("apigateway", lookup, WithClock(func() time.Time { return clock }))
	if _, err := v.Verify(context.Background(), signedRequest(t, clock, "apigateway"), []byte(testBody)); err != nil {
		t.Fatal(err)
	}
	if v.cache.len() != 1 {
		t.Fatalf("signing key not cached (%d entries): the test would prove nothing", v.cache.len())
	}
	deleted.Store(true)
	_, err := v.Verify(context.Background(), signedRequest(t, clock, "apigateway"), []byte(testBody))
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusForbidden || e.Code != "UnrecognizedClientException" ||
		e.Message != "The security token included in the request is invalid." {
		t.Fatalf("deleted key with a cached signing key: %v, want 403 UnrecognizedClientException", err)
	}
	if v.cache.len() != 1 {
		t.Errorf("cache changed on a refused request")
	}
}
