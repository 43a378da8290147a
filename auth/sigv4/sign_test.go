package sigv4

import (
	"net/http"
	"time"

	"github.com/certgate/certgate/internal/sign"
)

// Sign signs r as a client does, with this package's canonical form: the
// client side of its tests (see sign.SigV4).
func Sign(r *http.Request, body []byte, accessKeyID, secret, region, service string, now time.Time) error {
	return sign.SigV4(CanonicalRequest, r, body, accessKeyID, secret, region, service, now)
}
