package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/certgate/certgate"
)

// Dialect is the request prelude of an API dialect: every request a dialect
// serves passes the same steps, in this order, written once here.
//
//  1. Authenticate decides from the headers alone (the key lookup or the
//     token included). A request refused here never has its body read:
//     BodyLimiter.Refuse answers it.
//  2. The body is read through Bodies, bounded in size, time and number,
//     overall and per client address and claimed access key id (which the
//     Signer's lookup notes during step 1).
//  3. The returned Verify checks the body (a signature covers it) and names
//     the caller; the access log records the account from here on.
//  4. The body must be UTF-8, the account within its rate, the path clean
//     (ServeMux would answer an unclean one with a redirect that is neither
//     JSON nor covered by the signature), and, if set, Authorize must hold.
//  5. Routes serves the request; CallerOf gives it the caller.
//
// Every error, and a panic, is rendered by Render, in the dialect's format,
// and its code noted for the access log. The fields are set once, before
// the first request; all but Authorize and ErrorCode are required.
type Dialect struct {
	Logger *slog.Logger
	// Render writes an error in the dialect's wire format.
	Render Renderer
	// ErrorCode, called after Render wrote err on w, names the dialect's
	// error code for the access log. It must return a code from the
	// dialect's table, never text built from the request.
	ErrorCode func(w http.ResponseWriter, err error) string
	// RequestIDHeader is the response header that carries the request id.
	RequestIDHeader string
	// Authenticate is step 1; its error is rendered as it is.
	Authenticate func(r *http.Request) (Verify, error)
	// Authorize, if set, checks the caller against the request once its path
	// is known to be clean (Huawei: the path's project is the caller's).
	Authorize func(r *http.Request, c *Caller) error
	// BadPath is the answer to an unclean path.
	BadPath func(r *http.Request) error
	Bodies  *BodyLimiter
	Limiter *RateLimiter
	// Routes serves authenticated requests.
	Routes http.Handler
}

// Verify finishes authentication once the body is in (nil when there is
// none) and returns the caller, whose Account must be set.
type Verify func(body []byte) (*Caller, error)

// Caller is what the prelude established for a request.
type Caller struct {
	Account *certgate.Account
	// Scope is what the caller may reach; the dialect sets it.
	Scope certgate.Scope
	// Body is the request body, authenticated; the prelude sets it.
	Body []byte
}

type callerKey struct{}

// CallerOf returns the caller of a request that the prelude routed.
func CallerOf(r *http.Request) *Caller { return r.Context().Value(callerKey{}).(*Caller) }

// ServeHTTP runs the prelude and routes the request.
func (d *Dialect) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := withResolved(withClaim(r.Context()))
	r = r.WithContext(ctx)
	w.Header().Set(d.RequestIDHeader, RequestID(ctx))
	defer Recover(d.Logger, d.render, w, r)
	fail := func(err error) { RenderError(d.Logger, d.render, w, r, err) }

	verify, err := d.Authenticate(r)
	if err != nil {
		d.Bodies.Refuse(w, r, func() { fail(err) })
		return
	}
	body, release, err := d.Bodies.Read(w, r)
	if err != nil {
		if e := certgate.AsError(err); e != nil && e.Reason == "busy" {
			// Refused before its body was read: answered at once, not
			// after Go's server waited for the body to throw it away.
			d.Bodies.Refuse(w, r, func() { fail(err) })
			return
		}
		fail(err)
		return
	}
	defer release()
	if len(body) > 0 {
		forgetResolved(ctx)
	}
	c, err := verify(body)
	if err != nil {
		fail(err)
		return
	}
	SetAccount(ctx, c.Account.ID)
	if err := CheckUTF8(body); err != nil {
		fail(err)
		return
	}
	if err := d.Limiter.Allow(c.Account.ID); err != nil {
		fail(err)
		return
	}
	if !CleanPath(r.URL.Path) {
		fail(d.BadPath(r))
		return
	}
	if d.Authorize != nil {
		if err := d.Authorize(r, c); err != nil {
			fail(err)
			return
		}
	}
	c.Body = body
	d.Routes.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callerKey{}, c)))
}

// Handle adapts a route's handler, as the package's Handle does, rendering
// its errors and panics through the dialect and noting their codes.
func (d *Dialect) Handle(h HandlerFunc) http.Handler {
	return Handle(d.Logger, d.render, h)
}

// render is Render followed by noting the code for the access log.
func (d *Dialect) render(w http.ResponseWriter, r *http.Request, err error) {
	d.Render(w, r, err)
	if d.ErrorCode != nil {
		noteErrorCode(r.Context(), d.ErrorCode(w, err))
	}
}
