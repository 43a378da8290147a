package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"reflect"
	"strings"
	"testing"
)

var subjectTests = []struct {
	in   string
	want pkix.Name
	err  string // substring of the error; "" means success
}{
	{in: "C=US, L=Seattle, CN=ApiGateway", want: DefaultSubject()},
	{in: "/C=US/L=Seattle/CN=ApiGateway", want: DefaultSubject()},
	{in: "c=us,l=Seattle,cn=ApiGateway", want: DefaultSubject()},
	{in: "  CN = ApiGateway , L = Seattle ,C=US  ", want: DefaultSubject()},
	{in: "/C=US/L=Seattle/CN=ApiGateway/", want: DefaultSubject()},
	{in: "CN=example.com", want: pkix.Name{CommonName: "example.com"}},
	{in: "O=Example", want: pkix.Name{Organization: []string{"Example"}}},
	{in: "C=DE, ST=Berlin, L=Berlin, O=Acme, OU=Ops, OU=Dev, CN=x", want: pkix.Name{
		Country: []string{"DE"}, Province: []string{"Berlin"}, Locality: []string{"Berlin"},
		Organization: []string{"Acme"}, OrganizationalUnit: []string{"Ops", "Dev"}, CommonName: "x"}},
	{in: `O=Acme\, Inc., CN=a\=b`, want: pkix.Name{Organization: []string{"Acme, Inc."}, CommonName: "a=b"}},
	{in: "/O=Acme, Inc./CN=x", want: pkix.Name{Organization: []string{"Acme, Inc."}, CommonName: "x"}},
	{in: "O=a/b, CN=c=d", want: pkix.Name{Organization: []string{"a/b"}, CommonName: "c=d"}},
	{in: "CN=Zürich Gateway", want: pkix.Name{CommonName: "Zürich Gateway"}},

	{in: "", err: "empty"},
	{in: "   ", err: "empty"},
	{in: "/", err: "no attributes"},
	{in: "CN", err: "no '='"},
	{in: "CN=", err: "empty value"},
	{in: "CN=a,,O=b", err: "attribute 2 is empty"},
	{in: "CN=a,", err: "empty"},
	{in: "X=1", err: "unknown key"},
	{in: "E=me@example.com", err: "unknown key"},
	{in: "CN=a, CN=b", err: "more than once"},
	{in: "C=USA", err: "two-letter"},
	{in: "C=U1", err: "two-letter"},
	{in: "CN=" + strings.Repeat("a", 65), err: "at most 64"},
	{in: "CN=a\x00b", err: "control"},
	{in: "CN=a\\", err: "dangling backslash"},
	{in: "CN=\xff", err: "UTF-8"},
}

func TestParseSubject(t *testing.T) {
	for _, tt := range subjectTests {
		got, err := ParseSubject(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSubject(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSubject(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSubject(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}

func TestDefaultSubjectString(t *testing.T) {
	// pkix.Name.String prints RFC 2253 order (reversed).
	if got, want := DefaultSubject().String(), "CN=ApiGateway,L=Seattle,C=US"; got != want {
		t.Errorf("DefaultSubject() = %s; want %s", got, want)
	}
}

func FuzzParseSubject(f *testing.F) {
	for _, tt := range subjectTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSubject(s)
		if err != nil {
			return
		}
		// Anything accepted must be encodable in a certificate.
		if _, err := asn1.Marshal(n.ToRDNSequence()); err != nil {
			t.Fatalf("ParseSubject(%q) accepted %+v, which does not encode: %v", s, n, err)
		}
		if isEmptyName(n) {
			t.Fatalf("ParseSubject(%q) accepted an empty name", s)
		}
	})
}
