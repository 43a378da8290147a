package aws

import (
	"net/http"
	"strings"
	"time"

	"github.com/certgate/certgate"
)

// clientCertificate is the plain-JSON ClientCertificate shape. Timestamps are
// epoch seconds as JSON numbers: aws-sdk-go-v2 rejects ISO strings here.
type clientCertificate struct {
	ClientCertificateID   string            `json:"clientCertificateId"`
	Description           string            `json:"description,omitempty"`
	PEMEncodedCertificate string            `json:"pemEncodedCertificate"`
	CreatedDate           int64             `json:"createdDate"`
	ExpirationDate        int64             `json:"expirationDate"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

func toWire(c *certgate.Certificate) clientCertificate {
	return clientCertificate{
		ClientCertificateID:   c.ID,
		Description:           c.Description,
		PEMEncodedCertificate: c.CertificatePEM,
		CreatedDate:           c.CreatedAt.Unix(),
		ExpirationDate:        c.NotAfter.Unix(),
		Tags:                  c.Tags,
	}
}

// clientCertificates is the list shape. The member is "item" on the wire
// (the model's "items" has locationName "item"); the last page omits
// "position".
type clientCertificates struct {
	Position string              `json:"position,omitempty"`
	Item     []clientCertificate `json:"item"`
}

// HAL (application/hal+json) forms, as in the API Gateway REST reference's
// samples: _links with curies, ISO-8601 dates, and _embedded list items.

const (
	halType  = "application/hal+json"
	halCurie = "https://docs.aws.amazon.com/apigateway/latest/developerguide/restapi-clientcertificate-{rel}.html"
)

type halLink struct {
	Href      string `json:"href"`
	Name      string `json:"name,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

type halClientCertificate struct {
	Links                 map[string]any    `json:"_links"`
	ClientCertificateID   string            `json:"clientCertificateId"`
	Description           string            `json:"description,omitempty"`
	PEMEncodedCertificate string            `json:"pemEncodedCertificate"`
	CreatedDate           string            `json:"createdDate"`
	ExpirationDate        string            `json:"expirationDate"`
	Tags                  map[string]string `json:"tags,omitempty"`
}

func curies() halLink {
	return halLink{Href: halCurie, Name: "clientcertificate", Templated: true}
}

func toHAL(c *certgate.Certificate) halClientCertificate {
	self := halLink{Href: "/clientcertificates/" + c.ID}
	return halClientCertificate{
		Links: map[string]any{
			"curies":                   curies(),
			"self":                     self,
			"clientcertificate:delete": self,
			"clientcertificate:update": self,
		},
		ClientCertificateID:   c.ID,
		Description:           c.Description,
		PEMEncodedCertificate: c.CertificatePEM,
		CreatedDate:           c.CreatedAt.UTC().Format(time.RFC3339),
		ExpirationDate:        c.NotAfter.UTC().Format(time.RFC3339),
		Tags:                  c.Tags,
	}
}

type halList struct {
	Links    map[string]any `json:"_links"`
	Embedded map[string]any `json:"_embedded"`
	Position string         `json:"position,omitempty"`
}

func toHALList(items []*certgate.Certificate, position string, limit int) halList {
	links := map[string]any{
		"curies":                     curies(),
		"self":                       halLink{Href: "/clientcertificates"},
		"clientcertificate:generate": halLink{Href: "/clientcertificates"},
	}
	embedded := make([]halClientCertificate, 0, len(items))
	itemLinks := make([]halLink, 0, len(items))
	for _, c := range items {
		embedded = append(embedded, toHAL(c))
		itemLinks = append(itemLinks, halLink{Href: "/clientcertificates/" + c.ID})
	}
	links["item"] = itemLinks
	if position != "" {
		links["next"] = halLink{Href: "/clientcertificates?limit=" + itoa(limit) + "&position=" + position}
	}
	return halList{Links: links, Embedded: map[string]any{"item": embedded}, Position: position}
}

// wantsHAL reports whether the client asked for HAL. Both SDKs send
// Accept: application/json and must get plain JSON.
func wantsHAL(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(mt), halType) {
				return true
			}
		}
	}
	return false
}
