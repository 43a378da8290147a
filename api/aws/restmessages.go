package aws

import (
	"fmt"
	"strings"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/certs"
	"github.com/certgate/certgate/restapi"
)

// AWS's sentences for the restapi package's errors: the recorded texts of
// the spec (aws-stages-integrations.md) where there is one, AWS's pattern
// otherwise.
func restMessage(e *certgate.Error) (string, bool) {
	switch e.Reason {
	case restapi.ReasonNoAPI:
		return "Invalid API identifier specified " + e.Value, true
	case restapi.ReasonNoResource:
		return "Invalid Resource identifier specified", true
	case restapi.ReasonNoMethod:
		return "Invalid Method identifier specified", true
	case restapi.ReasonNoIntegration:
		return "Invalid Integration identifier specified", true
	case restapi.ReasonNoResponse:
		return "Invalid Response status code specified", true
	case restapi.ReasonDuplicatePathPart:
		return "Another resource with the same parent already has this name: " + e.Value, true
	case restapi.ReasonVariableSibling:
		return "A sibling (" + e.Value + ") of this resource already has a variable path part -- only one is allowed", true
	case restapi.ReasonGreedyParent:
		return "Cannot create a child of a resource with a greedy path variable: " + e.Value, true
	case restapi.ReasonPathPartChars:
		return "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.", true
	case restapi.ReasonRootResource:
		return "Cannot modify or delete the root resource", true
	case restapi.ReasonOwnSubtree:
		return "Cannot move a resource under itself or one of its descendants", true
	case restapi.ReasonHTTPMethod:
		if e.Field == "integrationHttpMethod" {
			return "Enumeration value for HttpMethod must be non-empty", true
		}
		return "Invalid HttpMethod specified. Valid options are " + strings.Join(restapi.HTTPMethods, ","), true
	case restapi.ReasonAuthorizationType:
		return "Invalid authorization type specified. Valid options are " + strings.Join(restapi.AuthorizationTypes, ","), true
	case restapi.ReasonIntegrationType:
		if awsIntegrationType(e.Value) {
			return fmt.Sprintf("Unsupported integration type '%s'. Valid options are %s", e.Value, strings.Join(restapi.IntegrationTypes, ",")), true
		}
		return fmt.Sprintf("1 validation error detected: Value '%s' at 'putIntegrationInput.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, MOCK, AWS, HTTP_PROXY, AWS_PROXY]", e.Value), true
	case restapi.ReasonBadURI:
		return "Invalid HTTP endpoint specified for URI", true
	case restapi.ReasonTimeout:
		return fmt.Sprintf("Timeout should be between %d ms and %d ms", restapi.MinTimeout, e.Limit), true
	case restapi.ReasonStatusCode:
		return fmt.Sprintf(`1 validation error detected: Value '%s' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`, e.Value), true
	case restapi.ReasonEndpointType:
		return "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE", true
	case restapi.ReasonEndpointTypes:
		return "Cannot create an api with multiple Endpoint Types.", true
	case restapi.ReasonMapping:
		return fmt.Sprintf("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: %s]", e.Value), true
	case restapi.ReasonBadValue:
		return fmt.Sprintf("Invalid value '%s' specified for %s", e.Value, e.Field), true
	case restapi.ReasonMethodExists:
		return "Method already exists for this resource", true
	case restapi.ReasonNoDeployment:
		return "Invalid Deployment identifier specified", true
	case restapi.ReasonNoStage:
		return "Invalid Stage identifier specified", true
	case restapi.ReasonNoMethods:
		return "The REST API doesn't contain any methods", true
	case restapi.ReasonDeploymentInUse:
		return "Active stages pointing to this deployment must be moved or deleted", true
	case restapi.ReasonBadDeployment:
		return "Deployment id does not exist", true
	case restapi.ReasonNoCertificate:
		// As for an unknown id on the client certificate operations: another
		// tenant's certificate is not revealed.
		return notFoundMessage, true
	case restapi.ReasonStageName:
		return "Stage name only allows a-zA-Z0-9_-", true
	case restapi.ReasonStageExists:
		return "Stage already exists", true
	case restapi.ReasonStageQuota:
		return fmt.Sprintf("The maximum number of stages (%d) for this REST API has been reached.", e.Limit), true
	case certs.ReasonInUse:
		// AWS's behaviour is unconfirmed; certgate refuses, so that a
		// running data plane never loses the certificate it presents.
		return fmt.Sprintf("Client certificate is in use by stage '%s' and cannot be deleted. Detach it first (update-stage replace /clientCertificateId \"\").", e.Value), true
	case restapi.ReasonRestAPIQuota:
		return fmt.Sprintf("The maximum number of REST APIs (%d) for this account in this region has been reached.", e.Limit), true
	case restapi.ReasonResourceQuota:
		return fmt.Sprintf("The maximum number of resources (%d) for this REST API has been reached.", e.Limit), true
	}
	return "", false
}

// awsIntegrationType reports whether t is in AWS's enum (so an unsupported
// type, not an invalid one).
func awsIntegrationType(t string) bool { return t == "AWS" || t == "AWS_PROXY" }

// restCode is AWS's error code where it is not the one of e.Code.
func restCode(e *certgate.Error) string {
	if e.Reason == restapi.ReasonIntegrationType && !awsIntegrationType(e.Value) {
		return "ValidationException"
	}
	return ""
}
