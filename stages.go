package certgate

import "time"

// Deployment is an immutable snapshot of a REST API's resources, methods and
// integrations: what a stage serves. Later changes to the API reach a stage
// only through a new deployment.
type Deployment struct {
	ID          string
	Scope       Scope
	APIID       string
	Description string
	// Snapshot is the core's encoding of the API's tree at creation; the
	// store keeps it as given and never changes it.
	Snapshot  string
	CreatedAt time.Time
}

// Stage is a named pointer of a REST API to one of its deployments, with
// the client certificate presented to HTTP backends. The json tags name
// the stored form of the settings the store keeps as one document.
type Stage struct {
	Scope        Scope  `json:"-"`
	APIID        string `json:"-"`
	Name         string `json:"-"`
	DeploymentID string `json:"-"`
	// ClientCertificateID is "" when none is attached.
	ClientCertificateID string `json:"-"`

	Description          string            `json:"description,omitempty"`
	DocumentationVersion string            `json:"documentationVersion,omitempty"`
	CacheClusterEnabled  bool              `json:"cacheClusterEnabled,omitempty"`
	CacheClusterSize     string            `json:"cacheClusterSize,omitempty"`
	Variables            map[string]string `json:"variables,omitempty"`
	TracingEnabled       bool              `json:"tracingEnabled,omitempty"`
	WebACLARN            string            `json:"webAclArn,omitempty"`
	// MethodSettings is keyed "{resourcePath}/{httpMethod}" or "*/*", each
	// a map of setting ("metrics/enabled", "throttling/burstLimit", ...)
	// to the string value it was patched with. The gateway does not act on
	// them; they are stored and echoed.
	MethodSettings    map[string]map[string]string `json:"methodSettings,omitempty"`
	AccessLogSettings map[string]string            `json:"accessLogSettings,omitempty"` // format, destinationArn
	// CanarySettings holds deploymentId, percentTraffic, useStageCache and
	// stageVariableOverrides/{name}, as patched.
	CanarySettings map[string]string `json:"canarySettings,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`

	CreatedAt time.Time `json:"-"`
	UpdatedAt time.Time `json:"-"`
	// Version increases by one with every update, for optimistic
	// concurrency control.
	Version int64 `json:"-"`
}
