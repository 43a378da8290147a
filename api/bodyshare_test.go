package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate"
)

// keyResolver knows every access key id that starts with "AK"; its secret is
// "secret-" and the id.
type keyResolver struct{}

func (keyResolver) Resolve(_ context.Context, id string) (*certgate.Account, string, error) {
	if !strings.HasPrefix(id, "AK") {
		return nil, "", errNoSuchKey
	}
	return &certgate.Account{ID: "acct-" + id}, "secret-" + id, nil
}

// stalledBody is a body whose sender went quiet: a Read blocks until the
// test ends. The first Read before the request was answered reports that the
// server holds the request waiting for its body (a read after the answer is
// the refusal throwing the body away).
type stalledBody struct {
	answer  *answerRecorder
	reading chan<- struct{}
	once    sync.Once
	stop    <-chan struct{}
}

func (b *stalledBody) Read([]byte) (int, error) {
	if !b.answer.done.Load() {
		b.once.Do(func() { b.reading <- struct{}{} })
	}
	<-b.stop
	return 0, io.ErrUnexpectedEOF
}
func (b *stalledBody) Close() error { return nil }

// answerRecorder reports the answer as soon as its header is written.
type answerRecorder struct {
	*httptest.ResponseRecorder
	done     atomic.Bool
	answered chan<- string
}

func (w *answerRecorder) WriteHeader(code int) {
	w.ResponseRecorder.WriteHeader(code)
	w.done.Store(true)
}

func (w *answerRecorder) Write(b []byte) (int, error) {
	n, err := w.ResponseRecorder.Write(b)
	w.answered <- fmt.Sprintf("%d %s", w.Code, w.Body)
	return n, err
}

// signedDialect authenticates "Key: <id>" with "Sig: <secret>" in two phases,
// as the real dialects do: the key is looked up (through a Signer) from the
// headers, the signature is checked once the body is in.
func signedDialect(bodies *BodyLimiter) *Dialect {
	signer := NewSigner(keyResolver{}, errNoSuchKey, errVerifierUnknown)
	d := &Dialect{
		Logger: (&logBuffer{}).logger(),
		Render: func(w http.ResponseWriter, r *http.Request, err error) {
			e := certgate.AsError(err)
			w.WriteHeader(599)
			fmt.Fprintf(w, "%s/%s", e.Code, e.Reason)
		},
		RequestIDHeader: "Test-Request-Id",
		Authenticate: func(r *http.Request) (Verify, error) {
			key := r.Header.Get("Key")
			secret, err := signer.Lookup(r.Context(), key)
			if err != nil {
				return nil, &certgate.Error{Code: certgate.EUnauthenticated, Reason: "unknown_key", Message: "who?"}
			}
			return func([]byte) (*Caller, error) {
				if r.Header.Get("Sig") != secret {
					return nil, &certgate.Error{Code: certgate.EUnauthenticated, Reason: "bad_signature", Message: "no"}
				}
				acct, err := signer.Account(r.Context(), key)
				if err != nil {
					return nil, err
				}
				return &Caller{Account: acct, Scope: certgate.Scope{AccountID: acct.ID}}, nil
			}, nil
		},
		BadPath: func(*http.Request) error { return errors.New("unclean") },
		Bodies:  bodies,
		Limiter: nil,
		Routes: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, "created for %s", CallerOf(r).Account.ID)
		}),
	}
	return d
}

// TestBodySlotsShared reproduces the attack of a caller who knows access key
// ids but not their secrets: it opens more requests than there are body
// slots, each with a real key id and a wrong signature, and never sends the
// body. Another tenant's signed request, from another address, must still be
// served at once: the attacker holds at most its share of the slots, per key
// id and per client address.
func TestBodySlotsShared(t *testing.T) {
	const inFlight = 64
	cases := []struct {
		name string
		key  func(i int) string
		addr func(i int) string
	}{
		{"one key, one address", func(int) string { return "AKTARGET" }, func(i int) string { return fmt.Sprintf("198.51.100.7:%d", 1000+i) }},
		{"one key, many addresses", func(int) string { return "AKTARGET" }, func(i int) string { return fmt.Sprintf("198.51.100.%d:1000", 1+i) }},
		{"many keys, one address", func(i int) string { return fmt.Sprintf("AKKEY%d", i) }, func(i int) string { return fmt.Sprintf("198.51.100.7:%d", 1000+i) }},
		{"many keys, one IPv6 /64", func(i int) string { return fmt.Sprintf("AKKEY%d", i) }, func(i int) string { return fmt.Sprintf("[2001:db8::%x]:1000", 1+i) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bodies := NewBodyLimiter(inFlight, 1024, 0)
			d := signedDialect(bodies)
			stop := make(chan struct{})
			reading := make(chan struct{}, inFlight+6)
			answered := make(chan string, inFlight+6)
			var wg sync.WaitGroup
			defer func() { close(stop); wg.Wait() }()
			for i := range inFlight + 6 {
				w := &answerRecorder{ResponseRecorder: httptest.NewRecorder(), answered: answered}
				r := httptest.NewRequest("POST", "/clientcertificates", nil)
				r.Body = &stalledBody{answer: w, reading: reading, stop: stop}
				r.ContentLength = 1000
				r.RemoteAddr = tc.addr(i)
				r.Header.Set("Key", tc.key(i))
				r.Header.Set("Sig", "wrong")
				wg.Add(1)
				go func() {
					defer wg.Done()
					d.ServeHTTP(w, r)
				}()
			}
			// Every attacking request is either waiting for its body (it
			// holds a slot) or was refused.
			held, refused := 0, 0
			for held+refused < inFlight+6 {
				select {
				case <-reading:
					held++
				case a := <-answered:
					if a != "599 throttled/busy" {
						t.Errorf("a request over its share: %s; want the busy refusal", a)
					}
					refused++
				}
			}
			t.Logf("%d stalled bodies hold a slot, %d requests refused", held, refused)

			r := httptest.NewRequest("POST", "/clientcertificates", strings.NewReader(`{"description":"mine"}`))
			r.RemoteAddr = "203.0.113.9:4000"
			r.Header.Set("Key", "AKVICTIM")
			r.Header.Set("Sig", "secret-AKVICTIM")
			rec := httptest.NewRecorder()
			d.ServeHTTP(rec, r)
			if rec.Code != http.StatusCreated {
				t.Fatalf("another tenant's signed POST during the attack: %d %s; want 201", rec.Code, rec.Body)
			}
			if max := bodies.perClient; held > max {
				t.Errorf("%d stalled bodies hold a slot; one key id or address may hold %d", held, max)
			}
		})
	}
}
