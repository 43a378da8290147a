package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/gwconfig"
)

// Routing, after the listener's checks (HTTPS and HTTP):
//   - a path under /_aws/execute-api/{restapi_id}/{stage}/ (LocalStack's
//     path-style convention), or a Host {restapi_id}.execute-api.{anything}
//     with the stage as the first path segment, is an AWS invocation;
//   - anything else is Huawei's: the Host selects the group (a custom
//     domain bound to it on this listener, or its debugging domain), the
//     X-Stage header the environment (RELEASE without one), and method and
//     path the published API.

// awsPathPrefix is LocalStack's path-style invocation prefix.
const awsPathPrefix = "/_aws/execute-api/"

// newRequestID is a request id as both dialects show it: 32 hex digits.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// route answers a request that passed the listener's checks, and writes
// its access log line.
func (g *Gateway) route(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	s := g.snap.Load()
	rec := &statusWriter{ResponseWriter: w}
	e := &accessEntry{}
	// Deferred, so that a response aborted mid-body (the proxy re-panics
	// http.ErrAbortHandler) is logged too.
	defer func() { g.logAccess(r, rec, e, time.Since(start)) }()
	host := normalHost(hostOnly(r.Host))
	if rest, ok := strings.CutPrefix(r.URL.Path, awsPathPrefix); ok {
		id, rest, _ := strings.Cut(rest, "/")
		g.serveAWS(rec, r, s, e, id, "/"+rest)
	} else if id, ok := executeAPIHost(host); ok {
		g.serveAWS(rec, r, s, e, id, r.URL.Path)
	} else {
		g.serveHuawei(rec, r, s, e, host)
	}
}

// accessEntry is what routing tells the access log.
type accessEntry struct {
	requestID string
	dialect   string // huawei or aws
	route     string // group/env/API or REST API/stage/resource method
	// upstream is the backend's status (0: none answered) and how long it
	// took; failure names why a call failed.
	upstream    int
	upstreamDur time.Duration
	failure     string
}

// logAccess writes one line per request: the route, the statuses, the
// durations, and the verified client certificate's subject. Query strings
// are left out (they may carry credentials).
func (g *Gateway) logAccess(r *http.Request, w *statusWriter, e *accessEntry, d time.Duration) {
	ctx := r.Context()
	if !g.access.Enabled(ctx, slog.LevelInfo) {
		return
	}
	// Typed attributes in an array on the stack: the []any form boxed
	// each value and grew the slice, allocations the profile showed.
	var buf [13]slog.Attr
	attrs := append(buf[:0], slog.String("request_id", e.requestID), slog.String("dialect", e.dialect),
		slog.String("client", clientIP(r)), slog.String("host", r.Host), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("route", e.route), slog.Int("status", w.status),
		slog.Float64("duration_ms", ms(d)))
	if e.upstream != 0 || e.failure != "" {
		attrs = append(attrs, slog.Int("upstream_status", e.upstream), slog.Float64("upstream_ms", ms(e.upstreamDur)))
	}
	if e.failure != "" {
		attrs = append(attrs, slog.String("failure", e.failure))
	}
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		attrs = append(attrs, slog.String("client_cert", r.TLS.PeerCertificates[0].Subject.String()))
	}
	g.access.LogAttrs(ctx, slog.LevelInfo, "access", attrs...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// executeAPIHost returns the REST API id of a host
// {restapi_id}.execute-api.{anything}.
func executeAPIHost(host string) (string, bool) {
	id, rest, ok := strings.Cut(host, ".")
	if !ok || id == "" || !strings.HasPrefix(rest, "execute-api.") || len(rest) == len("execute-api.") {
		return "", false
	}
	return id, true
}

// clientIP is the address the connection came from.
func clientIP(r *http.Request) string {
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return h
	}
	return r.RemoteAddr
}

// ---- Huawei ----

func (g *Gateway) serveHuawei(w http.ResponseWriter, r *http.Request, s *snapshot, e *accessEntry, host string) {
	reqID := newRequestID()
	e.requestID, e.dialect = reqID, "huawei"
	w.Header().Set("Server", "api-gateway")
	hw := func(status int, code, msg string) { writeHuaweiError(w, reqID, status, code, msg) }
	if hasDotSegment(r.URL.Path) {
		hw(http.StatusBadRequest, "APIG.0201", dotPathHuawei)
		return
	}
	idx := s.plain
	if r.TLS != nil {
		idx = s.tls
	}
	var hg *hwGroup
	if st := idx.lookup(host); st != nil {
		hg = s.routes.groups[st.domain.GroupID]
	} else if hg = s.routes.sl[host]; hg == nil && s.routes.slOff[host] {
		// The debugging domain is switched off (what Huawei answers is
		// UNCONFIRMED; the spec's closest documented answer is
		// "not published").
		hw(http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
		return
	}
	if hg == nil {
		hw(http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
		return
	}
	env := r.Header.Get("X-Stage")
	if env == "" {
		env = certgate.ReleaseEnvironmentName
	}
	t := hg.envs[env]
	if t == nil {
		hw(http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
		return
	}
	m, pathOnly := t.match(r.Method, r.URL.Path)
	if m.route != nil {
		e.route = hg.group.ID + "/" + env + "/" + m.route.api.ID
	}
	if m.route == nil {
		if pathOnly {
			hw(http.StatusNotFound, "APIG.0101", "The API does not exist")
			return
		}
		hw(http.StatusNotFound, "APIG.0101", "The API does not exist or has not been published in the environment")
		return
	}
	spec := &m.route.api.Spec
	switch proto := spec.Protocol; {
	case proto == "HTTPS" && r.TLS == nil, proto == "HTTP" && r.TLS != nil:
		hw(http.StatusBadRequest, "APIG.0607", "The following protocol is supported: "+proto)
		return
	}
	if spec.AuthType != "NONE" {
		// The data plane authenticates no caller yet: an API that asks
		// for IAM authentication is refused rather than served openly.
		hw(http.StatusUnauthorized, "APIG.0301", "Incorrect IAM authentication information: the gateway does not verify IAM credentials")
		return
	}
	if spec.BackendType == "MOCK" {
		body := ""
		if spec.Mock != nil {
			body = spec.Mock.ResultContent
		}
		w.Header().Set("X-Request-Id", reqID)
		w.Header().Set("Content-Type", mockType(body))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
		return
	}
	if len(r.RequestURI) > huaweiURILimit {
		hw(http.StatusRequestURITooLong, "APIG.0201", "Request URI too large")
		return
	}
	if !limitBody(w, r, huaweiBodyLimit) {
		hw(http.StatusRequestEntityTooLarge, "APIG.0201", "Request entity too large")
		return
	}
	c, err := g.huaweiCall(r, m, hg, env, reqID)
	if err != nil {
		hw(http.StatusBadRequest, "APIG.0201", "API request error: "+err.Error())
		return
	}
	w.Header().Set("X-Request-Id", reqID)
	g.forward(w, r, c, e, func(w http.ResponseWriter, f Failure) {
		switch f {
		case FailTooLarge:
			hw(http.StatusRequestEntityTooLarge, "APIG.0201", "Request entity too large")
		case FailTimeout:
			hw(http.StatusGatewayTimeout, "APIG.0203", "Backend timeout")
		default:
			hw(http.StatusBadGateway, "APIG.0202", "Backend unavailable")
		}
	})
}

// mockType is the Content-Type of a mock answer: JSON when it looks like
// JSON.
func mockType(body string) string {
	if (strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[")) && json.Valid([]byte(body)) {
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// writeHuaweiError answers in the default gateway response template of
// Huawei's gateway: {"error_code", "error_msg", "request_id"} with
// X-Request-Id.
func writeHuaweiError(w http.ResponseWriter, reqID string, status int, code, msg string) {
	body, _ := json.Marshal(map[string]string{"error_code": code, "error_msg": msg, "request_id": reqID})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// huaweiCall builds the backend request of a matched API:
// req_protocol://url_domain + req_uri, with the backend parameters mapped
// from the request (REQUEST), fixed (CONSTANT) or the gateway's context
// (SYSTEM). A declared request parameter that is mapped moves to its
// backend name and location; everything undeclared passes through.
func (g *Gateway) huaweiCall(r *http.Request, m hwMatch, hg *hwGroup, env, reqID string) (*backendCall, error) {
	spec := &m.route.api.Spec
	be := spec.Backend
	query := r.URL.Query()
	c := &backendCall{method: be.Method, setHeader: http.Header{}, timeout: time.Duration(be.Timeout) * time.Millisecond}
	if c.method == "ANY" {
		c.method = r.Method
	}
	byID := map[string]*certgate.APIParam{}
	for i := range spec.ReqParams {
		p := &spec.ReqParams[i]
		byID[p.ID] = p
	}
	reqValue := func(p *certgate.APIParam) (string, bool) {
		switch p.Location {
		case "PATH":
			v, ok := m.vars[p.Name]
			return v, ok
		case "QUERY":
			if vs, ok := query[p.Name]; ok && len(vs) > 0 {
				return vs[0], true
			}
		case "HEADER":
			if v := r.Header.Get(p.Name); v != "" {
				return v, true
			}
		}
		if p.DefaultValue != "" {
			return p.DefaultValue, true
		}
		return "", false
	}
	for i := range spec.ReqParams {
		p := &spec.ReqParams[i]
		if _, ok := reqValue(p); !ok && p.Required == 1 {
			return nil, fmt.Errorf("the required %s parameter %s is missing", strings.ToLower(p.Location), p.Name)
		}
	}
	pathVals := map[string]string{}
	for _, bp := range spec.BackendParams {
		var v string
		switch bp.Origin {
		case "REQUEST":
			p := byID[bp.ReqParamID]
			if p == nil {
				continue
			}
			var ok bool
			if v, ok = reqValue(p); !ok {
				continue
			}
			switch p.Location { // it moves
			case "QUERY":
				query.Del(p.Name)
			case "HEADER":
				c.delHeader = append(c.delHeader, p.Name)
			}
		case "CONSTANT":
			v = bp.Value
		case "SYSTEM":
			v = systemValue(r, bp.Value, m, env, reqID)
		}
		switch bp.Location {
		case "PATH":
			pathVals[bp.Name] = v
		case "QUERY":
			query.Set(bp.Name, v)
		case "HEADER":
			c.setHeader.Set(bp.Name, v)
		}
	}
	path, ok := expandTemplate(m.route.backend.Segments, m.route.backend.TrailingSlash, pathVals)
	if !ok {
		return nil, errDotSegment
	}
	if len(m.rest) > 0 {
		path = strings.TrimSuffix(path, "/") + "/" + escapeSegments(m.rest)
	}
	scheme := strings.ToLower(be.Protocol)
	c.url = &url.URL{Scheme: scheme, Host: be.Address, RawPath: path, RawQuery: query.Encode()}
	c.url.Path, _ = url.PathUnescape(path)
	if badHeaderValue(c.setHeader) {
		return nil, errBadHeaderValue
	}
	if be.ClientTLS && scheme == "https" {
		if hg.backendCert == nil {
			return nil, fmt.Errorf("the API presents the instance's backend client certificate, and none is set")
		}
		c.cert = hg.backendCert
	}
	return c, nil
}

// systemValue is a SYSTEM backend parameter's value.
func systemValue(r *http.Request, name string, m hwMatch, env, reqID string) string {
	switch name {
	case "$context.sourceIp":
		return clientIP(r)
	case "$context.stage":
		return env
	case "$context.apiId":
		return m.route.api.ID
	case "$context.requestId":
		return reqID
	case "$context.serverName":
		return hostOnly(r.Host)
	case "$context.serverAddr":
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			h, _, _ := net.SplitHostPort(a.String())
			return h
		}
	case "$context.handleTime":
		return time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
	}
	return "" // $context.appId: no app authentication
}

// ---- AWS ----

func (g *Gateway) serveAWS(w http.ResponseWriter, r *http.Request, s *snapshot, e *accessEntry, apiID, path string) {
	reqID := newRequestID()
	e.requestID, e.dialect = reqID, "aws"
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	aws := func(status int, typ, msg string) { writeAWSError(w, status, typ, msg) }
	if hasDotSegment(r.URL.Path) {
		aws(http.StatusBadRequest, "BadRequestException", dotPathAWS)
		return
	}
	stageName, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	st := s.routes.stages[strings.ToLower(apiID)][stageName]
	if st == nil {
		// LocalStack's answer for an unknown API or stage.
		aws(http.StatusNotFound, "NotFoundException", "The API id '"+apiID+"' does not correspond to a deployed API Gateway API")
		return
	}
	if st.api.DisableExecuteAPIEndpoint {
		aws(http.StatusForbidden, "ForbiddenException", "Forbidden")
		return
	}
	rest = strings.TrimSuffix(rest, "/")
	node, vars := st.root.match(splitPath("/"+rest), nil)
	var meth *certgate.Method
	if node != nil {
		meth = node.method(r.Method)
		e.route = st.stage.APIID + "/" + st.stage.Name + node.path
	}
	if meth == nil {
		// AWS answers a missing resource and a missing method alike.
		aws(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	if meth.AuthorizationType != "NONE" || meth.APIKeyRequired {
		// The data plane verifies no caller credentials yet: a method
		// that asks for them is refused, never served openly.
		aws(http.StatusForbidden, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	in := meth.Integration
	if in == nil {
		aws(http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
		return
	}
	if in.Type == "MOCK" {
		serveMock(w, in)
		return
	}
	if !limitBody(w, r, awsBodyLimit) {
		aws(http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request Too Large")
		return
	}
	c, err := awsCall(r, st, in, vars, reqID)
	switch {
	case errors.Is(err, errDotSegment):
		aws(http.StatusBadRequest, "BadRequestException", dotPathAWS)
		return
	case errors.Is(err, errBadHeaderValue):
		aws(http.StatusBadRequest, "BadRequestException", "Invalid request: "+errBadHeaderValue.Error())
		return
	}
	if err != nil {
		g.log.Warn("gateway: cannot build the integration request", "request_id", reqID, "rest_api", st.stage.APIID,
			"stage", st.stage.Name, "error", err)
		aws(http.StatusInternalServerError, "InternalServerErrorException", "Internal server error")
		return
	}
	if in.Type == "HTTP" {
		c.modify = func(resp *http.Response) { mapIntegrationResponse(resp, in) }
	}
	g.forward(w, r, c, e, func(w http.ResponseWriter, f Failure) {
		switch f {
		case FailTooLarge:
			writeAWSError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request Too Large")
		case FailTimeout:
			writeAWSError(w, http.StatusGatewayTimeout, "InternalServerErrorException", "Endpoint request timed out")
		default:
			writeAWSError(w, http.StatusBadGateway, "InternalServerErrorException", "Internal server error")
		}
	})
}

// Request limits. Huawei's are its documented defaults (12 MB of body,
// 32 KB of URI); AWS's REST APIs take 10 MB of payload. The text AWS sends
// with its 413 is UNCONFIRMED (a third-party page quotes "Request Too
// Large").
const (
	huaweiBodyLimit = 12 << 20
	huaweiURILimit  = 32 << 10
	awsBodyLimit    = 10 << 20
)

// limitBody refuses a body declared larger than max, and caps one that
// does not declare its length (the proxy reports failTooLarge when the cap
// is hit mid-stream).
func limitBody(w http.ResponseWriter, r *http.Request, max int64) bool {
	if r.ContentLength > max {
		return false
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, max)
	}
	return true
}

// writeAWSError answers as API Gateway's data plane does: {"message"} with
// x-amzn-ErrorType.
func writeAWSError(w http.ResponseWriter, status int, typ, msg string) {
	body, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", typ)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// defaultIntegrationTimeout is API Gateway's default (and maximum for
// REST APIs) integration timeout.
const defaultIntegrationTimeout = 29 * time.Second

// awsCall builds an HTTP or HTTP_PROXY integration's request: the URI with
// its {name} path variables filled from integration.request.path.*
// mappings (a variable without a mapping takes the method's path variable
// of the same name, as the console maps {proxy} for {proxy+}), the
// request's query string and headers, plus the mapped ones.
func awsCall(r *http.Request, st *awsStage, in *certgate.Integration, vars map[string]string, reqID string) (*backendCall, error) {
	query := r.URL.Query()  // the backend's: mappings add to it
	var reqQuery url.Values // the request's as sent, parsed when a mapping reads it
	c := &backendCall{method: in.HTTPMethod, setHeader: http.Header{}, cert: st.cert}
	if c.method == "" || c.method == "ANY" {
		c.method = r.Method
	}
	c.timeout = time.Duration(in.TimeoutInMillis) * time.Millisecond
	if c.timeout <= 0 {
		c.timeout = defaultIntegrationTimeout
	}
	c.insecure = in.TLSConfig != nil && in.TLSConfig.InsecureSkipVerification
	source := func(expr string) (string, bool) {
		switch {
		case len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'':
			return expr[1 : len(expr)-1], true
		case strings.HasPrefix(expr, "method.request.path."):
			v, ok := vars[strings.TrimPrefix(expr, "method.request.path.")]
			return v, ok
		case strings.HasPrefix(expr, "method.request.querystring."):
			if reqQuery == nil {
				reqQuery = r.URL.Query()
			}
			vs, ok := reqQuery[strings.TrimPrefix(expr, "method.request.querystring.")]
			if ok && len(vs) > 0 {
				return vs[0], true
			}
		case strings.HasPrefix(expr, "method.request.header."):
			if v := r.Header.Get(strings.TrimPrefix(expr, "method.request.header.")); v != "" {
				return v, true
			}
		case strings.HasPrefix(expr, "stageVariables."):
			v, ok := st.stage.Variables[strings.TrimPrefix(expr, "stageVariables.")]
			return v, ok
		case expr == "context.requestId":
			return reqID, true
		case expr == "context.identity.sourceIp":
			return clientIP(r), true
		case expr == "context.stage":
			return st.stage.Name, true
		}
		return "", false
	}
	pathVals, mappedQuery := map[string]string{}, url.Values{}
	for target, expr := range in.RequestParameters {
		v, ok := source(expr)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(target, "integration.request.path."):
			pathVals[strings.TrimPrefix(target, "integration.request.path.")] = v
		case strings.HasPrefix(target, "integration.request.querystring."):
			mappedQuery.Set(strings.TrimPrefix(target, "integration.request.querystring."), v)
		case strings.HasPrefix(target, "integration.request.header."):
			c.setHeader.Set(strings.TrimPrefix(target, "integration.request.header."), v)
		}
	}
	uri := in.URI
	if strings.Contains(uri, "${") {
		uri = stageVarRe.ReplaceAllStringFunc(uri, func(m string) string {
			return st.stage.Variables[m[len("${stageVariables."):len(m)-1]]
		})
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("the integration URI is not an absolute http(s) URL")
	}
	dots := false
	fill := func(name string) string {
		name = strings.TrimSuffix(name, "+")
		v, ok := pathVals[name]
		if !ok {
			v = vars[name]
		}
		dots = dots || hasDotSegment(v)
		return escapeSegments(strings.Split(v, "/"))
	}
	raw := u.EscapedPath()
	// The expressions are skipped when they cannot match: most URIs name
	// no variable, and the regexps were a measurable part of a request.
	if strings.IndexByte(raw, '{') >= 0 {
		raw = pathVarRe.ReplaceAllStringFunc(raw, func(m string) string { return fill(m[1 : len(m)-1]) })
	}
	// {name} in an escaped path is %7Bname%7D.
	if strings.Contains(raw, "%7") {
		raw = escapedVarRe.ReplaceAllStringFunc(raw, func(m string) string { return fill(m[3 : len(m)-3]) })
	}
	if dots {
		return nil, errDotSegment
	}
	c.url = &url.URL{Scheme: u.Scheme, Host: u.Host, RawPath: raw}
	c.url.Path, _ = url.PathUnescape(raw)
	// The URI's own query string, then the mapped parameters, replace the
	// caller's parameters of the same names: they are the owner's, and a
	// backend reading the first value would otherwise take the caller's.
	for k, vs := range u.Query() {
		query[k] = vs
	}
	for k, vs := range mappedQuery {
		query[k] = vs
	}
	c.url.RawQuery = query.Encode()
	if badHeaderValue(c.setHeader) {
		return nil, errBadHeaderValue
	}
	return c, nil
}

var (
	pathVarRe    = regexp.MustCompile(`\{[A-Za-z0-9._-]+\+?\}`)
	escapedVarRe = regexp.MustCompile(`%7[Bb][A-Za-z0-9._-]+\+?%7[Dd]`)
	stageVarRe   = regexp.MustCompile(`\$\{stageVariables\.[A-Za-z0-9_-]+\}`)
	mockStatusRe = regexp.MustCompile(`"statusCode"\s*:\s*"?(\d{3})`)
)

// serveMock answers a MOCK integration: the status its request template
// names (200 without one), then the integration response of that status
// (or the default one) with its static template body and 'quoted'
// header values. Templates are sent as written: certgate evaluates no
// Velocity.
func serveMock(w http.ResponseWriter, in *certgate.Integration) {
	status := 200
	if m := mockStatusRe.FindStringSubmatch(in.RequestTemplates["application/json"]); m != nil {
		status, _ = strconv.Atoi(m[1])
	}
	ir := selectResponse(in, strconv.Itoa(status))
	body := ""
	if ir != nil {
		status, _ = strconv.Atoi(ir.StatusCode)
		body = ir.ResponseTemplates["application/json"]
		setStaticHeaders(w.Header(), ir)
	}
	if status < 200 || status > 599 {
		status = 200 // an informational status is never a final answer
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// selectResponse is the integration response whose selectionPattern
// matches the status (AWS's regular expression, whole-string), else the
// default one (no pattern).
func selectResponse(in *certgate.Integration, status string) *certgate.IntegrationResponse {
	var def *certgate.IntegrationResponse
	for _, ir := range in.Responses {
		if ir.SelectionPattern == "" {
			if def == nil || ir.StatusCode < def.StatusCode {
				def = ir
			}
			continue
		}
		if re, err := regexp.Compile("^(?:" + ir.SelectionPattern + ")$"); err == nil && re.MatchString(status) {
			return ir
		}
	}
	return def
}

// setStaticHeaders sets an integration response's method.response.header.*
// parameters that are 'quoted' values.
func setStaticHeaders(h http.Header, ir *certgate.IntegrationResponse) {
	for k, v := range ir.ResponseParameters {
		name, ok := strings.CutPrefix(k, "method.response.header.")
		if ok && len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			h.Set(name, v[1:len(v)-1])
		}
	}
}

// mapIntegrationResponse maps a non-proxy HTTP integration's answer: the
// selected integration response sets the status and the static headers;
// the body passes as it came (no Velocity templates).
func mapIntegrationResponse(resp *http.Response, in *certgate.Integration) {
	ir := selectResponse(in, strconv.Itoa(resp.StatusCode))
	if ir == nil {
		return
	}
	if n, err := strconv.Atoi(ir.StatusCode); err == nil && n >= 200 && n <= 599 {
		resp.StatusCode = n
		resp.Status = strconv.Itoa(n) + " " + http.StatusText(n)
	}
	setStaticHeaders(resp.Header, ir)
}

// expandTemplate writes a backend path template with its variables
// filled (escaped as path segments). ok is false when a variable's value
// would make a "." or ".." segment.
func expandTemplate(segs []gwconfig.Segment, trailing bool, vals map[string]string) (path string, ok bool) {
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		switch {
		case s.Var != "":
			if hasDotSegment(vals[s.Var]) {
				return "", false
			}
			b.WriteString(escapeSegments(strings.Split(vals[s.Var], "/")))
		case len(s.Parts) > 0:
			var seg strings.Builder
			for _, p := range s.Parts {
				if p.Var != "" {
					seg.WriteString(url.PathEscape(vals[p.Var]))
				} else {
					seg.WriteString(p.Literal)
				}
			}
			if hasDotSegment(seg.String()) {
				return "", false // {a}{b} with "." and "."
			}
			b.WriteString(seg.String())
		default:
			b.WriteString(s.Literal)
		}
	}
	if trailing || len(segs) == 0 {
		b.WriteByte('/')
	}
	return b.String(), true
}

// escapeSegments joins path segments, each escaped.
func escapeSegments(segs []string) string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = url.PathEscape(s)
	}
	return strings.Join(out, "/")
}
