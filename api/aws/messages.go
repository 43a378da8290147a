package aws

import (
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
)

// AWS's sentences for the core's errors, written from the Reason, the Field
// and the numbers, in API Gateway's words ("1 validation error detected…").
// Every certificate here is a client certificate.
const (
	badID      = "Invalid Client Certificate identifier specified: "
	tagCharset = "may contain only letters, digits, spaces and + - = . _ : / @"
)

// messageOf returns what an AWS client reads in the body's "message". An
// error whose Reason has no sentence here keeps its Message: the dialect's
// own errors, the shared body and JSON errors, pki's and the store's.
func messageOf(e *certgate.Error) string {
	if m, ok := restMessage(e); ok {
		return m
	}
	switch e.Reason {
	case certs.ReasonEmptyID:
		return badID + "the identifier is empty"
	case certs.ReasonBadID:
		return fmt.Sprintf(badID+"identifiers are at most %d characters", e.Limit)
	case certs.ReasonBadUTF8:
		// The shared body check gives this reason too, with no field.
		switch e.Field {
		case "id":
			return badID + "the identifier is not valid UTF-8"
		case "description":
			return "Invalid description: not valid UTF-8"
		}
	case certs.ReasonTooLong:
		return fmt.Sprintf("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d (got %d)", e.Field, e.Limit, e.Got)
	case certs.ReasonNULChar:
		return "Invalid description: NUL characters are not allowed"
	case certs.ReasonOutOfRange:
		return fmt.Sprintf("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value between 1 and %d", e.Got, e.Field, e.Limit)
	case certs.ReasonMissing:
		return fmt.Sprintf("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", e.Field)
	case certs.ReasonBadPosition:
		return "Invalid position: the token is malformed, or was not issued for this list"
	case certs.ReasonTooManyTags:
		return fmt.Sprintf("Too many tags: a resource can have at most %d tags (got %d)", e.Limit, e.Got)
	case certs.ReasonTagKeyEmpty:
		return fmt.Sprintf("Invalid tag key: tag keys must be 1 to %d characters long", e.Limit)
	case certs.ReasonTagKeyBadUTF8:
		return "Invalid tag key: not valid UTF-8"
	case certs.ReasonTagKeyTooLong:
		return fmt.Sprintf("Invalid tag key '%s': tag keys must be 1 to %d characters long", e.Value, e.Limit)
	case certs.ReasonTagKeyReserved:
		return fmt.Sprintf("Invalid tag key '%s': the prefix 'aws:' is reserved", e.Value)
	case certs.ReasonTagKeyChars:
		return fmt.Sprintf("Invalid tag key '%s': tag keys "+tagCharset, e.Value)
	case certs.ReasonTagValueBadUTF8:
		return "Invalid tag value: not valid UTF-8"
	case certs.ReasonTagValueTooLong:
		return fmt.Sprintf("Invalid tag value for key '%s': tag values must be at most %d characters long", e.Value, e.Limit)
	case certs.ReasonTagValueChars:
		return fmt.Sprintf("Invalid tag value for key '%s': tag values "+tagCharset, e.Value)
	case certs.ReasonClientQuota:
		return fmt.Sprintf("The maximum number of client certificates (%d) for this account in this region has been reached. Delete unused client certificates or raise the quota.", e.Limit)
	}
	return e.Message
}
