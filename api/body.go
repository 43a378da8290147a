package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate"
)

// Defaults of a BodyLimiter.
const (
	// DefaultBodiesInFlight bounds the bodies held in memory at once: with
	// DefaultMaxBodyBytes, 64 MiB at most.
	DefaultBodiesInFlight = 64
	// DefaultBodyReadTimeout is how long a body may take to arrive once its
	// headers passed authentication. Real bodies are a few kilobytes.
	DefaultBodyReadTimeout = 15 * time.Second
	// bodySlotWait is how long a request waits for a free slot before it is
	// refused: long enough to ride out a burst, short enough not to pile up.
	bodySlotWait = 2 * time.Second
	// drainTimeout bounds how long a refused request's body is read (and
	// thrown away) so that its client sees the answer.
	drainTimeout = 2 * time.Second
)

// BodyLimiter reads request bodies into memory, but only so many at once and
// each within a deadline. The dialects call it only after a request's headers
// passed authentication, so anonymous callers never make the server read, or
// hold, a body. It is safe for concurrent use; one limiter serves both
// dialects, so that the bound is global.
//
// Passing the headers proves only that the caller knows an access key id,
// not its secret (that is checked over the body). So that such a caller
// cannot take the shared slots from every tenant with bodies it never sends,
// the bodies being received under one access key id, and those from one
// client address (its IP, or its /64 for IPv6, as for ConnLimiter), are
// bounded too, each to a share of the slots (see sharePerClient). A request
// over its share waits for its own key's or address's bodies only, never for
// another tenant's. A share is held from the request's arrival until its
// body is in; the slot, until the handler is done.
type BodyLimiter struct {
	slots     chan struct{}
	maxBytes  int64
	timeout   time.Duration
	wait      time.Duration
	perClient int

	mu     sync.Mutex
	shares map[string]*share
}

// share bounds the bodies being received for one access key id or one
// client address; users counts the requests holding or waiting for it, so
// that it is dropped when none do.
type share struct {
	slots chan struct{}
	users int
}

// sharePerClient is how many bodies one access key id, or one client
// address, may have in reception at once: an eighth of the slots, so that
// at least eight such callers are needed to fill them all, and never fewer
// than two. An SDK's bodies arrive as soon as their headers, so even a busy
// client rarely has more than one or two in reception at once; a client
// whose bodies stall holds only its share, for at most the read timeout.
func sharePerClient(inFlight int) int { return min(inFlight, max(2, inFlight/8)) }

// NewBodyLimiter reads at most inFlight bodies at once (0 or less: the
// default), each of at most maxBytes (0 or less: DefaultMaxBodyBytes) and
// arriving within timeout (0 or less: DefaultBodyReadTimeout).
func NewBodyLimiter(inFlight int, maxBytes int64, timeout time.Duration) *BodyLimiter {
	if inFlight <= 0 {
		inFlight = DefaultBodiesInFlight
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	if timeout <= 0 {
		timeout = DefaultBodyReadTimeout
	}
	return &BodyLimiter{slots: make(chan struct{}, inFlight), maxBytes: maxBytes, timeout: timeout, wait: bodySlotWait,
		perClient: sharePerClient(inFlight), shares: map[string]*share{}}
}

// Read reads r's body. The returned release must be called once the body is
// no longer needed (after the handler), and only then does the slot free up.
// A body larger than the limit gives EInvalid with Reason "too_large"; one
// that does not arrive in time gives EInvalid with Reason "read_body"; when
// every slot, or the share of the request's access key id (see NoteAccessKey)
// or client address, stays taken, EThrottled with Reason "busy" and a
// RetryAfter. Read does not check the encoding: see CheckUTF8, which callers
// run once the signature holds.
func (l *BodyLimiter) Read(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	noop := func() {}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, noop, nil
	}
	if r.ContentLength > l.maxBytes {
		return nil, noop, tooLarge(l.maxBytes)
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	// The shares first: a request over its share must not sit on a slot
	// while it waits.
	var received []func()
	defer func() {
		for _, f := range received {
			f()
		}
	}()
	for _, k := range l.claims(r) {
		f, err := l.takeShare(r, k, t.C)
		if err != nil {
			return nil, noop, err
		}
		received = append(received, f)
	}
	select {
	case l.slots <- struct{}{}:
	case <-t.C:
		return nil, noop, errBusy()
	case <-r.Context().Done():
		return nil, noop, r.Context().Err()
	}
	release = onlyOnce(func() { <-l.slots })

	rc := http.NewResponseController(w)
	// ErrNotSupported (a test's ResponseRecorder) only loses the deadline.
	_ = rc.SetReadDeadline(time.Now().Add(l.timeout))
	body, err = readLimited(r, l.maxBytes)
	if err != nil {
		release()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, noop, &certgate.Error{Code: certgate.EInvalid, Reason: "read_body", Err: err,
				Message: fmt.Sprintf("Could not read the request body: it did not arrive within %v", l.timeout)}
		}
		return nil, noop, err
	}
	// The whole body is in. Lift the deadline: Go's server keeps reading the
	// connection in the background while the handler runs, and a deadline
	// passing then would cancel the request's context. The next request on
	// the connection gets the server's own deadlines again.
	_ = rc.SetReadDeadline(time.Time{})
	return body, release, nil
}

func errBusy() error {
	return &certgate.Error{Code: certgate.EThrottled, Reason: "busy", RetryAfter: time.Second,
		Message: "Too Many Requests: the server is receiving too many request bodies at once; retry shortly"}
}

// claims names the shares a request's body counts against: its client
// address and, when the dialect noted one whose signature is not yet
// verified, its access key id.
func (l *BodyLimiter) claims(r *http.Request) []string {
	keys := []string{"addr " + remoteKey(r.RemoteAddr)}
	if c, _ := r.Context().Value(claimKey{}).(*claim); c != nil && c.accessKeyID != "" && !c.verified {
		keys = append(keys, "key "+c.accessKeyID)
	}
	return keys
}

// takeShare waits, until expired fires, for room in the share named k, and
// returns its release.
func (l *BodyLimiter) takeShare(r *http.Request, k string, expired <-chan time.Time) (func(), error) {
	l.mu.Lock()
	s := l.shares[k]
	if s == nil {
		s = &share{slots: make(chan struct{}, l.perClient)}
		l.shares[k] = s
	}
	s.users++
	l.mu.Unlock()
	done := func() {
		l.mu.Lock()
		if s.users--; s.users == 0 {
			delete(l.shares, k)
		}
		l.mu.Unlock()
	}
	select {
	case s.slots <- struct{}{}:
		return func() { <-s.slots; done() }, nil
	case <-expired:
		done()
		return nil, errBusy()
	case <-r.Context().Done():
		done()
		return nil, r.Context().Err()
	}
}

// remoteKey is the client address of a Request.RemoteAddr, as ConnLimiter
// counts it.
func remoteKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return ipKey(ip)
	}
	return host
}

type claimKey struct{}

// NoteSignatureVerified records that a request's signature was verified
// from its headers alone (a SigV4 request that declares its body's hash):
// its body is not bounded by its access key's share, so that a caller who
// only knows the key id cannot delay the key owner's requests. Outside the
// prelude it does nothing.
func NoteSignatureVerified(ctx context.Context) {
	if c, _ := ctx.Value(claimKey{}).(*claim); c != nil {
		c.verified = true
	}
}

// claim is where a dialect's key lookup notes the access key id a request
// claims, for the BodyLimiter's share, and whether the signature already
// holds (then the caller is the key's owner, and the key's share, which
// bounds callers who only know the key id, does not apply).
type claim struct {
	accessKeyID string
	verified    bool
}

// withClaim returns ctx with room for NoteAccessKey.
func withClaim(ctx context.Context) context.Context {
	return context.WithValue(ctx, claimKey{}, &claim{})
}

// NoteAccessKey records the access key id that a request's headers named
// and that exists, before its signature is known to hold; the prelude then
// bounds the bodies received under that key. Outside the prelude it does
// nothing.
func NoteAccessKey(ctx context.Context, accessKeyID string) {
	if c, _ := ctx.Value(claimKey{}).(*claim); c != nil {
		c.accessKeyID = accessKeyID
	}
}

// onlyOnce makes a release safe to call twice.
func onlyOnce(f func()) func() {
	done := false
	return func() {
		if !done {
			done = true
			f()
		}
	}
}

// Refuse answers a request refused before its body was read (answer writes
// the refusal), then disposes of the body without keeping it: the answer is
// sent first, a body of at most the limit is read and thrown away for at most
// drainTimeout (so that a client still writing it sees the answer, not a
// reset connection), and the connection is closed after. Nothing is read when
// the client waits for "100 Continue" (it never gets one) or announced a body
// over the limit. So an unauthenticated body is never held in memory, and a
// slow one holds its connection for drainTimeout, not the server's read
// timeout.
func (l *BodyLimiter) Refuse(w http.ResponseWriter, r *http.Request, answer func()) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		answer()
		return
	}
	w.Header().Set("Connection", "close")
	answer()
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if !strings.EqualFold(r.Header.Get("Expect"), "100-continue") && r.ContentLength <= l.maxBytes {
		_ = rc.SetReadDeadline(time.Now().Add(drainTimeout))
		_, _ = io.CopyN(io.Discard, r.Body, l.maxBytes)
	}
	// Go's server would otherwise go on reading the rest after the handler.
	_ = rc.SetReadDeadline(time.Now())
}

// CheckUTF8 gives EInvalid with Reason "bad_utf8" for a body that is not
// valid UTF-8 (every dialect here speaks JSON).
func CheckUTF8(body []byte) error {
	if !utf8.Valid(body) {
		return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_utf8", Message: "The request body is not valid UTF-8"}
	}
	return nil
}

func readLimited(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: "read_body", Message: "Could not read the request body", Err: err}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(limit)
	}
	return b, nil
}
