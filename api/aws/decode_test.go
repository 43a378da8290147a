package aws

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
)

var patchCases = []struct {
	body    string
	ok      bool
	desc    *string
	message string
}{
	{`{"patchOperations": [{"op": "replace", "path": "/description", "value": "x"}]}`, true, ptr("x"), ""},
	{`{"patchOperations":[{"op":"replace","path":"/description"}]}`, true, ptr(""), ""},
	{`{"patchOperations": []}`, true, nil, ""},
	{``, true, nil, ""},
	{`null`, true, nil, ""},
	{`{"patchOperations": [{"op": "replace", "path": "/description", "value": "a"}, {"op": "replace", "path": "/description", "value": "b"}]}`, true, ptr("b"), ""},
	{`{"patchOperations": [{"op": "add", "path": "/description", "value": "x"}]}`, false, nil, "Invalid patch operation specified. Must be one of: [replace]"},
	{`{"patchOperations": [{"op": "remove", "path": "/description"}]}`, false, nil, "Invalid patch operation specified. Must be one of: [replace]"},
	{`{"patchOperations": [{"op": "replace", "path": "/name", "value": "x"}]}`, false, nil, "Invalid patch path  '/name' specified for op 'replace'. Must be one of: [/description]"},
	{`{"patchOperations": [{"op": "replace", "value": "x"}]}`, false, nil, "Invalid patch path  '' specified for op 'replace'"},
	{`{"patchOperations": [{"op": "bogus", "path": "/description"}]}`, false, nil, "Member must satisfy enum value set"},
	{`{"patchOperations": [{"path": "/description"}]}`, false, nil, "Invalid patch operation specified"},
	{`{"patchOperations": [{"op": 1}]}`, false, nil, "must be a string"},
	{`{"patchOperations": "x"}`, false, nil, "must be an array"},
	{`{"patchOperations": [`, false, nil, "malformed JSON"},
	{`[1]`, false, nil, "must be a JSON object"},
	{`{} x`, false, nil, "unexpected data"},
}

func ptr(s string) *string { return &s }

func TestParsePatch(t *testing.T) {
	for _, tc := range patchCases {
		got, err := parsePatch([]byte(tc.body))
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.body, err)
				continue
			}
			if (got.Description == nil) != (tc.desc == nil) || (got.Description != nil && *got.Description != *tc.desc) {
				t.Errorf("%s: description %v, want %v", tc.body, got.Description, tc.desc)
			}
			continue
		}
		if certgate.ErrorCode(err) != certgate.EInvalid || !strings.Contains(certgate.ErrorMessage(err), tc.message) {
			t.Errorf("%s: error %v, want EInvalid containing %q", tc.body, err, tc.message)
		}
	}
	many := `{"patchOperations": [` + strings.Repeat(`{"op":"replace","path":"/description","value":"x"},`, 100) + `{"op":"replace","path":"/description"}]}`
	if _, err := parsePatch([]byte(many)); certgate.ErrorCode(err) != certgate.EInvalid {
		t.Errorf("101 operations: %v", err)
	}
}

// FuzzParsePatch checks that any body gives a result or an EInvalid error,
// never a panic or an internal error.
func FuzzParsePatch(f *testing.F) {
	for _, tc := range patchCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := parsePatch(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			if !utf8.ValidString(certgate.ErrorMessage(err)) && utf8.Valid(body) {
				t.Fatalf("message is not UTF-8: %q", certgate.ErrorMessage(err))
			}
			return
		}
		if got.Description != nil && len(*got.Description) > len(body) {
			t.Fatalf("description longer than the body")
		}
	})
}

var arnCases = []struct {
	arn, region, id string
	ok              bool
}{
	{"arn:aws:apigateway:us-east-1::/clientcertificates/abc123", "us-east-1", "abc123", true},
	{"arn:aws-cn:apigateway:cn-north-1::/clientcertificates/x", "cn-north-1", "x", true},
	{"arn:aws:apigateway:us-east-1::/clientcertificates/", "", "", false},
	{"arn:aws:apigateway:us-east-1::/clientcertificates/a/b", "", "", false},
	{"arn:aws:apigateway:us-east-1::/restapis/abc", "", "", false},
	{"arn:aws:apigateway:us-east-1:123456789012:/clientcertificates/abc", "", "", false},
	{"arn:aws:s3:::bucket", "", "", false},
	{"arn:aws:apigateway:::/clientcertificates/abc", "", "", false},
	{"arn:foo:apigateway:us-east-1::/clientcertificates/abc", "", "", false},
	{"", "", "", false},
	{"arn:nope", "", "", false},
}

func TestParseARN(t *testing.T) {
	for _, tc := range arnCases {
		region, id, err := parseARN(tc.arn)
		if tc.ok != (err == nil) || region != tc.region || id != tc.id {
			t.Errorf("%q: (%q, %q, %v)", tc.arn, region, id, err)
		}
		if err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Errorf("%q: %v is not EInvalid", tc.arn, err)
		}
	}
}

func FuzzParseARN(f *testing.F) {
	for _, tc := range arnCases {
		f.Add(tc.arn)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		region, id, err := parseARN(arn)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		if want := "::/clientcertificates/" + id; !strings.HasSuffix(arn, want) || region == "" || id == "" {
			t.Fatalf("%q parsed as (%q, %q)", arn, region, id)
		}
	})
}

func TestWantsHAL(t *testing.T) {
	for accept, want := range map[string]bool{
		"application/json":                       false,
		"":                                       false,
		"application/hal+json":                   true,
		"application/json, application/hal+json": true,
		"Application/HAL+JSON; q=0.9":            true,
		"application/hal+jsonx":                  false,
	} {
		r := newRequest(accept)
		if got := wantsHAL(r); got != want {
			t.Errorf("Accept %q: %v", accept, got)
		}
	}
}

func TestQueryKeepsPlus(t *testing.T) {
	r := newRequest("")
	r.URL.RawQuery = "tagKeys=a+b&tagKeys=c%20d&tagKeys=e%2Bf&limit=5&bare&bad=%zz"
	q := api.Query(r)
	if got := strings.Join(q["tagKeys"], "|"); got != "a+b|c d|e+f" {
		t.Errorf("tagKeys %q", got)
	}
	if q.Get("limit") != "5" || !q.Has("bare") || q.Has("bad") {
		t.Errorf("query %v", q)
	}
}

// FuzzQuery checks the raw query parser never panics, and that each pair it
// returns round-trips: re-encoding it and parsing again gives the same pair.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"tagKeys=a+b&tagKeys=c%20d", "limit=5&position=abc", "&&=&", "%zz", "a=%2", "a%26b=c%3Dd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r := newRequest("")
		r.URL.RawQuery = raw
		for k, vs := range api.Query(r) {
			for _, v := range vs {
				again := newRequest("")
				again.URL.RawQuery = queryEscape(k) + "=" + queryEscape(v)
				got := api.Query(again)
				if len(got[k]) != 1 || got[k][0] != v {
					t.Fatalf("(%q, %q) from %q does not round-trip: %v", k, v, raw, got)
				}
			}
		}
	})
}

func FuzzDecodeGenerate(f *testing.F) {
	for _, s := range []string{`{"description":"x","tags":{"a":"b"}}`, `{}`, ``, `null`, `{"tags":null}`, `{"description":1}`, `[`, "{\"description\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req generateRequest
		if err := api.DecodeJSON(body, &req); err != nil && certgate.ErrorCode(err) != certgate.EInvalid {
			t.Fatalf("non-EInvalid error %v", err)
		}
	})
}

// queryEscape encodes as AWS clients do: RFC 3986, space as %20.
func queryEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
