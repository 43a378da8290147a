package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/certgate/certgate"
)

// DecodeJSON decodes a request body into v. An empty body (AWS's Go SDK sends
// none when every member is empty) and a JSON null both decode as {}.
// Malformed JSON, wrong types and trailing data give EInvalid with Reason
// "bad_json" and a message naming the field.
func DecodeJSON(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil
	}
	if trimmed[0] != '{' {
		return badJSON("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "(root)"
			}
			return badJSON(fmt.Sprintf("field '%s' must be %s, not %s", field, jsonKind(te.Type.Kind().String()), te.Value))
		}
		return badJSON("malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badJSON("unexpected data after the JSON object")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "ptr", "interface":
		return "a value of another type"
	default:
		return "a number"
	}
}

func badJSON(detail string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_json",
		Message: "Could not parse request body into json: " + detail}
}

// Query parses the raw query the way SigV4 canonicalises it: a raw '+' is a
// literal plus, not a space (url.ParseQuery would read it as a space, so a
// handler could act on a value other than the one that was signed). A bare
// key gives an empty value. Pairs that do not decode are dropped; they could
// not have been signed either.
//
// It is for SigV4 dialects only. SDK-HMAC-SHA256 (auth/hwsign) canonicalises
// the query as url.ParseQuery reads it, '+' as a space, so a Huawei handler
// reads r.URL.Query() instead.
func Query(r *http.Request) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		dk, err1 := url.PathUnescape(k)
		dv, err2 := url.PathUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		out[dk] = append(out[dk], dv)
	}
	return out
}
