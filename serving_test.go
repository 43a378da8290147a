package certgate_test

import (
	"testing"

	"github.com/certgate/certgate"
)

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		sans   []string
		domain string
		want   bool
	}{
		{[]string{"api.example.com"}, "api.example.com", true},
		{[]string{"API.Example.com."}, "api.example.com", true},
		{[]string{"*.example.com"}, "api.example.com", true},
		{[]string{"*.example.com"}, "example.com", false},
		{[]string{"*.example.com"}, "a.b.example.com", false},
		{[]string{"*.example.com"}, "*.example.com", true},
		{[]string{"api.example.com"}, "*.example.com", false},
		{[]string{"*.api.example.com"}, "api.example.com", false},
		{[]string{"*.com"}, "example.com", false}, // a wildcard over a TLD covers nothing
		{[]string{"10.0.0.1", "other.test"}, "api.example.com", false},
		{nil, "api.example.com", false},
		{[]string{""}, "", false},
	} {
		if got := certgate.Covers(tc.sans, tc.domain); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tc.sans, tc.domain, got, tc.want)
		}
	}
}

func TestCheckServing(t *testing.T) {
	d := &certgate.Domain{ID: "d", InstanceID: "i1", Name: "api.example.com"}
	rsa := &certgate.Certificate{ID: "rsa", SANs: []string{"api.example.com"}, KeyAlgorithm: "RSA", TrustedRootCA: "pem"}
	ecc := &certgate.Certificate{ID: "ecc", SANs: []string{"*.example.com"}, KeyAlgorithm: "ECC"}
	rsa2 := &certgate.Certificate{ID: "rsa2", SANs: []string{"api.example.com"}, KeyAlgorithm: "RSA"}
	ipOnly := &certgate.Certificate{ID: "ip", SANs: []string{"10.0.0.1", "2001:db8::1"}, KeyAlgorithm: "RSA"}
	other := &certgate.Certificate{ID: "other", SANs: []string{"other.test"}, KeyAlgorithm: "RSA"}
	elsewhere := &certgate.Certificate{ID: "inst", SANs: []string{"api.example.com"}, KeyAlgorithm: "RSA", InstanceID: "i2"}
	own := &certgate.Certificate{ID: "own", SANs: []string{"api.example.com"}, KeyAlgorithm: "RSA", InstanceID: "i1"}
	verifying := *d
	verifying.VerifyClients = true
	for _, tc := range []struct {
		what   string
		d      *certgate.Domain
		certs  []*certgate.Certificate
		reason string
	}{
		{"RSA and ECC", d, []*certgate.Certificate{rsa, ecc}, ""},
		{"none", d, nil, ""},
		{"two RSA", d, []*certgate.Certificate{rsa, rsa2}, certgate.ReasonAlgorithmTaken},
		{"IP SANs only", d, []*certgate.Certificate{ipOnly}, certgate.ReasonNoSAN},
		{"another name", d, []*certgate.Certificate{other}, certgate.ReasonNotCovered},
		{"another instance's certificate", d, []*certgate.Certificate{elsewhere}, certgate.ReasonWrongInstance},
		{"its own instance's certificate", d, []*certgate.Certificate{own}, ""},
		{"verifying with a CA", &verifying, []*certgate.Certificate{ecc, rsa}, ""},
		{"verifying without a CA", &verifying, []*certgate.Certificate{ecc}, certgate.ReasonNoTrustedCA},
		{"verifying with nothing bound", &verifying, nil, certgate.ReasonNoTrustedCA},
	} {
		err := certgate.CheckServing(tc.d, tc.certs)
		got := ""
		if e := certgate.AsError(err); e != nil {
			got = e.Reason
			if e.Value != "api.example.com" {
				t.Errorf("%s: the error does not name the domain: %+v", tc.what, e)
			}
		} else if err != nil {
			t.Errorf("%s: untyped error %v", tc.what, err)
		}
		if got != tc.reason {
			t.Errorf("%s: CheckServing = %v; want reason %q", tc.what, err, tc.reason)
		}
	}
}
