package aws

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
)

// patchOp is one decoded, checked patch operation of the REST API
// operations: Op is add, remove, replace, move, copy or test, Path is
// split into its JSON-pointer segments with ~1 and ~0 unescaped, and
// Value is the string AWS carries every value as ("" when absent, with
// HasValue false).
type patchOp struct {
	Op       string
	Raw      string // the path as sent, for messages
	Segments []string
	Value    string
	HasValue bool
	From     string
}

// decodePatchOps decodes an Update* body into checked operations.
func decodePatchOps(body []byte) ([]patchOp, error) {
	var req updateRequest
	if err := api.DecodeJSON(body, &req); err != nil {
		return nil, err
	}
	if len(req.PatchOperations) > maxPatchOperations {
		return nil, &certgate.Error{Code: certgate.EInvalid, Field: "patchOperations",
			Message: fmt.Sprintf("Too many patch operations: at most %d are allowed", maxPatchOperations)}
	}
	out := make([]patchOp, 0, len(req.PatchOperations))
	for _, p := range req.PatchOperations {
		op := ""
		if p.Op != nil {
			op = *p.Op
		}
		if !validOps[op] {
			return nil, badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
		}
		path := ""
		if p.Path != nil {
			path = *p.Path
		}
		segs, ok := splitPatchPath(path)
		if !ok {
			return nil, badRequest(fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'", certgate.Clip(path), op))
		}
		o := patchOp{Op: op, Raw: path, Segments: segs}
		if p.Value != nil {
			o.Value, o.HasValue = *p.Value, true
		}
		if p.From != nil {
			o.From = *p.From
		}
		out = append(out, o)
	}
	return out, nil
}

// splitPatchPath splits a JSON pointer ("/a/b~1c") into its unescaped
// segments ("a", "b/c"). It must start with "/"; "~" must be followed by 0
// or 1.
func splitPatchPath(p string) ([]string, bool) {
	if !strings.HasPrefix(p, "/") || len(p) > 2048 {
		return nil, false
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		var b strings.Builder
		for j := 0; j < len(s); j++ {
			if s[j] != '~' {
				b.WriteByte(s[j])
				continue
			}
			if j+1 == len(s) || (s[j+1] != '0' && s[j+1] != '1') {
				return nil, false
			}
			if s[j+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			j++
		}
		parts[i] = b.String()
	}
	return parts, true
}

func badRequest(msg string) error {
	return &certgate.Error{Code: certgate.EInvalid, Reason: "bad_patch", Message: msg}
}

// badPath is AWS's message for a path an operation does not take (two
// spaces after "path", as AWS writes it).
func badPath(o patchOp, valid string) error {
	return badRequest(fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Must be one of: [%s]", certgate.Clip(o.Raw), o.Op, valid))
}

// badOp is AWS's message for a path given with an op it does not take.
func badOp(o patchOp) error {
	return badRequest(fmt.Sprintf("Invalid patch path  '%s' specified for op '%s'. Please choose supported operations", certgate.Clip(o.Raw), o.Op))
}

func patchBool(o patchOp) (bool, error) {
	switch o.Value {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badRequest(fmt.Sprintf("Invalid value '%s' specified for '%s'. Must be 'true' or 'false'", certgate.Clip(o.Value), certgate.Clip(o.Raw)))
}

func patchInt(o patchOp) (int, error) {
	n, err := strconv.Atoi(o.Value)
	if err != nil {
		return 0, badRequest(fmt.Sprintf("Invalid value '%s' specified for '%s'. Must be an integer", certgate.Clip(o.Value), certgate.Clip(o.Raw)))
	}
	return n, nil
}

// patchMap applies add/replace/remove of one key of a string map.
func patchMap(m *map[string]string, o patchOp, key string) error {
	switch o.Op {
	case "add", "replace":
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[key] = o.Value
	case "remove":
		delete(*m, key)
	default:
		return badOp(o)
	}
	return nil
}

// patchBoolMap sets or removes one key of a map of flags (a method's
// request parameters, a method response's response parameters); an empty
// value is false.
func patchBoolMap(m *map[string]bool, o patchOp, key string) error {
	switch o.Op {
	case "add", "replace":
		v := false
		if o.Value != "" {
			var err error
			if v, err = patchBool(o); err != nil {
				return err
			}
		}
		if *m == nil {
			*m = map[string]bool{}
		}
		(*m)[key] = v
	case "remove":
		delete(*m, key)
	default:
		return badOp(o)
	}
	return nil
}

// patchList adds or removes one value of a string list.
func patchList(l *[]string, o patchOp, v string) error {
	switch o.Op {
	case "add":
		for _, x := range *l {
			if x == v {
				return nil
			}
		}
		*l = append(*l, v)
	case "remove":
		out := (*l)[:0]
		for _, x := range *l {
			if x != v {
				out = append(out, x)
			}
		}
		*l = out
	default:
		return badOp(o)
	}
	return nil
}

const restAPIPaths = "/name, /description, /apiKeySource, /policy, /disableExecuteApiEndpoint, /minimumCompressionSize, /endpointConfiguration/types/0, /endpointConfiguration/vpcEndpointIds, /endpointConfiguration/ipAddressType, /binaryMediaTypes/{type}"

// applyRestAPIPatch applies UpdateRestApi's operations (the paths
// Terraform sends).
func applyRestAPIPatch(a *certgate.RestAPI, ops []patchOp) error {
	for _, o := range ops {
		if o.Op != "add" && o.Op != "remove" && o.Op != "replace" {
			return badRequest("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
		}
		s := o.Segments
		if len(s) >= 2 && s[0] == "binaryMediaTypes" {
			if err := patchList(&a.BinaryMediaTypes, o, strings.Join(s[1:], "/")); err != nil {
				return err
			}
			continue
		}
		if len(s) == 2 && s[0] == "endpointConfiguration" && s[1] == "vpcEndpointIds" {
			if o.Op == "replace" {
				return badOp(o)
			}
			for _, v := range strings.Split(o.Value, ",") {
				if v = strings.TrimSpace(v); v != "" {
					if err := patchList(&a.VPCEndpointIDs, o, v); err != nil {
						return err
					}
				}
			}
			continue
		}
		var err error
		switch o.Raw {
		case "/name", "/description", "/apiKeySource", "/policy", "/endpointConfiguration/types/0", "/endpointConfiguration/ipAddressType":
			if o.Op != "replace" {
				return badOp(o)
			}
			switch o.Raw {
			case "/name":
				a.Name = o.Value
			case "/description":
				a.Description = o.Value
			case "/apiKeySource":
				a.APIKeySource = o.Value
			case "/policy":
				a.Policy = o.Value
			case "/endpointConfiguration/types/0":
				a.EndpointTypes = []string{o.Value}
			case "/endpointConfiguration/ipAddressType":
				a.IPAddressType = o.Value
			}
		case "/disableExecuteApiEndpoint":
			if o.Op != "replace" {
				return badOp(o)
			}
			a.DisableExecuteAPIEndpoint, err = patchBool(o)
		case "/minimumCompressionSize":
			if o.Op != "replace" {
				return badOp(o)
			}
			// Terraform sends a null value for -1 (compression off).
			if !o.HasValue || o.Value == "" {
				a.MinimumCompressionSize = nil
				break
			}
			var n int
			if n, err = patchInt(o); err == nil {
				a.MinimumCompressionSize = &n
			}
		default:
			return badPath(o, restAPIPaths)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// resourcePatch is what UpdateResource's operations ask for.
func resourcePatch(ops []patchOp) (parentID, pathPart *string, err error) {
	for _, o := range ops {
		if o.Raw != "/parentId" && o.Raw != "/pathPart" {
			return nil, nil, badPath(o, "/parentId, /pathPart")
		}
		if o.Op != "replace" {
			return nil, nil, badOp(o)
		}
		v := o.Value
		if o.Raw == "/parentId" {
			parentID = &v
		} else {
			pathPart = &v
		}
	}
	return parentID, pathPart, nil
}

const methodPaths = "/authorizationType, /authorizerId, /apiKeyRequired, /operationName, /requestValidatorId, /requestParameters/{name}, /requestModels/{type}, /authorizationScopes"

func applyMethodPatch(m *certgate.Method, ops []patchOp) error {
	for _, o := range ops {
		s := o.Segments
		var err error
		switch {
		case len(s) >= 2 && s[0] == "requestParameters":
			err = patchBoolMap(&m.RequestParameters, o, strings.Join(s[1:], "/"))
		case len(s) >= 2 && s[0] == "requestModels":
			err = patchMap(&m.RequestModels, o, strings.Join(s[1:], "/"))
		case o.Raw == "/authorizationScopes":
			err = patchList(&m.AuthorizationScopes, o, o.Value)
		case o.Raw == "/authorizationType" || o.Raw == "/authorizerId" || o.Raw == "/apiKeyRequired" ||
			o.Raw == "/operationName" || o.Raw == "/requestValidatorId":
			if o.Op != "replace" {
				return badOp(o)
			}
			switch o.Raw {
			case "/authorizationType":
				m.AuthorizationType = o.Value
			case "/authorizerId":
				m.AuthorizerID = o.Value
			case "/apiKeyRequired":
				m.APIKeyRequired, err = patchBool(o)
			case "/operationName":
				m.OperationName = o.Value
			case "/requestValidatorId":
				m.RequestValidatorID = o.Value
			}
		default:
			return badPath(o, methodPaths)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

const integrationPaths = "/type, /httpMethod, /uri, /connectionType, /connectionId, /credentials, /passthroughBehavior, /cacheNamespace, /contentHandling, /timeoutInMillis, /tlsConfig/insecureSkipVerification, /requestParameters/{name}, /requestTemplates/{type}, /cacheKeyParameters/{name}"

func applyIntegrationPatch(in *certgate.Integration, ops []patchOp) error {
	for _, o := range ops {
		s := o.Segments
		var err error
		switch {
		case len(s) >= 2 && s[0] == "requestParameters":
			err = patchMap(&in.RequestParameters, o, strings.Join(s[1:], "/"))
		case len(s) >= 2 && s[0] == "requestTemplates":
			err = patchMap(&in.RequestTemplates, o, strings.Join(s[1:], "/"))
		case len(s) >= 2 && s[0] == "cacheKeyParameters":
			err = patchList(&in.CacheKeyParameters, o, strings.Join(s[1:], "/"))
		case o.Raw == "/tlsConfig/insecureSkipVerification":
			if o.Op != "replace" {
				return badOp(o)
			}
			var v bool
			if v, err = patchBool(o); err == nil {
				in.TLSConfig = &certgate.TLSConfig{InsecureSkipVerification: v}
			}
		case o.Raw == "/timeoutInMillis":
			if o.Op != "replace" {
				return badOp(o)
			}
			in.TimeoutInMillis, err = patchInt(o)
		case len(s) == 1 && strings.Contains(" type httpMethod uri connectionType connectionId credentials passthroughBehavior cacheNamespace contentHandling ", " "+s[0]+" "):
			if o.Op != "replace" {
				return badOp(o)
			}
			*integrationField(in, s[0]) = o.Value
		default:
			return badPath(o, integrationPaths)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func integrationField(in *certgate.Integration, name string) *string {
	switch name {
	case "type":
		return &in.Type
	case "httpMethod":
		return &in.HTTPMethod
	case "uri":
		return &in.URI
	case "connectionType":
		return &in.ConnectionType
	case "connectionId":
		return &in.ConnectionID
	case "credentials":
		return &in.Credentials
	case "passthroughBehavior":
		return &in.PassthroughBehavior
	case "cacheNamespace":
		return &in.CacheNamespace
	}
	return &in.ContentHandling
}

func applyMethodResponsePatch(r *certgate.MethodResponse, ops []patchOp) error {
	for _, o := range ops {
		s := o.Segments
		var err error
		switch {
		case len(s) >= 2 && s[0] == "responseParameters":
			err = patchBoolMap(&r.ResponseParameters, o, strings.Join(s[1:], "/"))
		case len(s) >= 2 && s[0] == "responseModels":
			err = patchMap(&r.ResponseModels, o, strings.Join(s[1:], "/"))
		default:
			return badPath(o, "/responseParameters/{name}, /responseModels/{type}")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func applyIntegrationResponsePatch(r *certgate.IntegrationResponse, ops []patchOp) error {
	for _, o := range ops {
		s := o.Segments
		var err error
		switch {
		case len(s) >= 2 && s[0] == "responseParameters":
			err = patchMap(&r.ResponseParameters, o, strings.Join(s[1:], "/"))
		case len(s) >= 2 && s[0] == "responseTemplates":
			err = patchMap(&r.ResponseTemplates, o, strings.Join(s[1:], "/"))
		case o.Raw == "/selectionPattern" || o.Raw == "/contentHandling":
			if o.Op != "replace" {
				return badOp(o)
			}
			if o.Raw == "/selectionPattern" {
				r.SelectionPattern = o.Value
			} else {
				r.ContentHandling = o.Value
			}
		default:
			return badPath(o, "/selectionPattern, /contentHandling, /responseParameters/{name}, /responseTemplates/{type}")
		}
		if err != nil {
			return err
		}
	}
	return nil
}
