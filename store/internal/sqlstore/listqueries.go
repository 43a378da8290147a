package sqlstore

// The list and count statements of the tables other than certificates,
// named so that the plan tests (see Plans) explain the very SQL the store
// runs.
const (
	// CountGroupDomainsSQL counts a group's domains against its quota.
	CountGroupDomainsSQL = "SELECT COUNT(*) FROM domains WHERE group_id = ?"
	// ListDomainsSQL lists a group's domains.
	ListDomainsSQL = "SELECT " + domainColumns + " FROM domains WHERE account_id = ? AND instance_id = ? AND group_id = ? ORDER BY created_at, id"
	// ListGroupsSQL lists an instance's API groups.
	ListGroupsSQL = "SELECT " + groupColumns + " FROM api_groups WHERE account_id = ? AND instance_id = ? ORDER BY created_at, id"
	// ListAPIsSQL lists an instance's APIs.
	ListAPIsSQL = "SELECT " + apiColumns + " FROM apis WHERE account_id = ? AND instance_id = ? ORDER BY created_at, id"
	// CountGroupAPIsSQL counts a group's APIs.
	CountGroupAPIsSQL = "SELECT COUNT(*) FROM apis WHERE group_id = ?"
	// CountEnvironmentsSQL counts an instance's environments against its quota.
	CountEnvironmentsSQL = "SELECT COUNT(*) FROM environments WHERE instance_id = ?"
	// ListEnvironmentsSQL lists an instance's environments.
	ListEnvironmentsSQL = "SELECT " + envColumns + " FROM environments WHERE account_id = ? AND instance_id = ? ORDER BY created_at, id"
	// ListInstancesSQL lists an account's instances.
	ListInstancesSQL = "SELECT " + instanceColumns + " FROM instances WHERE account_id = ? ORDER BY created_at, id"
	// ListRestAPIsSQL lists a scope's REST APIs.
	ListRestAPIsSQL = "SELECT " + restAPIColumns + " FROM rest_apis WHERE account_id = ? AND region = ? ORDER BY created_at, id"
	// ListResourcesSQL lists a REST API's resources.
	ListResourcesSQL = "SELECT " + resourceColumns + " FROM api_resources WHERE api_id = ? AND account_id = ? AND region = ? ORDER BY created_at, id"
	// ListMethodsSQL lists a REST API's methods.
	ListMethodsSQL = "SELECT " + methodColumns + " FROM api_methods WHERE api_id = ? AND account_id = ? AND region = ? ORDER BY resource_id, http_method"
	// ListDeploymentsSQL lists a REST API's deployments.
	ListDeploymentsSQL = "SELECT " + deploymentColumns + " FROM api_deployments WHERE api_id = ? AND account_id = ? AND region = ? ORDER BY created_at, id"
	// ListStagesSQL lists a REST API's stages.
	ListStagesSQL = "SELECT " + stageColumns + " FROM api_stages WHERE api_id = ? AND account_id = ? AND region = ? ORDER BY name"
	// CountStagesSQL counts a REST API's stages against its quota.
	CountStagesSQL = "SELECT COUNT(*) FROM api_stages WHERE api_id = ?"
	// CountDeploymentStagesSQL counts the stages on a deployment.
	CountDeploymentStagesSQL = "SELECT COUNT(*) FROM api_stages WHERE deployment_id = ? AND api_id = ?"
	// StageUsingSQL finds a stage that carries a client certificate.
	StageUsingSQL = "SELECT name FROM api_stages WHERE account_id = ? AND region = ? AND client_certificate_id = ? ORDER BY api_id, name LIMIT 1"
	// DomainCertificatesSQL lists a domain's certificates (at most one per algorithm).
	DomainCertificatesSQL = "SELECT certificate_id FROM domain_certificates WHERE domain_id = ? AND account_id = ? ORDER BY created_at, certificate_id"
	// ListDomainBindingsSQL lists a domain's bindings (at most one per algorithm).
	ListDomainBindingsSQL = "SELECT " + bindingColumns + ` FROM domain_certificates WHERE domain_id = ? AND account_id = ? AND instance_id = ? AND group_id = ? ORDER BY created_at, certificate_id`
	// ListCertificateBindingsSQL lists a certificate's bindings.
	ListCertificateBindingsSQL = "SELECT " + bindingColumns + ` FROM domain_certificates WHERE certificate_id = ? AND account_id = ? ORDER BY created_at, domain_id`
	// HoldingDomainsSQL lists the domains a certificate is bound to.
	HoldingDomainsSQL = "SELECT " + domainColumns + ` FROM domains WHERE account_id = ? AND id IN (SELECT domain_id FROM domain_certificates WHERE certificate_id = ? AND account_id = ?) ORDER BY created_at, id`
	// ListTokensSQL lists an account's tokens.
	ListTokensSQL = "SELECT " + tokenColumns + " FROM tokens WHERE account_id = ? ORDER BY created_at, hash"
	// ListAccessKeysSQL lists an account's access keys (at most two).
	ListAccessKeysSQL = "SELECT id, account_id, created_at FROM access_keys WHERE account_id = ? ORDER BY created_at, id"
	// CountAccessKeysSQL counts an account's access keys.
	CountAccessKeysSQL = "SELECT COUNT(*) FROM access_keys WHERE account_id = ?"
	// ListVersionsSQL lists an API's published versions (a bounded history).
	ListVersionsSQL = "SELECT " + versionColumns + versionFrom + " WHERE v.api_id = ? AND v.account_id = ? ORDER BY v.published_at DESC, v.id DESC"
	// ListPublicationsSQL lists an instance's publications (one per API and environment).
	ListPublicationsSQL = "SELECT p.account_id, p.instance_id, p.api_id, p.env_id, p.version_id, v.publish_id, v.remark, v.published_at " +
		"FROM api_publications p JOIN api_versions v ON v.id = p.version_id " +
		"WHERE p.account_id = ? AND p.instance_id = ? ORDER BY v.published_at, p.api_id, p.env_id"
)

// otherPlans are the statements above, each with the table it must not
// scan (and its alias in the statement), the index that must serve it when
// another would also match its first column, and whether its index must
// yield its order (false where the set is bounded small: a sort of a few
// rows is free).
var otherPlans = []struct {
	name, sql, table, alias, index string
	ordered                        bool
}{
	{"CountGroupDomainsSQL", CountGroupDomainsSQL, "domains", "", "", false},
	{"ListDomainsSQL", ListDomainsSQL, "domains", "", "", true},
	{"ListGroupsSQL", ListGroupsSQL, "api_groups", "", "", true},
	{"ListAPIsSQL", ListAPIsSQL, "apis", "", "", true},
	{"CountGroupAPIsSQL", CountGroupAPIsSQL, "apis", "", "", false},
	{"CountEnvironmentsSQL", CountEnvironmentsSQL, "environments", "", "", false},
	{"ListEnvironmentsSQL", ListEnvironmentsSQL, "environments", "", "", true},
	{"ListInstancesSQL", ListInstancesSQL, "instances", "", "", true},
	{"ListRestAPIsSQL", ListRestAPIsSQL, "rest_apis", "", "", true},
	{"ListResourcesSQL", ListResourcesSQL, "api_resources", "", "", true},
	{"ListMethodsSQL", ListMethodsSQL, "api_methods", "", "", true},
	{"ListDeploymentsSQL", ListDeploymentsSQL, "api_deployments", "", "", true},
	{"ListStagesSQL", ListStagesSQL, "api_stages", "", "", true},
	{"CountStagesSQL", CountStagesSQL, "api_stages", "", "", false},
	{"CountDeploymentStagesSQL", CountDeploymentStagesSQL, "api_stages", "", "", false},
	{"StageUsingSQL", StageUsingSQL, "api_stages", "", "", false},
	{"DomainCertificatesSQL", DomainCertificatesSQL, "domain_certificates", "", "", false},
	{"ListDomainBindingsSQL", ListDomainBindingsSQL, "domain_certificates", "", "", false},
	{"ListCertificateBindingsSQL", ListCertificateBindingsSQL, "domain_certificates", "", "", false},
	{"HoldingDomainsSQL", HoldingDomainsSQL, "domains", "", "", false},
	{"ListTokensSQL", ListTokensSQL, "tokens", "", "", true},
	{"ListAccessKeysSQL", ListAccessKeysSQL, "access_keys", "", "", false},
	{"CountAccessKeysSQL", CountAccessKeysSQL, "access_keys", "", "", false},
	{"ListVersionsSQL", ListVersionsSQL, "api_versions", "v", "api_versions_list", false},
	{"ListPublicationsSQL", ListPublicationsSQL, "api_publications", "p", "", false},
}
