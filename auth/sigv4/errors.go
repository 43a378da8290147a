package sigv4

import (
	"errors"
	"net/http"
)

// ErrUnknownAccessKey is wrapped by a SecretLookup's error when the access key
// id does not exist.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// Error is an authentication failure, carrying AWS's error code, HTTP status
// and message. Messages never contain the signature or a secret.
type Error struct {
	Code    string // e.g. "InvalidSignatureException"
	Status  int
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

const (
	codeMissingToken  = "MissingAuthenticationTokenException"
	codeIncomplete    = "IncompleteSignatureException"
	codeInvalid       = "InvalidSignatureException"
	codeUnrecognized  = "UnrecognizedClientException"
	msgMissingToken   = "Missing Authentication Token"
	msgContentSHA     = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgUnrecognized   = "The security token included in the request is invalid."
	msgSignatureWrong = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

func incomplete(msg string) *Error {
	return &Error{Code: codeIncomplete, Status: http.StatusBadRequest, Message: msg}
}

func invalid(msg string) *Error {
	return &Error{Code: codeInvalid, Status: http.StatusForbidden, Message: msg}
}

// invalidRegion is AWS's answer to a credential scope naming a region the
// endpoint does not serve, InvalidSignatureException (403) with the text
// "Credential should be scoped to a valid region, not 'REGION'. ", trailing
// space included. The text is as AWS sends it in the reports of
// aws/aws-sdk-ruby#508, aws/aws-sdk-php#493, cognitect-labs/aws-api#27 and
// fsouza/s3-upload-proxy#241 (the last one as InvalidSignatureException).
// The region is clipped and quoted, so a long or odd one cannot fill the
// message.
func invalidRegion(region string) *Error {
	return invalid("Credential should be scoped to a valid region, not '" + clip(region) + "'. ")
}
