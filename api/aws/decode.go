package aws

import (
	"fmt"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/api"
)

// patchOperation is API Gateway's PatchOperation.
type patchOperation struct {
	Op    *string `json:"op"`
	Path  *string `json:"path"`
	Value *string `json:"value"`
	From  *string `json:"from"`
}

type updateRequest struct {
	PatchOperations []patchOperation `json:"patchOperations"`
}

// maxPatchOperations bounds the work one request can ask for.
const maxPatchOperations = 100

var validOps = map[string]bool{"add": true, "remove": true, "replace": true, "move": true, "copy": true, "test": true}

// clientCertificateUpdate is what a validated patch asks for.
type clientCertificateUpdate struct {
	Description *string // nil: unchanged
}

// parsePatch decodes and validates UpdateClientCertificate's body. Only
// "replace /description" is supported, as on AWS; the messages copy AWS's
// patterns (including its two spaces after "path").
func parsePatch(body []byte) (clientCertificateUpdate, error) {
	var req updateRequest
	var out clientCertificateUpdate
	if err := api.DecodeJSON(body, &req); err != nil {
		return out, err
	}
	if len(req.PatchOperations) > maxPatchOperations {
		return out, &certgate.Error{Code: certgate.EInvalid, Field: "patchOperations",
			Message: fmt.Sprintf("Too many patch operations: at most %d are allowed", maxPatchOperations)}
	}
	for _, p := range req.PatchOperations {
		if p.Op == nil || *p.Op == "" {
			return out, &certgate.Error{Code: certgate.EInvalid, Field: "op",
				Message: "Invalid patch operation specified. Must be one of: [replace]"}
		}
		op := *p.Op
		if !validOps[op] {
			return out, &certgate.Error{Code: certgate.EInvalid, Field: "op",
				Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'updateClientCertificateInput.patchOperations.1.member.op' failed to satisfy constraint: Member must satisfy enum value set: [add, remove, move, test, replace, copy]", certgate.Clip(op))}
		}
		if op != "replace" {
			return out, &certgate.Error{Code: certgate.EInvalid, Field: "op",
				Message: "Invalid patch operation specified. Must be one of: [replace]"}
		}
		path := ""
		if p.Path != nil {
			path = *p.Path
		}
		if path != "/description" {
			return out, &certgate.Error{Code: certgate.EInvalid, Field: "path",
				Message: fmt.Sprintf("Invalid patch path  '%s' specified for op 'replace'. Must be one of: [/description]", certgate.Clip(path))}
		}
		v := ""
		if p.Value != nil {
			v = *p.Value
		}
		out.Description = &v
	}
	return out, nil
}

// parseARN accepts arn:PARTITION:apigateway:REGION::/clientcertificates/ID
// and returns REGION and ID.
func parseARN(arn string) (region, id string, err error) {
	invalid := &certgate.Error{Code: certgate.EInvalid, Field: "resourceArn", Reason: "bad_arn",
		Message: "Invalid ARN specified in the request"}
	if len(arn) > 1024 {
		return "", "", invalid
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apigateway" || parts[4] != "" {
		return "", "", invalid
	}
	switch parts[1] {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		return "", "", invalid
	}
	region = parts[3]
	if region == "" {
		return "", "", invalid
	}
	resource := parts[5]
	id, ok := strings.CutPrefix(resource, "/clientcertificates/")
	if !ok {
		if strings.HasPrefix(resource, "/") {
			return "", "", &certgate.Error{Code: certgate.EInvalid, Field: "resourceArn", Reason: "unsupported_arn",
				Message: "Invalid ARN specified in the request: certgate supports tags on client certificates, REST APIs and stages only (arn:aws:apigateway:REGION::/clientcertificates/ID, ::/restapis/ID, ::/restapis/ID/stages/NAME)"}
		}
		return "", "", invalid
	}
	if id == "" || strings.Contains(id, "/") {
		return "", "", invalid
	}
	return region, id, nil
}
