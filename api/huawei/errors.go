package huawei

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/accounts"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/auth/hwsign"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/gwconfig"
	"github.com/certgate/certgate/pki"
)

// wireError is an error already in Huawei's terms.
type wireError struct {
	status int
	code   string
	msg    string
}

func (e *wireError) Error() string { return e.code + ": " + e.msg }

// asClientError wraps a wireError so the shared plumbing sees a client
// error, not an internal one, while renderError still finds the code.
func asClientError(status int, code, msg string) error {
	c := certgate.EInvalid
	switch status {
	case http.StatusNotFound:
		c = certgate.ENotFound
	case http.StatusForbidden:
		c = certgate.EForbidden
	case http.StatusUnauthorized:
		c = certgate.EUnauthenticated
	}
	return &certgate.Error{Code: c, Message: msg, Err: &wireError{status: status, code: code, msg: msg}}
}

// invalidParam follows APIG's pattern for a bad parameter value.
func invalidParam(name string) string {
	return "Invalid parameter value,parameterName:" + name + ". Please refer to the support documentation"
}

// uploadCodes maps the reasons of certificate upload failures (package pki,
// via certs) to APIG's codes.
var uploadCodes = map[string]string{
	pki.ReasonUnparsable:     "APIG.2106",
	pki.ReasonUnsupportedKey: "APIG.2106",
	pki.ReasonChainOrder:     "APIG.2104",
	pki.ReasonEncryptedKey:   "APIG.2105",
	pki.ReasonKeyMismatch:    "APIG.2101",
	pki.ReasonExpired:        "APIG.2102",
	pki.ReasonTooLarge:       "APIG.2003",
}

// Codes certgate chose where Huawei documents none; see the README.
const (
	codeDuplicateName = "APIG.3405" // 409: a certificate of that name exists in the project
	codeWrongProject  = "APIG.1005" // 403: the path's project is not the caller's
	codeQuota         = "APIG.3100" // 403: resource count over limit
	codeNotFound      = "APIG.3021" // 404: the SSL certificate does not exist
	// 409: DeleteCertificateV2 of a certificate still bound to domains
	// (Huawei documents no code for it).
	codeCertificateBound = "APIG.3416"
	codeThrottled        = "APIGW.0308"
	codeNoRoute          = "APIG.0101"
	codeSystem           = "APIG.9999"
)

// renderError writes err as APIG does: {"error_code", "error_msg",
// "request_id"} and the X-Request-Id header. It is the dialect's single
// error table.
func renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := statusOf(w, err)
	id := api.RequestID(r.Context())
	writeJSON(w, status, map[string]string{"error_code": code, "error_msg": msg, "request_id": id})
}

func statusOf(w http.ResponseWriter, err error) (int, string, string) {
	var (
		se *hwsign.Error
		we *wireError
	)
	if errors.As(err, &se) {
		return se.Status, se.Code, se.Message
	}
	if errors.As(err, &we) {
		return we.status, we.code, we.msg
	}
	e := certgate.AsError(err)
	if e == nil {
		return http.StatusInternalServerError, codeSystem, "System error"
	}
	msg := detailOf(e)
	switch e.Code {
	case certgate.EInvalid:
		if e.Reason == "too_large" && e.Field == "" { // the whole body
			return http.StatusRequestEntityTooLarge, "APIG.2000", msg
		}
		if code, ok := uploadCodes[e.Reason]; ok {
			return http.StatusBadRequest, code, msg
		}
		switch e.Reason {
		case gwconfig.ReasonBadDomain:
			return http.StatusBadRequest, "APIG.2024", "Invalid URL domain name: " + msg
		case gwconfig.ReasonBadPort:
			return http.StatusBadRequest, "APIG.2025", "Invalid port number: " + msg
		case certgate.ReasonNotCovered:
			return http.StatusBadRequest, "APIG.2103", "The certificate domain name and the custom domain name do not match: " + msg
		case certgate.ReasonNoSAN:
			return http.StatusBadRequest, "APIG.2109", "Invalid certificate. SAN missing: " + msg
		case certgate.ReasonWrongInstance:
			return http.StatusBadRequest, "APIG.2012", invalidParam("certificate_ids") + ". " + msg
		case gwconfig.ReasonNoListener:
			return http.StatusBadRequest, "APIG.2049", "The port is not in the defined custom inbound ports: " + msg
		case gwconfig.ReasonClientSSLNeedsHTTPS:
			return http.StatusBadRequest, "APIG.3717", "Two-way TLS authentication not supported for HTTP or GRPC backend requests."
		case gwconfig.ReasonUndeclaredPathVar:
			return http.StatusBadRequest, "APIG.2026", "The path parameter {" + e.Value + "} is not defined in req_params"
		case gwconfig.ReasonUndeclaredBackendVar:
			return http.StatusBadRequest, "APIG.2027", "The backend path parameter {" + e.Value + "} is not defined in backend_params"
		case gwconfig.ReasonUnknownReqParam:
			return http.StatusBadRequest, "APIG.2028", "The backend parameter maps an undefined request parameter: " + e.Value
		case certs.ReasonMissing:
			return http.StatusBadRequest, "APIG.2001", "The request parameters must be specified,parameterName:" + e.Field + ". " + msg
		}
		if e.Field != "" {
			return http.StatusBadRequest, "APIG.2012", invalidParam(e.Field) + ". " + msg
		}
		return http.StatusBadRequest, "APIG.2000", "Parameter error: " + msg
	case certgate.ENotFound:
		switch e.Reason {
		case gwconfig.ReasonNoInstance:
			return http.StatusNotFound, "APIG.3030", "The instance does not exist"
		case gwconfig.ReasonNoGroup:
			if e.Value == "" {
				return http.StatusNotFound, "APIG.3001", "The API group does not exist"
			}
			return http.StatusNotFound, "APIG.3001", "API group " + e.Value + " does not exist"
		case gwconfig.ReasonNoDomain:
			if e.Value != "" {
				return http.StatusNotFound, "APIG.3020", "The URL domain does not exist: " + e.Value
			}
			return http.StatusNotFound, "APIG.3020", "The URL domain does not exist"
		case gwconfig.ReasonNoAPI:
			return http.StatusNotFound, "APIG.3002", "API " + e.Value + " does not exist"
		case gwconfig.ReasonNoEnvironment:
			return http.StatusNotFound, "APIG.3003", "Environment " + e.Value + " does not exist"
		case gwconfig.ReasonNoPublication:
			return http.StatusNotFound, "APIG.3015", "The API publication record does not exist"
		case gwconfig.ReasonNoBinding:
			return http.StatusNotFound, "APIG.3097", "The binding record of this SSL certificate and domain name does not exist: " + msg
		}
		return http.StatusNotFound, codeNotFound, "The SSL certificate does not exist"
	case certgate.EConflict:
		switch e.Reason {
		case gwconfig.ReasonDuplicateGroupName:
			return http.StatusBadRequest, "APIG.3201", "The API group name already exists: " + e.Value
		case gwconfig.ReasonDomainTaken:
			// Also when another tenant holds it: names are unique per
			// listener across the service, so this tells the caller the
			// name is taken.
			return http.StatusBadRequest, "APIG.3305", "The URL domain name already exists: " + e.Value
		case certgate.ReasonAlgorithmTaken:
			return http.StatusBadRequest, "APIG.2051", "A domain name cannot be bound with different certificates: " + msg
		case certs.ReasonBound:
			return http.StatusConflict, codeCertificateBound,
				fmt.Sprintf("The SSL certificate is bound to %d domain name(s); unbind it from them before deleting it", e.Got)
		case gwconfig.ReasonGroupHasAPIs:
			return http.StatusPreconditionFailed, "APIG.3415", "The API group cannot be deleted because it contains APIs"
		case gwconfig.ReasonDuplicateAPIName:
			return http.StatusBadRequest, "APIG.3202", "The API name already exists: " + e.Value
		case gwconfig.ReasonDuplicateAPIPath:
			return http.StatusBadRequest, "APIG.3301", "The API already exists: the group has an API of this method, path and match mode"
		case gwconfig.ReasonAPIPublished:
			return http.StatusConflict, "APIG.3416", "The API cannot be deleted because it has been published"
		case gwconfig.ReasonDuplicateEnvName:
			return http.StatusBadRequest, "APIG.3205", "The environment name already exists: " + e.Value
		case gwconfig.ReasonEnvironmentInUse:
			return http.StatusForbidden, "APIG.3418", "The environment contains published APIs."
		}
		return http.StatusConflict, codeDuplicateName, msg
	case certgate.ELimitExceeded:
		if e.Reason == gwconfig.ReasonTooManyEnvironments {
			return http.StatusForbidden, "APIG.3104", fmt.Sprintf("The number of environments exceeds the maximum allowed limit of %d", e.Limit)
		}
		if e.Reason == gwconfig.ReasonTooManyDomains {
			return http.StatusForbidden, "APIG.3108", fmt.Sprintf("The number of domain names exceeds the maximum allowed limit of %d for an API group", e.Limit)
		}
		return http.StatusForbidden, codeQuota, "Resource count over limit: " + msg
	case certgate.EThrottled:
		setRetryAfter(w, e)
		return http.StatusTooManyRequests, codeThrottled, "The throttling threshold has been reached: " + msg
	case certgate.EUnauthenticated:
		switch e.Reason {
		case api.ReasonKeyRevoked, certs.ReasonAccountDeleted:
			// As hwsign answers for an unknown key, a moment later.
			return http.StatusUnauthorized, "APIGW.0301", "Incorrect IAM authentication information: ak not exist"
		case accounts.ReasonTokenExpired:
			return http.StatusUnauthorized, "APIG.1001", msg
		case accounts.ReasonTokenInvalid:
			return http.StatusUnauthorized, "APIG.1002", msg
		}
		return http.StatusUnauthorized, "APIG.1000", msg
	case certgate.EForbidden:
		return http.StatusForbidden, codeWrongProject, msg
	case certgate.EUnavailable:
		// APIG documents no 503 code: the status and Retry-After say
		// "retry", and the code stays APIG's documented system error.
		setRetryAfter(w, e)
		return http.StatusServiceUnavailable, codeSystem, "Service unavailable; retry later"
	}
	return http.StatusInternalServerError, codeSystem, "System error"
}

// setRetryAfter sends e.RetryAfter in whole seconds, at least 1.
func setRetryAfter(w http.ResponseWriter, e *certgate.Error) {
	secs := int(e.RetryAfter.Seconds())
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error_code":"APIG.9999","error_msg":"System error"}`)
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
