// Package huawei serves the Huawei Cloud APIG v2 dialect: the SSL certificate,
// instance, API group, domain, API, environment, publishing and instance
// feature operations under /v2/{project_id}/apigw, authenticated either with the
// SDK-HMAC-SHA256 signatures the Huawei SDKs send or with an X-Auth-Token.
// Wire shapes and errors live here; every rule lives in package certs (for
// certificates) or gwconfig (for what the gateway serves).
package huawei

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/pki"
)

// Prefix is where the dialect is mounted.
const Prefix = "/v2/"

// Config wires the dialect.
type Config struct {
	Certs *certs.Service
	// Gateway serves instances and API groups.
	Gateway *gwconfig.Service
	// Accounts resolves access keys and tokens (an *accounts.Service).
	Accounts     Accounts
	Limiter      *api.RateLimiter
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Bodies reads request bodies, bounded; nil makes one for this
	// dialect alone, of MaxBodyBytes each.
	Bodies          *api.BodyLimiter
	VerifierOptions []hwsign.Option
}

// Accounts is what the dialect asks of the accounts service: an access
// key's account and secret (an unknown key's error wraps
// accounts.ErrUnknownAccessKey), and a token's account.
type Accounts interface {
	api.Resolver
	ResolveToken(ctx context.Context, token string) (*certgate.Account, error)
}

var _ Accounts = (*accounts.Service)(nil)

// Handler serves the dialect. Mount it at Prefix.
type Handler struct {
	certs    *certs.Service
	gw       *gwconfig.Service
	log      *slog.Logger
	accounts Accounts // tokens
	signer   *api.Signer
	verifier *hwsign.Verifier
	mux      *http.ServeMux
	prelude  *api.Dialect
	facts    *pki.FactsMemo // the shown certificates' parsed facts
}

// New returns the dialect's handler.
func New(cfg Config) *Handler {
	h := &Handler{certs: cfg.Certs, gw: cfg.Gateway, accounts: cfg.Accounts, log: cfg.Logger, mux: http.NewServeMux(),
		facts: pki.NewFactsMemo(1024)}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	bodies := cfg.Bodies
	if bodies == nil {
		bodies = api.NewBodyLimiter(0, cfg.MaxBodyBytes, 0)
	}
	h.signer = api.NewSigner(cfg.Accounts, accounts.ErrUnknownAccessKey, hwsign.ErrUnknownAccessKey)
	h.verifier = hwsign.NewVerifier(h.signer.Lookup, cfg.VerifierOptions...)
	h.prelude = &api.Dialect{
		Logger:          h.log,
		Render:          renderError,
		ErrorCode:       errorCode,
		RequestIDHeader: "X-Request-Id",
		Authenticate:    h.authenticate,
		Authorize:       authorize,
		BadPath:         noRoute,
		Bodies:          bodies,
		Limiter:         cfg.Limiter,
		Routes:          h.mux,
	}
	handle := func(pattern string, fn api.HandlerFunc) { h.mux.Handle(pattern, h.prelude.Handle(fn)) }
	const base = "/v2/{project}/apigw/certificates"
	handle("POST "+base, h.create)
	handle("GET "+base, h.list)
	handle("GET "+base+"/{id}", h.show)
	handle("PUT "+base+"/{id}", h.update)
	handle("DELETE "+base+"/{id}", h.delete)
	h.gatewayRoutes(handle)
	handle("/", h.unknownRoute)
	return h
}

// ServeHTTP serves a request through the shared prelude (api.Dialect):
// the signature or token from the headers first, then the body, the rate
// limit, the project check and the routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.prelude.ServeHTTP(w, r) }

func callerOf(r *http.Request) *api.Caller { return api.CallerOf(r) }

func callerFor(acct *certgate.Account) *api.Caller {
	return &api.Caller{Account: acct, Scope: certgate.Scope{AccountID: acct.ID}}
}

// authenticate accepts an SDK-HMAC-SHA256 signature (what the Huawei SDKs
// always send) or an X-Auth-Token (plain HTTP clients), from the headers
// alone. For a signature the body is checked once it is in; a token says
// nothing about the body.
func (h *Handler) authenticate(r *http.Request) (api.Verify, error) {
	ctx := r.Context()
	if !hwsign.HasSignature(r) {
		acct, err := h.accounts.ResolveToken(ctx, r.Header.Get("X-Auth-Token"))
		if err != nil {
			return nil, err
		}
		return func([]byte) (*api.Caller, error) { return callerFor(acct), nil }, nil
	}
	p, err := h.verifier.VerifyHeaders(ctx, r)
	if err != nil {
		return nil, signatureError(err)
	}
	if p.UnsignedPayload() && r.ContentLength > 0 {
		return nil, errUnsignedPayload()
	}
	return func(body []byte) (*api.Caller, error) {
		if p.UnsignedPayload() && len(body) > 0 {
			return nil, errUnsignedPayload()
		}
		id, err := p.VerifyBody(body)
		if err != nil {
			return nil, signatureError(err)
		}
		acct, err := h.signer.Account(ctx, id.AccessKeyID)
		if err != nil {
			return nil, err
		}
		return callerFor(acct), nil
	}, nil
}

// Every route here takes JSON, for which the SDKs always sign the body; an
// unsigned payload would let the body be changed in transit.
func errUnsignedPayload() error {
	return asClientError(http.StatusUnauthorized, "APIGW.0301",
		"Incorrect IAM authentication information: an unsigned payload is not accepted for a request with a body")
}

func signatureError(err error) error {
	var se *hwsign.Error
	if errors.As(err, &se) {
		return &certgate.Error{Code: certgate.EUnauthenticated, Message: se.Message, Err: se}
	}
	return err
}

// authorize checks that the path's project is the caller's, and that
// X-Project-Id, when sent, names it too.
func authorize(r *http.Request, c *api.Caller) error {
	project, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	if project != c.Account.ProjectID || (r.Header.Get("X-Project-Id") != "" && r.Header.Get("X-Project-Id") != project) {
		// The same answer whether the project exists or not.
		return &certgate.Error{Code: certgate.EForbidden, Reason: "wrong_project",
			Message: "No permissions to request this method: the project does not belong to the caller"}
	}
	return nil
}

// errorCode is the APIG code renderError sent for err, for the access log:
// the error table is asked again, on headers that are thrown away.
func errorCode(_ http.ResponseWriter, err error) string {
	_, code, _ := statusOf(discardHeaders{}, err)
	return code
}

// discardHeaders is a ResponseWriter that only takes headers, and drops them.
type discardHeaders struct{}

func (discardHeaders) Header() http.Header         { return http.Header{} }
func (discardHeaders) Write(b []byte) (int, error) { return len(b), nil }
func (discardHeaders) WriteHeader(int)             {}

func noRoute(r *http.Request) error {
	return asClientError(http.StatusNotFound, codeNoRoute, "The API does not exist or has not been published in the environment")
}

func (h *Handler) unknownRoute(w http.ResponseWriter, r *http.Request) error {
	if len(api.AllowedMethods(h.mux, r)) > 0 {
		return asClientError(http.StatusMethodNotAllowed, codeNoRoute, "The API request method does not exist")
	}
	return noRoute(r)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// placement reads type and instance_id: "global" (the default) or
// "instance", which needs an instance id.
func placement(form *certificateForm, required bool) (instanceID *string, err error) {
	typ := str(form.Type)
	inst := str(form.InstanceID)
	if inst == instanceGlobal {
		inst = ""
	}
	switch typ {
	case "":
		if !required && form.InstanceID == nil {
			return nil, nil
		}
		if inst == "" {
			return ptr(""), nil
		}
		return &inst, nil
	case "global":
		return ptr(""), nil
	case "instance":
		if inst == "" {
			return nil, &certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "instance_id",
				Message: "instance_id is required when type is instance"}
		}
		return &inst, nil
	}
	return nil, &certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: "type", Message: "type must be global or instance"}
}

func ptr(s string) *string { return &s }

func decodeForm(body []byte) (*certificateForm, error) {
	var f certificateForm
	if err := api.DecodeJSON(body, &f); err != nil {
		return nil, err
	}
	if str(f.CertContentSign) != "" || str(f.PrivateKeySign) != "" {
		return nil, &certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: "cert_content_sign",
			Message: "SM2 dual certificates are not supported"}
	}
	return &f, nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	f, err := decodeForm(cl.Body)
	if err != nil {
		return err
	}
	inst, err := placement(f, true)
	if err != nil {
		return err
	}
	c, err := h.certs.CreateServerCertificate(r.Context(), cl.Scope, certs.ServerInput{
		Name: str(f.Name), CertPEM: str(f.CertContent), KeyPEM: str(f.PrivateKey),
		TrustedRootCA: str(f.TrustedRootCA), InstanceID: *inst, KeyAlgorithm: str(f.AlgorithmType),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.Account.ProjectID, h.facts))
	return nil
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	c, err := h.certs.Get(r.Context(), cl.Scope, certgate.KindServer, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.Account.ProjectID, h.facts))
	return nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	f, err := decodeForm(cl.Body)
	if err != nil {
		return err
	}
	if f.Name == nil {
		return &certgate.Error{Code: certgate.EInvalid, Reason: "missing", Field: "name", Message: "name is required"}
	}
	inst, err := placement(f, false)
	if err != nil {
		return err
	}
	c, err := h.certs.UpdateServerCertificate(r.Context(), cl.Scope, r.PathValue("id"), certs.ServerUpdate{
		Name: f.Name, CertPEM: str(f.CertContent), KeyPEM: str(f.PrivateKey),
		TrustedRootCA: f.TrustedRootCA, InstanceID: inst, KeyAlgorithm: str(f.AlgorithmType),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.Account.ProjectID, h.facts))
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.certs.Delete(r.Context(), cl.Scope, certgate.KindServer, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// List paging, as APIG clamps it.
const (
	defaultLimit = 20
	maxLimit     = 500
)

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	// hwsign canonicalises the query as url.ParseQuery reads it (a raw '+'
	// is a space), so the handler must read it the same way.
	q := r.URL.Query()
	offset, err := intParam(q.Get("offset"), "offset", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(q.Get("limit"), "limit", defaultLimit)
	if err != nil {
		return err
	}
	offset = max(offset, 0)
	if limit <= 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)

	f := certs.ServerFilter{
		Name:               q.Get("name"),
		CommonName:         q.Get("common_name"),
		SignatureAlgorithm: q.Get("signature_algorithm"),
		KeyAlgorithm:       q.Get("algorithm_type"),
	}
	switch t := q.Get("type"); t {
	case "":
	case "global":
		f.Type = certs.TypeGlobal
	case "instance":
		f.Type = certs.TypeInstance
	default:
		return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: "type", Message: "type must be global or instance"}
	}
	switch a := f.KeyAlgorithm; a {
	case "", "RSA", "ECC", "SM2":
	default:
		return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: "algorithm_type", Message: "algorithm_type must be RSA, ECC or SM2"}
	}
	// The SDK always sends instance_id, as a bare key when empty: no filter.
	switch inst := q.Get("instance_id"); inst {
	case "":
	case instanceGlobal:
		if f.Type == certs.TypeInstance {
			// Global and instance at once: nothing can match, so answer
			// without asking the store (a sentinel value would reach the
			// database, and the backends used to answer it differently).
			writeJSON(w, http.StatusOK, listResponse{Certs: []certBase{}})
			return nil
		}
		f.Type = certs.TypeGlobal
	default:
		f.InstanceID = inst
	}
	items, total, err := h.certs.ListServerCertificates(r.Context(), cl.Scope, f, offset, limit)
	if err != nil {
		return err
	}
	out := listResponse{Size: int32(len(items)), Total: total, Certs: make([]certBase, 0, len(items))}
	for _, c := range items {
		out.Certs = append(out.Certs, toBase(c, cl.Account.ProjectID))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func intParam(v, name string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || len(v) > 10 {
		return 0, &certgate.Error{Code: certgate.EInvalid, Reason: "bad_value", Field: name, Message: name + " must be an integer"}
	}
	return n, nil
}
