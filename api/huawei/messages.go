package huawei

import (
	"fmt"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
)

// detailOf returns Huawei's sentence for a core error, written from the
// Reason, the Field and the numbers; statusOf frames it in APIG's pattern
// for the code. An error whose Reason has no sentence here keeps its
// Message: the dialect's own errors, the shared body and JSON errors, pki's
// (already phrased for the upload's fields) and the store's.
func detailOf(e *certgate.Error) string {
	switch e.Reason {
	case certs.ReasonEmptyID:
		return "Invalid certificate identifier specified: the identifier is empty"
	case certs.ReasonBadID:
		return fmt.Sprintf("Invalid certificate identifier specified: identifiers are at most %d characters", e.Limit)
	case certs.ReasonBadUTF8:
		if e.Field == "id" { // the shared body check gives this reason too
			return "Invalid certificate identifier specified: the identifier is not valid UTF-8"
		}
	case certs.ReasonDuplicateName:
		return "The certificate name already exists: " + e.Value
	case certs.ReasonServerQuota:
		return fmt.Sprintf("The number of certificates has reached the limit of %d for this project", e.Limit)
	}
	return e.Message
}
