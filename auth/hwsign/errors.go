package hwsign

import (
	"errors"
	"net/http"
)

// ErrUnknownAccessKey is wrapped by a SecretLookup's error when the access key
// id does not exist.
var ErrUnknownAccessKey = errors.New("hwsign: unknown access key")

// Error is an authentication failure, carrying the HTTP status and Huawei's
// error_code and error_msg. Messages never contain the signature, a secret or
// a whole header.
type Error struct {
	Status  int
	Code    string // e.g. "APIGW.0301"
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

const (
	codeAuth  = "APIGW.0301"
	msgPrefix = "Incorrect IAM authentication information: "

	// Real gateway texts (spec "Error codes"; Huawei's APIG FAQ).
	msgSignatureWrong = msgPrefix + "verify aksk signature fail"
	// The gateway's text when X-Sdk-Date is outside the allowed skew, in
	// either direction (Huawei SIS FAQ "calc ak sk signature fail:signature
	// expired", sis_04_0087). The gateway uses one text for past and future.
	msgExpired = msgPrefix + "calc ak sk signature fail:signature expired"

	// The texts below are certgate's own: Huawei documents none for these
	// cases, so they keep the gateway's prefix and say what is wrong.
	msgNoAuthorization   = msgPrefix + "Authorization header not found"
	msgManyAuthorization = msgPrefix + "Authorization header is malformed: only one Authorization header is allowed"
	msgMalformed         = msgPrefix + "Authorization header is malformed"
	msgDateMissing       = msgPrefix + "x-sdk-date not found"
	msgDateFormat        = msgPrefix + "x-sdk-date is not in the format yyyyMMddTHHmmssZ"
	msgTokenUnsigned     = msgPrefix + "x-security-token must be a signed header"
	msgProjectUnsigned   = msgPrefix + "x-project-id must be a signed header"
	msgContentSHA        = msgPrefix + "x-sdk-content-sha256 must be UNSIGNED-PAYLOAD or the hex SHA-256 of the body"
	msgQueryEncoding     = msgPrefix + "query string has an invalid percent-encoding"
)

func authError(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: codeAuth, Message: msg}
}

// malformed reports a problem with the Authorization header or the headers
// it names; detail must not repeat client input except through sane().
func malformed(detail string) *Error {
	return authError(msgMalformed + ": " + detail)
}

// unknownKey echoes the access key as the gateway does ("ak <AK> not exist"),
// but only when it is short and alphanumeric, so that a message can never
// carry arbitrary client bytes (or a secret pasted into the wrong field).
func unknownKey(ak string) *Error {
	if !saneAccessKey(ak) {
		return authError(msgPrefix + "ak not exist")
	}
	return authError(msgPrefix + "ak " + ak + " not exist")
}

func saneAccessKey(ak string) bool {
	if ak == "" || len(ak) > 40 {
		return false
	}
	for i := 0; i < len(ak); i++ {
		c := ak[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// saneName returns a header name for use in a message, or "" when it is not
// a short token (then the caller leaves it out).
func saneName(name string) string {
	if name == "" || len(name) > 64 || !isToken(name) {
		return ""
	}
	return name
}
