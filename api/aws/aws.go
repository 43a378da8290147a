// Package aws serves the Amazon API Gateway dialect: the ClientCertificate
// operations and tagging by ARN, over rest-json, authenticated with AWS
// Signature Version 4. Wire shapes and errors live here; every rule lives in
// package certs.
package aws

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/restapi"
)

// ServiceName is the SigV4 signing name of API Gateway.
const ServiceName = "apigateway"

// Config wires the dialect.
type Config struct {
	Certs *certs.Service
	// RestAPIs serves the REST API operations; nil leaves them out.
	RestAPIs *restapi.Service
	// Accounts resolves access keys (an *accounts.Service); an unknown key
	// is one whose error wraps accounts.ErrUnknownAccessKey.
	Accounts     api.Resolver
	Limiter      *api.RateLimiter
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Bodies reads request bodies, bounded; nil makes one for this
	// dialect alone, of MaxBodyBytes each.
	Bodies *api.BodyLimiter
	// Regions are the regions served; a credential scope naming another is
	// refused. Empty means DefaultRegions.
	Regions []string
	// VerifierOptions tune signature checks (tests pin the clock).
	VerifierOptions []sigv4.Option
}

var _ api.Resolver = (*accounts.Service)(nil)

// Handler serves the dialect. Mount it at "/".
type Handler struct {
	certs    *certs.Service
	rest     *restapi.Service
	log      *slog.Logger
	signer   *api.Signer
	verifier *sigv4.Verifier
	mux      *http.ServeMux
	prelude  *api.Dialect
}

// New returns the dialect's handler.
func New(cfg Config) *Handler {
	h := &Handler{certs: cfg.Certs, rest: cfg.RestAPIs, log: cfg.Logger, mux: http.NewServeMux()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	bodies := cfg.Bodies
	if bodies == nil {
		bodies = api.NewBodyLimiter(0, cfg.MaxBodyBytes, 0)
	}
	regions := cfg.Regions
	if len(regions) == 0 {
		regions = DefaultRegions
	}
	h.signer = api.NewSigner(cfg.Accounts, accounts.ErrUnknownAccessKey, sigv4.ErrUnknownAccessKey)
	opts := append([]sigv4.Option{sigv4.WithRegions(regions)}, cfg.VerifierOptions...)
	h.verifier = sigv4.NewVerifier(ServiceName, h.signer.Lookup, opts...)
	// Unknown routes need a signature too, so that nothing about the API is
	// revealed to anonymous callers.
	h.prelude = &api.Dialect{
		Logger:          h.log,
		Render:          renderError,
		ErrorCode:       errorCode,
		RequestIDHeader: "x-amzn-RequestId",
		Authenticate:    h.authenticate,
		BadPath:         unknownOperation,
		Bodies:          bodies,
		Limiter:         cfg.Limiter,
		Routes:          h.mux,
	}

	handle := func(pattern string, fn api.HandlerFunc) { h.mux.Handle(pattern, h.prelude.Handle(fn)) }
	handle("POST /clientcertificates", h.generate)
	handle("GET /clientcertificates", h.list)
	handle("GET /clientcertificates/{id}", h.get)
	handle("PATCH /clientcertificates/{id}", h.update)
	handle("DELETE /clientcertificates/{id}", h.delete)
	handle("PUT /tags/{arn...}", h.tagResource)
	handle("DELETE /tags/{arn...}", h.untagResource)
	handle("GET /tags/{arn...}", h.getTags)
	if h.rest != nil {
		h.restRoutes(handle)
	}
	handle("/", h.unknownRoute)
	return h
}

// ServeHTTP serves a request through the shared prelude (api.Dialect):
// SigV4 from the headers first, then the body, the rate limit and the
// routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.prelude.ServeHTTP(w, r) }

// authenticate checks the SigV4 headers, the access key lookup included;
// the signature over the body is checked once the body is in.
func (h *Handler) authenticate(r *http.Request) (api.Verify, error) {
	ctx := r.Context()
	pending, err := h.verifier.VerifyHeaders(ctx, r)
	if err != nil {
		return nil, authError(err)
	}
	// A declared body hash lets the signature be checked now, so that a
	// caller without the secret never gets to hold a body slot, nor take
	// the key's share from its owner.
	verified, err := pending.VerifyDeclaredHash()
	if err != nil {
		return nil, authError(err)
	}
	if verified {
		api.NoteSignatureVerified(ctx)
	}
	return func(body []byte) (*api.Caller, error) {
		id, err := pending.VerifyBody(body)
		if err != nil {
			return nil, authError(err)
		}
		acct, err := h.signer.Account(ctx, id.AccessKeyID)
		if err != nil {
			return nil, err
		}
		return &api.Caller{Account: acct, Scope: certgate.Scope{AccountID: acct.ID, Region: id.Region}}, nil
	}, nil
}

// errorCode is the code renderError sent, for the access log.
func errorCode(w http.ResponseWriter, _ error) string { return w.Header().Get("x-amzn-ErrorType") }

// authError marks a signature failure as a client error for the shared
// plumbing; renderError still finds AWS's code in it. Other errors (the
// lookup's internal ones) pass unchanged.
func authError(err error) error {
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &certgate.Error{Code: certgate.EUnauthenticated, Message: se.Message, Err: se}
	}
	return err
}

func unknownOperation(r *http.Request) error {
	return routeError(&apiError{status: http.StatusNotFound, code: codeUnknownOperation,
		message: "Unknown operation: " + r.Method + " " + certgate.Clip(r.URL.EscapedPath())})
}

// routeError wraps an apiError so the shared plumbing sees a client error
// (not an internal one) while renderError still finds the AWS code.
func routeError(e *apiError) error {
	code := certgate.EInvalid
	if e.status == http.StatusNotFound {
		code = certgate.ENotFound
	}
	return &certgate.Error{Code: code, Message: e.message, Err: e}
}

func callerOf(r *http.Request) *api.Caller { return api.CallerOf(r) }

// unknownRoute answers in JSON for paths no operation serves (404) and for
// known paths with a wrong method (405 with Allow).
func (h *Handler) unknownRoute(w http.ResponseWriter, r *http.Request) error {
	switch r.URL.Path {
	case "/clientcertificates/":
		return &certgate.Error{Code: certgate.EInvalid, Message: "Invalid Client Certificate identifier specified: the identifier is empty"}
	case "/tags/":
		return &certgate.Error{Code: certgate.EInvalid, Message: "Invalid ARN specified in the request: the ARN is empty"}
	}
	if allow := api.AllowedMethods(h.mux, r); len(allow) > 0 {
		return routeError(&apiError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed, allow: strings.Join(allow, ", "),
			message: "Method " + r.Method + " is not allowed on " + certgate.Clip(r.URL.EscapedPath()) + "; allowed: " + strings.Join(allow, ", ")})
	}
	return unknownOperation(r)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, c *certgate.Certificate) {
	if wantsHAL(r) {
		writeJSON(w, status, halType, toHAL(c))
		return
	}
	writeJSON(w, status, "application/json", toWire(c))
}

type generateRequest struct {
	Description *string           `json:"description"`
	Tags        map[string]string `json:"tags"`
}

func (h *Handler) generate(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	var req generateRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	in := certs.GenerateInput{Tags: req.Tags}
	if req.Description != nil {
		in.Description = *req.Description
	}
	c, err := h.certs.GenerateClientCertificate(r.Context(), cl.Scope, in)
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusCreated, c)
	return nil
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	c, err := h.certs.Get(r.Context(), callerOf(r).Scope, certgate.KindClient, r.PathValue("id"))
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, c)
	return nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	q := api.Query(r)
	limit := 0
	if v := q.Get("limit"); v != "" || q.Has("limit") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return &certgate.Error{Code: certgate.EInvalid, Field: "limit",
				Message: "Invalid value for parameter 'limit': '" + certgate.Clip(v) + "'. It must be an integer between 1 and 500"}
		}
		limit = n
	}
	page, err := h.certs.List(r.Context(), callerOf(r).Scope, certgate.KindClient, q.Get("position"), limit)
	if err != nil {
		return err
	}
	if wantsHAL(r) {
		if limit == 0 {
			limit = certs.DefaultPageLimit
		}
		writeJSON(w, http.StatusOK, halType, toHALList(page.Items, page.Position, limit))
		return nil
	}
	out := clientCertificates{Position: page.Position, Item: make([]clientCertificate, 0, len(page.Items))}
	for _, c := range page.Items {
		out.Item = append(out.Item, toWire(c))
	}
	writeJSON(w, http.StatusOK, "application/json", out)
	return nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	id := r.PathValue("id")
	upd, err := parsePatch(cl.Body)
	if err != nil {
		return err
	}
	var c *certgate.Certificate
	if upd.Description != nil {
		c, err = h.certs.SetDescription(r.Context(), cl.Scope, certgate.KindClient, id, *upd.Description)
	} else {
		// An empty patch changes nothing and returns the certificate.
		c, err = h.certs.Get(r.Context(), cl.Scope, certgate.KindClient, id)
	}
	if err != nil {
		return err
	}
	h.render(w, r, http.StatusOK, c)
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.certs.Delete(r.Context(), callerOf(r).Scope, certgate.KindClient, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// resourceID resolves the {arn} label to a certificate id in the caller's
// scope. An ARN naming another region is not found here, as an ARN from
// another region's endpoint would be on AWS.
func resourceID(r *http.Request) (string, error) {
	region, id, err := parseARN(r.PathValue("arn"))
	if err != nil {
		return "", err
	}
	if region != callerOf(r).Scope.Region {
		return "", &certgate.Error{Code: certgate.ENotFound, Reason: "other_region", Message: notFoundMessage}
	}
	return id, nil
}

type tagRequest struct {
	Tags map[string]string `json:"tags"`
}

func (h *Handler) tagResource(w http.ResponseWriter, r *http.Request) error {
	if handled, err := h.restTags(w, r); handled {
		return err
	}
	cl := callerOf(r)
	id, err := resourceID(r)
	if err != nil {
		return err
	}
	var req tagRequest
	if err := api.DecodeJSON(cl.Body, &req); err != nil {
		return err
	}
	if req.Tags == nil {
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"}
	}
	if _, err := h.certs.Tag(r.Context(), cl.Scope, certgate.KindClient, id, req.Tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) untagResource(w http.ResponseWriter, r *http.Request) error {
	if handled, err := h.restTags(w, r); handled {
		return err
	}
	cl := callerOf(r)
	id, err := resourceID(r)
	if err != nil {
		return err
	}
	if _, err := h.certs.Untag(r.Context(), cl.Scope, certgate.KindClient, id, api.Query(r)["tagKeys"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getTags(w http.ResponseWriter, r *http.Request) error {
	if handled, err := h.restTags(w, r); handled {
		return err
	}
	cl := callerOf(r)
	id, err := resourceID(r)
	if err != nil {
		return err
	}
	c, err := h.certs.Get(r.Context(), cl.Scope, certgate.KindClient, id)
	if err != nil {
		return err
	}
	tags := c.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"tags": tags})
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
