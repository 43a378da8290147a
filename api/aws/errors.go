package aws

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
	"github.com/certgate/certgate/auth/sigv4"
	"github.com/certgate/certgate/certs"
)

// AWS error codes. Clients read the code from the x-amzn-ErrorType header
// (text before the first ':'), and the message from the body's "message".
const (
	codeBadRequest      = "BadRequestException"
	codeNotFound        = "NotFoundException"
	codeConflict        = "ConflictException"
	codeLimitExceeded   = "LimitExceededException"
	codeTooManyRequests = "TooManyRequestsException"
	codeAccessDenied    = "AccessDeniedException"
	// UnrecognizedClientException is what sigv4 answers for an unknown key.
	codeUnrecognizedClient = "UnrecognizedClientException"
	msgUnrecognizedClient  = "The security token included in the request is invalid."
	codeUnknownOperation   = "UnknownOperationException"
	codeMethodNotAllowed   = "MethodNotAllowedException"
	// InternalFailure is AWS's common error code; ServiceUnavailableException
	// is API Gateway's modeled 503, whose Retry-After header the SDKs read
	// (types.ServiceUnavailableException.RetryAfterSeconds).
	codeInternal    = "InternalFailure"
	codeUnavailable = "ServiceUnavailableException"
)

// notFoundMessage follows AWS's pattern for an unknown id. The same answer is
// given for another tenant's certificate, so existence never leaks.
const notFoundMessage = "Invalid Client Certificate identifier specified"

// apiError is an error already in AWS's terms (routing errors).
type apiError struct {
	status  int
	code    string
	message string
	allow   string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// renderError writes err as AWS does: a JSON body {"message": ...} with the
// x-amzn-ErrorType header. It is the dialect's single error table.
func renderError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := http.StatusInternalServerError, codeInternal, "Internal server error"
	var (
		se *sigv4.Error
		ae *apiError
	)
	switch {
	case errors.As(err, &se):
		status, code, msg = se.Status, se.Code, se.Message
	case errors.As(err, &ae):
		status, code, msg = ae.status, ae.code, ae.message
		if ae.allow != "" {
			w.Header().Set("Allow", ae.allow)
		}
	default:
		e := certgate.AsError(err)
		if e == nil {
			break
		}
		msg = messageOf(e)
		switch e.Code {
		case certgate.EInvalid:
			status, code = http.StatusBadRequest, codeBadRequest
			if e.Reason == "too_large" {
				// The SDKs pick the error type from the code, so a 413
				// still surfaces as a typed BadRequestException.
				status = http.StatusRequestEntityTooLarge
			}
		case certgate.ENotFound:
			// Only client certificates live in this dialect, so every
			// not-found is one; the store's own wording stays internal.
			status, code = http.StatusNotFound, codeNotFound
			if _, ok := restMessage(e); !ok {
				msg = notFoundMessage
			}
		case certgate.EConflict:
			status, code = http.StatusConflict, codeConflict
		case certgate.ELimitExceeded:
			status, code = http.StatusTooManyRequests, codeLimitExceeded
			setRetryAfter(w, e)
		case certgate.EThrottled:
			status, code = http.StatusTooManyRequests, codeTooManyRequests
			setRetryAfter(w, e)
		case certgate.EUnauthenticated:
			status, code = http.StatusForbidden, codeAccessDenied
			if e.Reason == api.ReasonKeyRevoked || e.Reason == certs.ReasonAccountDeleted {
				// The key (or its account) went after the signature was
				// checked: answer as for an unknown key a moment later.
				code, msg = codeUnrecognizedClient, msgUnrecognizedClient
			}
		case certgate.EForbidden:
			status, code = http.StatusForbidden, codeAccessDenied
		case certgate.EUnavailable:
			// The cause (a database, a master key) is for the operator's
			// log, not for the client.
			status, code, msg = http.StatusServiceUnavailable, codeUnavailable, "Service unavailable; retry later"
			setRetryAfter(w, e)
		default:
			status, code, msg = http.StatusInternalServerError, codeInternal, "Internal server error"
		}
		if c := restCode(e); c != "" {
			code = c
		}
	}
	w.Header().Set("x-amzn-ErrorType", code)
	writeJSON(w, status, "application/json", map[string]string{"message": msg})
}

func setRetryAfter(w http.ResponseWriter, e *certgate.Error) {
	secs := int(e.RetryAfter.Seconds())
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value written here is built from plain types; this cannot
		// happen, but a client must still get JSON.
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
