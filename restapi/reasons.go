package restapi

// Reasons of the package's errors, as certgate.Error.Reason; the dialect
// writes its sentences from them and from Value, never from Message. The
// certs package's reasons (missing, out_of_range, bad_position, tag rules)
// are used where they fit.
const (
	// Not found (ENotFound). ReasonNoAPI's Value is "account:id", as AWS
	// names it.
	ReasonNoAPI         = "no_rest_api"
	ReasonNoResource    = "no_resource"
	ReasonNoMethod      = "no_method"
	ReasonNoIntegration = "no_integration"
	ReasonNoResponse    = "no_response"

	// Path parts (Field "pathPart"). Value is the offending or the
	// conflicting path part.
	ReasonDuplicatePathPart = "duplicate_path_part" // EConflict
	ReasonVariableSibling   = "variable_sibling"
	ReasonGreedyParent      = "greedy_parent"
	ReasonPathPartChars     = "path_part_chars"
	ReasonRootResource      = "root_resource" // the root cannot be deleted or moved
	ReasonOwnSubtree        = "own_subtree"   // a resource cannot move under itself

	ReasonHTTPMethod        = "http_method"        // Value the method
	ReasonAuthorizationType = "authorization_type" // Value the type
	ReasonIntegrationType   = "integration_type"   // Value the type
	ReasonBadURI            = "bad_uri"
	ReasonTimeout           = "timeout" // Limit the maximum, Got the value
	ReasonStatusCode        = "status_code"
	ReasonEndpointType      = "endpoint_type"
	ReasonEndpointTypes     = "endpoint_types"     // more than one
	ReasonMapping           = "mapping_expression" // Value the expression
	ReasonBadValue          = "invalid_value"      // Field and Value say which
	ReasonMethodExists      = "method_exists"      // EConflict

	// Deployments and stages.
	ReasonNoDeployment    = "no_deployment"
	ReasonNoStage         = "no_stage"
	ReasonNoMethods       = "no_methods"        // CreateDeployment on an API without methods
	ReasonDeploymentInUse = "deployment_in_use" // EInvalid, as AWS answers 400
	ReasonBadDeployment   = "bad_deployment"    // a stage pointed at a missing deployment
	ReasonNoCertificate   = "no_client_certificate"
	ReasonStageName       = "stage_name"
	ReasonStageExists     = "stage_exists" // EConflict
	ReasonStageQuota      = "stage_quota"

	// Quotas (ELimitExceeded), Limit the quota.
	ReasonRestAPIQuota  = "rest_api_quota"
	ReasonResourceQuota = "resource_quota"
)
