package hwsign

import (
	"net/http"
	"time"

	"github.com/certgate/certgate/internal/sign"
)

// Sign signs r like the Huawei Go SDK, with this package's canonical form:
// the client side of its tests (see sign.Huawei).
func Sign(r *http.Request, body []byte, accessKeyID, secret string, signedHeaders []string, now time.Time) error {
	return sign.Huawei(CanonicalRequest, r, body, accessKeyID, secret, signedHeaders, now)
}
