// Package huawei serves the Huawei Cloud APIG v2 dialect: the SSL certificate
// operations under /v2/{project_id}/apigw, authenticated either with the
// SDK-HMAC-SHA256 signatures the Huawei SDKs send or with an X-Auth-Token.
// Wire shapes and errors live here; every rule lives in package certs.
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
)

// Prefix is where the dialect is mounted.
const Prefix = "/v2/"

// Config wires the dialect.
type Config struct {
	Certs        *certs.Service
	Accounts     *accounts.Service
	Limiter      *api.RateLimiter
	Logger       *slog.Logger
	MaxBodyBytes int64
	// Bodies reads request bodies, bounded; nil makes one for this
	// dialect alone, of MaxBodyBytes each.
	Bodies          *api.BodyLimiter
	VerifierOptions []hwsign.Option
}

// Handler serves the dialect. Mount it at Prefix.
type Handler struct {
	certs    *certs.Service
	limiter  *api.RateLimiter
	log      *slog.Logger
	bodies   *api.BodyLimiter
	accounts *accounts.Service // tokens
	signer   *api.Signer
	verifier *hwsign.Verifier
	mux      *http.ServeMux
}

// New returns the dialect's handler.
func New(cfg Config) *Handler {
	h := &Handler{
		certs: cfg.Certs, accounts: cfg.Accounts, limiter: cfg.Limiter,
		log: cfg.Logger, bodies: cfg.Bodies, mux: http.NewServeMux(),
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.bodies == nil {
		h.bodies = api.NewBodyLimiter(0, cfg.MaxBodyBytes, 0)
	}
	h.signer = api.NewSigner(cfg.Accounts, hwsign.ErrUnknownAccessKey)
	h.verifier = hwsign.NewVerifier(h.signer.Lookup, cfg.VerifierOptions...)
	handle := func(pattern string, fn api.HandlerFunc) {
		h.mux.Handle(pattern, api.Handle(h.log, renderError, fn))
	}
	const base = "/v2/{project}/apigw/certificates"
	handle("POST "+base, h.create)
	handle("GET "+base, h.list)
	handle("GET "+base+"/{id}", h.show)
	handle("PUT "+base+"/{id}", h.update)
	handle("DELETE "+base+"/{id}", h.delete)
	handle("/", h.unknownRoute)
	return h
}

type caller struct {
	account *certgate.Account
	scope   certgate.Scope
	body    []byte
}

type callerKey struct{}

func callerOf(r *http.Request) *caller { return r.Context().Value(callerKey{}).(*caller) }

// authenticateHeaders accepts an SDK-HMAC-SHA256 signature (what the Huawei
// SDKs always send) or an X-Auth-Token (plain HTTP clients), from the headers
// alone. For a signature it returns the pending check of the body too; a
// token says nothing about the body.
func (h *Handler) authenticateHeaders(r *http.Request) (*certgate.Account, *hwsign.Pending, func() *certgate.Account, error) {
	ctx := r.Context()
	if !hwsign.HasSignature(r) {
		acct, err := h.accounts.ResolveToken(ctx, r.Header.Get("X-Auth-Token"))
		return acct, nil, nil, err
	}
	vctx, signedBy := h.signer.Track(ctx)
	p, err := h.verifier.VerifyHeaders(vctx, r)
	if err != nil {
		return nil, nil, nil, signatureError(err)
	}
	if p.UnsignedPayload() && r.ContentLength > 0 {
		return nil, nil, nil, errUnsignedPayload()
	}
	return nil, p, signedBy, nil
}

// Every route here takes JSON, for which the SDKs always sign the body; an
// unsigned payload would let the body be changed in transit.
func errUnsignedPayload() error {
	return asClientError(http.StatusUnauthorized, "APIGW.0301",
		"Incorrect IAM authentication information: an unsigned payload is not accepted for a request with a body")
}

// verifyBody finishes a signature check once the body is in.
func verifyBody(p *hwsign.Pending, signedBy func() *certgate.Account, body []byte) (*certgate.Account, error) {
	if p.UnsignedPayload() && len(body) > 0 {
		return nil, errUnsignedPayload()
	}
	if _, err := p.VerifyBody(body); err != nil {
		return nil, signatureError(err)
	}
	acct := signedBy()
	if acct == nil {
		return nil, errors.New("huawei: signature verified without an account")
	}
	return acct, nil
}

func signatureError(err error) error {
	var se *hwsign.Error
	if errors.As(err, &se) {
		return &certgate.Error{Code: certgate.EUnauthenticated, Message: se.Message, Err: se}
	}
	return err
}

// ServeHTTP authenticates, checks that the path's project belongs to the
// caller, applies the account's rate limit, and routes. The headers are
// checked first (the key lookup or the token included); only a request that
// can still be valid has its body read, through the shared BodyLimiter.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("X-Request-Id", api.RequestID(ctx))
	defer api.Recover(h.log, renderError, w, r)
	fail := func(err error) { api.RenderError(h.log, renderError, w, r, err) }

	acct, pending, signedBy, err := h.authenticateHeaders(r)
	if err != nil {
		h.bodies.Refuse(w, r, func() { fail(err) })
		return
	}
	body, release, err := h.bodies.Read(w, r)
	if err != nil {
		fail(err)
		return
	}
	defer release()
	if pending != nil {
		if acct, err = verifyBody(pending, signedBy, body); err != nil {
			fail(err)
			return
		}
	}
	api.WithAccount(ctx, acct.ID)
	if err := api.CheckUTF8(body); err != nil {
		fail(err)
		return
	}
	if err := h.limiter.Allow(acct.ID); err != nil {
		fail(err)
		return
	}
	if !api.CleanPath(r.URL.Path) {
		fail(noRoute(r))
		return
	}
	project, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
	if project != acct.ProjectID || (r.Header.Get("X-Project-Id") != "" && r.Header.Get("X-Project-Id") != project) {
		// The same answer whether the project exists or not.
		fail(&certgate.Error{Code: certgate.EForbidden, Reason: "wrong_project",
			Message: "No permissions to request this method: the project does not belong to the caller"})
		return
	}
	c := &caller{account: acct, scope: certgate.Scope{AccountID: acct.ID}, body: body}
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callerKey{}, c)))
}

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
	f, err := decodeForm(cl.body)
	if err != nil {
		return err
	}
	inst, err := placement(f, true)
	if err != nil {
		return err
	}
	c, err := h.certs.CreateServerCertificate(r.Context(), cl.scope, certs.ServerInput{
		Name: str(f.Name), CertPEM: str(f.CertContent), KeyPEM: str(f.PrivateKey),
		TrustedRootCA: str(f.TrustedRootCA), InstanceID: *inst, KeyAlgorithm: str(f.AlgorithmType),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.account.ProjectID))
	return nil
}

func (h *Handler) show(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	c, err := h.certs.Get(r.Context(), cl.scope, certgate.KindServer, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.account.ProjectID))
	return nil
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	f, err := decodeForm(cl.body)
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
	c, err := h.certs.UpdateServerCertificate(r.Context(), cl.scope, r.PathValue("id"), certs.ServerUpdate{
		Name: f.Name, CertPEM: str(f.CertContent), KeyPEM: str(f.PrivateKey),
		TrustedRootCA: f.TrustedRootCA, InstanceID: inst, KeyAlgorithm: str(f.AlgorithmType),
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toCert(c, cl.account.ProjectID))
	return nil
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	cl := callerOf(r)
	if err := h.certs.Delete(r.Context(), cl.scope, certgate.KindServer, r.PathValue("id")); err != nil {
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
	items, total, err := h.certs.ListServerCertificates(r.Context(), cl.scope, f, offset, limit)
	if err != nil {
		return err
	}
	out := listResponse{Size: int32(len(items)), Total: total, Certs: make([]certBase, 0, len(items))}
	for _, c := range items {
		out.Certs = append(out.Certs, toBase(c, cl.account.ProjectID))
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
