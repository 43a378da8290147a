// Package store defines the persistence contract of certgate. Backends live in
// sub-packages (sqlite and postgres) and all pass the same conformance suite
// in store/storetest.
package store

import (
	"context"
	"time"

	"github.com/certgate/certgate"
)

// Store persists accounts, access keys and certificate records. It is made
// of small interfaces named for what they hold (Certificates, Accounts,
// Tokens, Meta, Sealed, Nodes), so that a consumer can take only what it
// needs; the contract below applies to every one of them.
//
// The contract, which store/storetest checks for every backend:
//
//   - All methods are safe for concurrent use, including by several Store
//     handles (processes, nodes) open on the same database at once.
//   - Every error a method returns for a condition the caller can act on is a
//     *certgate.Error: ENotFound when a record is absent, EConflict for a
//     uniqueness violation or a lost optimistic-concurrency race, and
//     ELimitExceeded when a quota is full, and EUnavailable (Reason
//     "database", with a RetryAfter) when a networked backend cannot reach
//     its database: connection refused or lost, server shutting down or
//     starting, too many connections. Such an error leaves the handle
//     usable: it reconnects on a later call. Anything else is an internal
//     error.
//   - Records are scoped. A method given a Scope and Kind never reads, changes
//     or reveals a record of another scope or kind: such a record is reported
//     as ENotFound, exactly like one that does not exist.
//   - These tenant-scoped methods are the only way the API reaches data.
//     ServingView, which reads across tenants, is for the data plane only
//     and is not part of Store; the API and its dialects never receive it.
//   - A write is durable when the method returns nil: it survives the process
//     being killed (kill -9) right afterwards. A method that returns an error
//     has written nothing. This holds for each write alone, whether or not
//     the backend commits concurrent writes together (SQLite does): one
//     write's failure, or its caller's cancellation, never changes another's
//     outcome, and no write is acknowledged before the commit holding it.
//   - A read reflects every write acknowledged, on any handle, before the
//     read began: a backend that serves reads from memory (SQLite's read
//     cache) does so only while it can tell nothing was committed since,
//     and never remembers a miss. Within one request's context
//     (WithReadPoint) reads may instead reflect the database as of the
//     request's first read, or later, and its own writes.
//   - Returned records are owned by the caller; stores copy what they keep.
//   - Times are stored with at least microsecond precision and returned in UTC.
//   - Methods honour ctx cancellation where the backend allows.
//   - Stored text is valid UTF-8 without NUL bytes, on every backend alike
//     (PostgreSQL's TEXT can hold nothing else). A write whose text holds a
//     NUL byte or invalid UTF-8 fails with EInvalid (Reason ReasonBadText,
//     Field naming the field) and writes nothing. A lookup by such a key
//     reports ENotFound, and a list or count whose scope or filters hold one
//     matches nothing; neither is an error.
type Store interface {
	Certificates
	Accounts
	Tokens
	Meta
	Sealed
	Nodes
	Revisions
	Instances
	Groups
	Domains
	Bindings
	APIs
	Environments
	Publications
	RestAPIs
	Resources
	Methods
	Deployments
	Stages

	// Ping checks that the database answers. A database that can no longer
	// be trusted with writes (SQLite: its file deleted, replaced or
	// truncated under the handle) is reported as EUnavailable with Reason
	// ReasonDamaged and a Message naming the cause; from then on every
	// write fails with that error too, so nothing is acknowledged that a
	// restart would lose.
	Ping(ctx context.Context) error

	// Close releases the handle. It does not affect other handles.
	Close() error
}

// ServingView is the read-only, cross-tenant view of the store that the
// data plane (the gateway's snapshot) reads through. It is not part of
// Store, and the API never receives it: the API reaches data only through
// Store's tenant-scoped methods. The SQL backends implement both.
type ServingView interface {
	// ServingCertificates returns the certificates of kind across every
	// account and region, ordered by ID (byte order), strictly after the
	// id after when it is non-empty, at most limit of them (all when
	// limit <= 0). It writes nothing.
	ServingCertificates(ctx context.Context, kind certgate.Kind, after string, limit int) ([]*certgate.Certificate, error)

	// ServingDomains returns every custom domain of every account, ordered
	// by ID, each with its bound server certificates in binding order,
	// sealed keys included: what the gateway terminates TLS with. It reads
	// one consistent state and writes nothing.
	ServingDomains(ctx context.Context) ([]*Served, error)

	// ServingRoutes returns what the gateway routes requests by, across
	// every account: the API groups, the custom environments, the current
	// version of every API in every environment it is published in, the
	// stages with their deployments and REST APIs, and the client
	// certificates the gateway presents to backends (those stages name,
	// and every instance's backend certificate), sealed keys included. It
	// writes nothing. Its reads are ordered so that a record a later one
	// names was read after it (a stage before the certificate it names),
	// and a change committed in between is read whole at the next
	// revision.
	ServingRoutes(ctx context.Context) (*Routes, error)
}

// Routes is what ServingRoutes reads, each list in id order (stages by
// REST API id and name).
type Routes struct {
	Groups       []*certgate.APIGroup
	Environments []*certgate.Environment // RELEASE has no record
	Versions     []*certgate.APIVersion  // current ones only
	Stages       []*ServedStage
	// Certificates are KindClient certificates named by stages and every
	// KindBackend certificate.
	Certificates []*certgate.Certificate
}

// ServedStage is a stage with what it serves.
type ServedStage struct {
	Stage      *certgate.Stage
	Deployment *certgate.Deployment
	API        *certgate.RestAPI
}

// Certificates holds certificate records, each scoped to an account,
// region and kind, with the quota counters of its scope.
type Certificates interface {
	// CreateCertificate inserts c. It fails with EConflict (Reason
	// "duplicate_id") if c.ID is taken anywhere, and with EConflict (Reason
	// "duplicate_name") if c.Name is non-empty and another record of the same
	// account and kind already has that name. When quota > 0 and the scope
	// (account, region, kind) already holds quota records, it fails with
	// ELimitExceeded. The check and the insert are atomic: concurrent callers
	// can never exceed the quota together. It fails with ENotFound (Reason
	// ReasonDeletedAccount) when the account was deleted, atomically with
	// DeleteAccount: a create racing a delete either commits first (and the
	// delete removes it) or fails. (An account id that was never created is
	// not checked: account existence is the core's concern.) On success
	// c.Version is 1.
	CreateCertificate(ctx context.Context, c *certgate.Certificate, quota int) error

	// GetCertificate returns the record with this id in this scope and kind.
	GetCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) (*certgate.Certificate, error)

	// ListCertificates returns the records of q.Scope and q.Kind that match
	// q's filters, ordered by (CreatedAt, ID) ascending, starting strictly
	// after q.After when it is set, skipping q.Offset records, and returning
	// at most q.Limit (all when q.Limit <= 0).
	ListCertificates(ctx context.Context, q ListQuery) ([]*certgate.Certificate, error)

	// CountCertificates returns how many records match q's scope, kind and
	// filters, ignoring After, Offset and Limit.
	CountCertificates(ctx context.Context, q ListQuery) (int64, error)

	// UpdateCertificate replaces the mutable fields of the stored record
	// (Name, Description, Tags, InstanceID, CertificatePEM, KeySealed,
	// SealKeyID, TrustedRootCA, the parsed facts and UpdatedAt) that has
	// c.ID, c.Scope and c.Kind, provided its stored Version equals c.Version.
	// On success the stored and returned c.Version is one higher. It fails
	// with ENotFound when no such record exists, EConflict (Reason "version")
	// when the version differs, and EConflict (Reason "duplicate_name") when
	// the new name is taken. It applies no binding rule: a change to what a
	// bound server certificate serves (its chain, names, key algorithm, CA
	// or instance) goes through Bindings.ChangeBindings (BindingEdit's
	// Certificate), which checks it against the domains that hold it and
	// carries the bindings' Algorithm with it; certs does so.
	UpdateCertificate(ctx context.Context, c *certgate.Certificate) error

	// DeleteCertificate removes the record and frees its quota slot. It fails
	// with ENotFound when there is no such record, with EConflict
	// (Reason ReasonCertificateBound, Got the number of domains) while the
	// certificate is bound to a domain, and with EConflict (Reason
	// ReasonCertificateInUse, Value a stage's name) while a stage of its
	// scope carries the client certificate.
	DeleteCertificate(ctx context.Context, scope certgate.Scope, kind certgate.Kind, id string) error
}

// Accounts holds accounts and their access keys.
type Accounts interface {
	// CreateAccount inserts an account, its first access key and, when
	// inst is not nil, its first gateway instance, atomically. It fails with
	// EConflict if the account id, the project id, the access key id or the
	// instance id is taken, and with EConflict (Reason ReasonDeletedAccount)
	// if the account id belonged to a deleted account: ids are never reused.
	CreateAccount(ctx context.Context, a *certgate.Account, k *certgate.AccessKey, inst *certgate.Instance) error

	// GetAccount returns an account by its id.
	GetAccount(ctx context.Context, id string) (*certgate.Account, error)

	// GetAccountByProject returns the account that owns a Huawei project id.
	GetAccountByProject(ctx context.Context, projectID string) (*certgate.Account, error)

	// CountAccounts returns the number of accounts.
	CountAccounts(ctx context.Context) (int64, error)

	// ListAccounts returns every account ordered by (CreatedAt, ID).
	ListAccounts(ctx context.Context) ([]*certgate.Account, error)

	// DeleteAccount removes an account with its access keys, tokens,
	// gateway instances, in one transaction. While the account holds
	// certificates (of any region and kind), API groups or REST APIs it
	// fails with EConflict (Reason "not_empty") unless force is set, in
	// which case the certificates with their quota counters, the groups with
	// their domains, bindings and APIs (with their versions and
	// publications), its environments and its REST APIs (with everything
	// under them) go in the same transaction. It fails with ENotFound when there is no such
	// account. The id stays taken for good (a tombstone), so that a
	// certificate created by a request still in flight when the account went
	// can never be seen by a later account of the same id.
	DeleteAccount(ctx context.Context, id string, force bool) error

	// GetAccessKey returns an access key by its id.
	GetAccessKey(ctx context.Context, id string) (*certgate.AccessKey, error)

	// GetAccessKeyAccount returns an access key and its account, read
	// together (one query): what authenticating a request needs. It fails
	// with ENotFound when there is no such key (an account's deletion
	// takes its keys with it).
	GetAccessKeyAccount(ctx context.Context, id string) (*certgate.AccessKey, *certgate.Account, error)

	// CreateAccessKey adds an access key to the existing account k.AccountID.
	// It fails with ENotFound when the account does not exist, with
	// EConflict (Reason "duplicate_access_key") when k.ID is taken, and,
	// when max > 0 and the account already has max keys, with
	// ELimitExceeded (Reason "access_keys"). The count and the insert are
	// atomic: concurrent callers, on any handle, never exceed max together.
	CreateAccessKey(ctx context.Context, k *certgate.AccessKey, max int) error

	// ListAccessKeys returns the keys of an account ordered by (CreatedAt,
	// ID), with SecretSealed and SealKeyID left empty: listing never reads
	// secrets. It fails with ENotFound when the account does not exist.
	ListAccessKeys(ctx context.Context, accountID string) ([]*certgate.AccessKey, error)

	// DeleteAccessKey removes the key id of accountID together with every
	// token issued to it, in one transaction. A key of another account is
	// reported as ENotFound, exactly like one that does not exist. Deleting
	// an account's last key is allowed.
	DeleteAccessKey(ctx context.Context, accountID, id string) error
}

// Tokens holds issued tokens, by their hash.
type Tokens interface {
	// CreateToken stores an issued token (by its hash). It fails with
	// EConflict if the hash exists, and with ENotFound if its access key
	// does not exist (or is deleted concurrently).
	CreateToken(ctx context.Context, t *certgate.Token) error

	// GetToken returns the token with this hash, expired or not; ENotFound
	// when there is none.
	GetToken(ctx context.Context, hash string) (*certgate.Token, error)

	// ListTokens returns the tokens of an account, expired ones included,
	// ordered by (CreatedAt, Hash). It fails with ENotFound when the account
	// does not exist.
	ListTokens(ctx context.Context, accountID string) ([]*certgate.Token, error)

	// DeleteToken removes the one token whose hash starts with hashPrefix (a
	// full hash is its own prefix) and returns it. It fails with ENotFound
	// when no hash matches, and with EConflict (Reason "ambiguous"), deleting
	// nothing, when more than one does. An empty prefix is EInvalid.
	DeleteToken(ctx context.Context, hashPrefix string) (*certgate.Token, error)
}

// Meta holds small named values (deployment settings, tombstones).
type Meta interface {
	// PutMetaIfAbsent stores value under key unless the key already exists,
	// and returns the value stored afterwards: value when it was inserted,
	// the earlier value otherwise. Two callers racing see the same winner.
	PutMetaIfAbsent(ctx context.Context, key, value string) (string, error)

	// GetMeta returns the value stored under key, or ENotFound.
	GetMeta(ctx context.Context, key string) (string, error)

	// SwapMeta replaces the value under key with newValue if it is still
	// oldValue, and reports whether it did.
	SwapMeta(ctx context.Context, key, oldValue, newValue string) (bool, error)
}

// Sealed walks and replaces the values sealed under a master key
// (certificate private keys and access key secrets), for rotation.
type Sealed interface {
	// ListSealed returns sealed values (certificate private keys and access
	// key secrets) that are NOT sealed under exceptKeyID, ordered by
	// (Type, ID), strictly after the cursor (Type, ID) when it is non-empty,
	// at most limit of them. Master-key rotation walks them in batches.
	ListSealed(ctx context.Context, exceptKeyID string, after SealedCursor, limit int) ([]SealedItem, error)

	// Reseal replaces one sealed value, provided it is still item.Envelope
	// under item.KeyID (compare-and-swap on both, so a value another writer
	// replaced meanwhile, even under the same old key, is left alone), and
	// reports whether it did. Replacing a
	// certificate's key counts as an update: its Version increases, so a
	// concurrent UpdateCertificate that read the old envelope fails with
	// EConflict instead of writing it back.
	Reseal(ctx context.Context, item SealedItem, envelope []byte, keyID string) (bool, error)

	// SealKeyIDs returns the distinct master key ids that sealed values in
	// the database are sealed under, sorted, so that a server can refuse to
	// start when one of them is not loaded.
	SealKeyIDs(ctx context.Context) ([]string, error)
}

// Revisions reads the configuration revision: one counter for the whole
// database that every write changing what the data plane serves increments
// by exactly one, in the same transaction as the write, so that a gateway
// that read revision n and then the records has seen every write up to n.
// Those writes are: creating, updating or deleting a certificate of any
// kind (server certificates are served to clients; generated client
// certificates and an instance's backend client certificate are presented
// to backends), Reseal of a certificate's
// key (not of an access key's secret), creating an instance (with
// CreateAccount too), creating, updating or deleting an API group or a
// custom domain, binding or unbinding a certificate, publishing or
// unpublishing an API, renaming an environment, creating, updating or
// deleting a deployment or a stage (and deleting a REST API that had
// stages), and
// deleting an account (which takes its
// certificates and gateway objects with it). Reads, and writes that
// fail, leave it unchanged. It starts at 0 and never decreases.
type Revisions interface {
	// Revision returns the current configuration revision.
	Revision(ctx context.Context) (int64, error)
}

// Instances holds gateway instances, each scoped to one account: a method
// given an account id never reads or reveals another account's instance
// (ENotFound, exactly like one that does not exist). Creating an instance
// moves the configuration revision.
type Instances interface {
	// CreateInstance inserts in. It fails with EConflict (Reason
	// "duplicate_id") if in.ID is taken by any account, and with ENotFound
	// (Reason ReasonDeletedAccount) when the account was deleted, atomically
	// with DeleteAccount, as CreateCertificate does.
	CreateInstance(ctx context.Context, in *certgate.Instance) error

	// GetInstance returns the instance id of accountID.
	GetInstance(ctx context.Context, accountID, id string) (*certgate.Instance, error)

	// ListInstances returns the instances of accountID ordered by
	// (CreatedAt, ID); none (and no error) for an unknown account.
	ListInstances(ctx context.Context, accountID string) ([]*certgate.Instance, error)
}

// Groups holds API groups, each in one instance of one account. A method
// given an account and instance id never reads, changes or reveals a group
// of another account or instance: it is ENotFound, exactly like one that
// does not exist. Every successful write moves the configuration revision.
type Groups interface {
	// CreateGroup inserts g (Version 1 on success). It fails with ENotFound
	// (Reason ReasonNoInstance) unless g.InstanceID is an instance of
	// g.AccountID, checked in the same transaction, so a group can never
	// land in an instance of another account or one deleted with its
	// account; with EConflict (Reason "duplicate_name") when the instance
	// already has a group of that name; and with EConflict (Reason
	// "duplicate_id") when g.ID is taken.
	CreateGroup(ctx context.Context, g *certgate.APIGroup) error

	// GetGroup returns the group id of the account's instance.
	GetGroup(ctx context.Context, accountID, instanceID, id string) (*certgate.APIGroup, error)

	// ListGroups returns the groups of the account's instance ordered by
	// (CreatedAt, ID).
	ListGroups(ctx context.Context, accountID, instanceID string) ([]*certgate.APIGroup, error)

	// UpdateGroup replaces Name, Remark, SLDomainAccess and UpdatedAt of the stored group
	// g.ID (in g.AccountID and g.InstanceID) if its Version equals
	// g.Version; on success the stored and returned Version is one higher.
	// It fails with ENotFound, EConflict (Reason "version") for a stale
	// version, and EConflict (Reason "duplicate_name").
	UpdateGroup(ctx context.Context, g *certgate.APIGroup) error

	// DeleteGroup removes the group with its domains and their bindings,
	// in one transaction. It fails with ENotFound when there is none, and
	// with EConflict (Reason ReasonGroupHasAPIs, Got the number) while the
	// group holds APIs, checked in the same transaction, so that an API
	// created meanwhile is never orphaned.
	DeleteGroup(ctx context.Context, accountID, instanceID, id string) error

	// CountGroupAPIs returns how many APIs the group holds.
	CountGroupAPIs(ctx context.Context, accountID, instanceID, id string) (int64, error)
}

// Domains holds the custom domains of API groups, scoped like groups (by
// account, instance and group: another's is ENotFound, exactly like a
// missing one). A name is unique per listener across every account: a
// second claim of a name on a port (HTTPPort or HTTPSPort, -1 excepted)
// already held, by anyone, is EConflict (Reason "duplicate_name"), and so
// is a claim of a name another account holds on any listener (every
// listener answers the same DNS name), of a name under another account's
// one-label wildcard, and of a wildcard over another account's name; the
// holder itself may spread a name over listeners. Every successful write moves the configuration revision.
type Domains interface {
	// CreateDomain inserts d (Version 1 on success). It fails with
	// ENotFound (Reason ReasonNoGroup) unless d.GroupID is a group of
	// d.AccountID and d.InstanceID, and, when max > 0 and the group already
	// holds max domains, with ELimitExceeded (Reason "domains"); the check
	// and the insert are atomic.
	CreateDomain(ctx context.Context, d *certgate.Domain, max int) error

	// GetDomain returns the domain id of the group.
	GetDomain(ctx context.Context, accountID, instanceID, groupID, id string) (*certgate.Domain, error)

	// ListDomains returns the domains of the group ordered by (CreatedAt,
	// ID).
	ListDomains(ctx context.Context, accountID, instanceID, groupID string) ([]*certgate.Domain, error)

	// A domain's settings (MinTLSVersion, RedirectHTTP, VerifyClients,
	// the ports) change only through Bindings.ChangeBindings, because
	// whether a domain may verify clients depends on its certificates.

	// DeleteDomain removes the domain. It fails with ENotFound when there
	// is none.
	DeleteDomain(ctx context.Context, accountID, instanceID, groupID, id string) error
}

// Bindings holds the certificates bound to custom domains. A binding joins
// a domain and a server certificate (Kind server, Region "") of the same
// account; either of another account is ENotFound. A domain holds at most
// one certificate per Algorithm. Every write that changes a binding moves
// the configuration revision; deleting a domain, a group or an account
// removes its bindings with it, and DeleteCertificate refuses a bound
// certificate.
type Bindings interface {
	// ChangeBindings runs one change to an account's bindings in one
	// transaction. The transaction holds the account's binding lock, so
	// that the changes of one account (binding and unbinding, a domain's
	// settings, a bound certificate's replacement) run one at a time
	// across every handle, each deciding on the state the one before it
	// left. plan reads that state through tx and returns what to write
	// (nil: nothing); an error from plan rolls everything back and is
	// returned as it is. plan may be called more than once.
	//
	// The writes: Bind inserts bindings (a pair already bound is left as
	// it is); Unbind removes them (ENotFound, Reason ReasonNoBinding, when
	// one is not there); Domains replaces those domains' settings as
	// UpdateDomain does (version-checked); Certificate replaces the record
	// as UpdateCertificate does (version-checked) and sets the Algorithm
	// of its bindings to its KeyAlgorithm. A second certificate of one
	// algorithm on a domain is EConflict (Reason "algorithm_taken").
	// The revision moves once when anything changed, not at all otherwise.
	ChangeBindings(ctx context.Context, accountID string, plan func(tx BindingTx) (*BindingEdit, error)) error

	// ListDomainBindings returns the domain's bindings ordered by
	// (CreatedAt, CertificateID).
	ListDomainBindings(ctx context.Context, accountID, instanceID, groupID, domainID string) ([]*certgate.Binding, error)

	// ListCertificateBindings returns the account's bindings of one
	// certificate ordered by (CreatedAt, DomainID).
	ListCertificateBindings(ctx context.Context, accountID, certificateID string) ([]*certgate.Binding, error)
}

// BindingTx reads an account's domains and server certificates inside a
// ChangeBindings transaction. Certificates come without their sealed keys.
// Everything read is locked against the deletes (DeleteCertificate,
// DeleteDomain, DeleteGroup) until the transaction ends.
type BindingTx interface {
	// Certificate returns the account's server certificate id; ENotFound
	// (Reason ReasonNoCertificate) for any other.
	Certificate(id string) (*certgate.Certificate, error)
	// Domain returns the account's domain with its certificates; ENotFound
	// (Reason ReasonNoDomain) for any other.
	Domain(instanceID, groupID, id string) (*Served, error)
	// DomainsNamed returns the account's domains of that name (every one,
	// on every listener), in the instances given or in all of the
	// account's when instanceIDs is empty, ordered by (CreatedAt, ID).
	DomainsNamed(name string, instanceIDs []string) ([]*Served, error)
	// Holding returns the domains certificateID is bound to, ordered by
	// (CreatedAt, ID).
	Holding(certificateID string) ([]*Served, error)
}

// Served is a domain with the certificates bound to it, in binding order.
type Served struct {
	Domain       *certgate.Domain
	Certificates []*certgate.Certificate
}

// BindingEdit is what a ChangeBindings plan writes.
type BindingEdit struct {
	Bind        []*certgate.Binding
	Unbind      []*certgate.Binding // by DomainID and CertificateID
	Domains     []*certgate.Domain
	Certificate *certgate.Certificate
}

// RestAPIs holds Amazon API Gateway REST APIs, scoped per account and
// region like client certificates: a method given a Scope never reads,
// changes or reveals another scope's API (ENotFound, exactly like a missing
// one). The same holds for Resources and Methods, which are reached through
// their API's scope. None of these writes moves the configuration revision:
// only deployments are served, and a deployment is a snapshot taken by its
// own write. DeleteAccount removes an account's REST APIs with it.
type RestAPIs interface {
	// CreateRestAPI inserts api and its root resource (root.ID, no parent,
	// no path part) atomically; on success api.Version is 1 and
	// api.RootResourceID is root.ID. When quota > 0 and the scope already
	// holds quota APIs it fails with ELimitExceeded (Reason "rest_apis",
	// Limit quota); the check and the insert are atomic. It fails with
	// EConflict (Reason "duplicate_id") when an id is taken, and with
	// ENotFound (Reason ReasonDeletedAccount) as CreateCertificate does.
	CreateRestAPI(ctx context.Context, api *certgate.RestAPI, root *certgate.Resource, quota int) error

	// GetRestAPI returns the API id of scope.
	GetRestAPI(ctx context.Context, scope certgate.Scope, id string) (*certgate.RestAPI, error)

	// ListRestAPIs returns the APIs of scope ordered by (CreatedAt, ID).
	ListRestAPIs(ctx context.Context, scope certgate.Scope) ([]*certgate.RestAPI, error)

	// UpdateRestAPI replaces every field of the stored API but ID, Scope,
	// RootResourceID and CreatedAt if its Version equals api.Version (then
	// one higher); ENotFound, or EConflict (Reason "version").
	UpdateRestAPI(ctx context.Context, api *certgate.RestAPI) error

	// DeleteRestAPI removes the API with its resources and methods, and
	// frees its quota slot; ENotFound when there is none.
	DeleteRestAPI(ctx context.Context, scope certgate.Scope, id string) error
}

// Resources holds the path tree of each REST API. The tree has a version
// that every successful resource write moves: the core reads the tree,
// checks its path rules against it, and writes with the version it read,
// so two writers racing can never together break a rule (the loser gets
// EConflict, Reason "version", and reads again).
type Resources interface {
	// ListResources returns every resource of the API, root included,
	// ordered by (CreatedAt, ID), with the tree version they are at. It
	// fails with ENotFound when the API is not scope's.
	ListResources(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Resource, int64, error)

	// CreateResource inserts r under r.ParentID if the tree is still at
	// version tree. It fails with ENotFound (Reason ReasonNoRestAPI, or
	// ReasonNoParent), EConflict (Reason "version" or "duplicate_id"), and,
	// when quota > 0 and the API already holds quota resources (root
	// included), ELimitExceeded (Reason "resources", Limit quota).
	CreateResource(ctx context.Context, r *certgate.Resource, tree int64, quota int) error

	// UpdateResource replaces ParentID and PathPart of the stored resource
	// if the tree is still at version tree; ENotFound (also Reason
	// ReasonNoRestAPI, ReasonNoParent) or EConflict (Reason "version").
	// That the new parent is not in the resource's own subtree is the
	// core's rule.
	UpdateResource(ctx context.Context, r *certgate.Resource, tree int64) error

	// DeleteResource removes the resource, its whole subtree and their
	// methods, if the tree is still at version tree; ENotFound or EConflict
	// (Reason "version").
	DeleteResource(ctx context.Context, scope certgate.Scope, apiID, id string, tree int64) error
}

// Methods holds the methods of resources, each with its method responses
// and integration (with its integration responses) as one record.
type Methods interface {
	// CreateMethod inserts m (Version 1 on success). It fails with
	// ENotFound (Reason ReasonNoResource) unless m.ResourceID is a resource
	// of the API in m.Scope, checked in the same transaction (a concurrent
	// DeleteResource either removes the method or makes this fail), and
	// with EConflict (Reason "duplicate_method") when the resource already
	// has the method.
	CreateMethod(ctx context.Context, m *certgate.Method) error

	// GetMethod returns one method of a resource.
	GetMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) (*certgate.Method, error)

	// ListMethods returns the API's methods ordered by (ResourceID,
	// HTTPMethod); none for an unknown API.
	ListMethods(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Method, error)

	// UpdateMethod replaces everything but the keys of the stored method
	// (its responses and integration included) if its Version equals
	// m.Version (then one higher); ENotFound, or EConflict (Reason
	// "version").
	UpdateMethod(ctx context.Context, m *certgate.Method) error

	// DeleteMethod removes one method; ENotFound when there is none.
	DeleteMethod(ctx context.Context, scope certgate.Scope, apiID, resourceID, httpMethod string) error
}

// Deployments holds the immutable snapshots of REST APIs, scoped through
// their API like Resources. Creating, updating and deleting a deployment
// moves the configuration revision.
type Deployments interface {
	// CreateDeployment inserts d (its Snapshot as given, never changed
	// afterwards) and, when st is not nil, the stage st pointing at it
	// (st.DeploymentID is set to d.ID), in one transaction, with the
	// checks and quota of CreateStage. It fails with ENotFound (Reason
	// ReasonNoRestAPI) when the API is not d.Scope's.
	CreateDeployment(ctx context.Context, d *certgate.Deployment, st *certgate.Stage, stageQuota int) error

	// GetDeployment returns one deployment of the API.
	GetDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) (*certgate.Deployment, error)

	// ListDeployments returns the API's deployments ordered by (CreatedAt,
	// ID); none for an unknown API.
	ListDeployments(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Deployment, error)

	// UpdateDeployment replaces the description; ENotFound when there is
	// no such deployment.
	UpdateDeployment(ctx context.Context, scope certgate.Scope, apiID, id, description string) error

	// DeleteDeployment removes a deployment. While a stage points at it it
	// fails with EConflict (Reason ReasonDeploymentInUse, Got the number of
	// stages), atomically with stage writes: a stage moved to it
	// concurrently either commits first (and the delete fails) or fails
	// with ENotFound.
	DeleteDeployment(ctx context.Context, scope certgate.Scope, apiID, id string) error
}

// Stages holds the stages of REST APIs, scoped through their API. A stage
// points at a deployment of its API and may carry a client certificate
// (Kind client) of its own scope; both links are checked in the write's
// transaction, so a stage can never point at a deleted deployment or
// certificate: DeleteDeployment refuses a deployment in use, and
// DeleteCertificate refuses a client certificate a stage carries
// (EConflict, Reason ReasonCertificateInUse, Value a stage's name). Every
// successful write moves the configuration revision, and so does deleting
// a REST API that had stages.
type Stages interface {
	// CreateStage inserts st (Version 1 on success). It fails with
	// ENotFound (Reason ReasonNoRestAPI, ReasonNoDeployment, or
	// ReasonNoCertificate), EConflict (Reason "duplicate_stage") and, when
	// quota > 0 and the API already has quota stages, ELimitExceeded
	// (Reason "stages", Limit quota); the count and the insert are atomic.
	CreateStage(ctx context.Context, st *certgate.Stage, quota int) error

	// GetStage returns one stage of the API.
	GetStage(ctx context.Context, scope certgate.Scope, apiID, name string) (*certgate.Stage, error)

	// ListStages returns the API's stages ordered by name; none for an
	// unknown API.
	ListStages(ctx context.Context, scope certgate.Scope, apiID string) ([]*certgate.Stage, error)

	// UpdateStage replaces DeploymentID, ClientCertificateID, the settings
	// and UpdatedAt of the stored stage if its Version equals st.Version
	// (then one higher). It fails with ENotFound (also Reason
	// ReasonNoDeployment or ReasonNoCertificate for a link that is not
	// there) and EConflict (Reason "version").
	UpdateStage(ctx context.Context, st *certgate.Stage) error

	// DeleteStage removes one stage; ENotFound when there is none.
	DeleteStage(ctx context.Context, scope certgate.Scope, apiID, name string) error
}

// Reasons of the errors of deployments and stages.
const (
	ReasonNoDeployment     = "no_deployment"
	ReasonDeploymentInUse  = "deployment_in_use"
	ReasonCertificateInUse = "certificate_in_use"
)

// Reasons of the ENotFound errors of REST API writes.
const (
	ReasonNoRestAPI  = "no_rest_api"
	ReasonNoParent   = "no_parent"
	ReasonNoResource = "no_resource"
)

// Reasons of the ENotFound and EConflict errors of bindings.
const (
	ReasonNoDomain      = "no_domain"
	ReasonNoCertificate = "no_certificate"
	ReasonNoBinding     = "no_binding"
	// ReasonCertificateBound: EConflict from DeleteCertificate; Got is the
	// number of domains that hold the certificate.
	ReasonCertificateBound = "certificate_bound"
)

// ReasonNoGroup is the Reason of the ENotFound a write gets when the group
// it names is not the account's (in that instance).
const ReasonNoGroup = "no_group"

// ReasonNoInstance is the Reason of the ENotFound a write gets when the
// instance it names is not the account's.
const ReasonNoInstance = "no_instance"

// Nodes holds the heartbeats of running servers.
type Nodes interface {
	// Heartbeat records that node n is alive and holds the master keys
	// n.KeyIDs, inserting or replacing the row of n.ID with n as given
	// (n.SeenAt included, stored like every time). Nodes call it every few
	// seconds, so that a master-key rotation can refuse to strand a node
	// that lacks the new key.
	Heartbeat(ctx context.Context, n NodeInfo) error

	// ListNodes returns the nodes whose SeenAt is at or after since,
	// ordered by ID; KeyIDs come back in the order they were given.
	ListNodes(ctx context.Context, since time.Time) ([]NodeInfo, error)

	// DeleteNode removes a node's row (a node stopping cleanly). A missing
	// row is not an error.
	DeleteNode(ctx context.Context, id string) error
}

// ListQuery selects certificate records. Empty filter fields match anything.
type ListQuery struct {
	Scope certgate.Scope
	Kind  certgate.Kind

	// After is a keyset cursor: only records strictly after (CreatedAt, ID)
	// in list order are returned.
	After *Cursor
	// Offset skips this many matching records (after After is applied).
	Offset int
	// Limit caps the number of records returned; <= 0 means no cap.
	Limit int

	Name               string // exact match
	CommonName         string // exact match
	SignatureAlgorithm string // exact match
	KeyAlgorithm       string // exact match
	InstanceID         string // exact match
	// Type is "global" (no instance id) or "instance" (an instance id);
	// empty matches both.
	Type string
}

// ReasonDeletedAccount is the Reason of the EConflict error CreateAccount
// fails with when the id belonged to a deleted account.
const ReasonDeletedAccount = "deleted_account"

// DeletedAccountKey is the meta key of a deleted account's tombstone.
func DeletedAccountKey(id string) string { return "deleted_account:" + id }

// Values of ListQuery.Type.
const (
	TypeGlobal   = "global"
	TypeInstance = "instance"
)

// ReasonDamaged is the Reason of the EUnavailable error of a database that
// can no longer take writes safely (see Ping).
const ReasonDamaged = "database_damaged"

// Cursor is a position in list order.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Types of sealed values.
const (
	SealedCertificateKey = "certificate"
	SealedAccessKey      = "access_key"
)

// SealedItem is one value sealed under a master key, with what its
// additional authenticated data is built from.
type SealedItem struct {
	Type      string // SealedCertificateKey or SealedAccessKey
	ID        string // certificate id or access key id
	AccountID string
	Kind      certgate.Kind // certificates only
	Envelope  []byte
	KeyID     string
}

// SealedCursor is a position in ListSealed order; the zero value is the
// start.
type SealedCursor struct {
	Type string
	ID   string
}

// NodeInfo is a running server as it announces itself (see Heartbeat).
type NodeInfo struct {
	ID       string   // random per process
	Hostname string   // os.Hostname, for the operator
	Addr     string   // the API listen address
	KeyIDs   []string // loaded master key ids, current first
	SeenAt   time.Time
}

// APIs holds API definitions, each in one group, scoped like groups (by
// account and instance: another's is ENotFound, exactly like a missing
// one). Within a group a Name is unique (EConflict, Reason
// "duplicate_name"), and so is (Method, Route, MatchMode) (EConflict,
// Reason "duplicate_route"). Writing a definition serves nothing (only a
// publication does), so these writes leave the configuration revision
// alone.
type APIs interface {
	// CreateAPI inserts a (Version 1 on success). It fails with ENotFound
	// (Reason ReasonNoGroup) unless a.GroupID is a group of a.AccountID
	// and a.InstanceID, checked in the same transaction (DeleteGroup
	// waits for it, or it finds no group), and with EConflict (Reason
	// "duplicate_id") when a.ID is taken.
	CreateAPI(ctx context.Context, a *certgate.API) error

	// GetAPI returns the API id of the account's instance.
	GetAPI(ctx context.Context, accountID, instanceID, id string) (*certgate.API, error)

	// ListAPIs returns the APIs of the account's instance ordered by
	// (CreatedAt, ID).
	ListAPIs(ctx context.Context, accountID, instanceID string) ([]*certgate.API, error)

	// UpdateAPI replaces every field of the stored API a.ID but its ids,
	// CreatedAt and Version (GroupID included: the new group is checked
	// as CreateAPI checks it) if its Version equals a.Version; on success
	// the stored and returned Version is one higher. It fails with
	// ENotFound, EConflict (Reason "version") for a stale version, and the
	// uniqueness conflicts. Published versions are not changed.
	UpdateAPI(ctx context.Context, a *certgate.API) error

	// DeleteAPI removes the API with its published versions' history. It
	// fails with ENotFound when there is none, and with EConflict (Reason
	// ReasonAPIPublished, Got the number of environments) while it is
	// published anywhere.
	DeleteAPI(ctx context.Context, accountID, instanceID, id string) error
}

// Environments holds the environments of instances other than RELEASE
// (certgate.ReleaseEnvironmentID), which every instance has without a
// record and which these methods never return. They are scoped like
// groups. A Name is unique within an instance (EConflict, Reason
// "duplicate_name"). UpdateEnvironment moves the configuration revision
// (a rename changes which X-Stage reaches its publications); creating and
// deleting do not (an environment without publications serves nothing).
type Environments interface {
	// CreateEnvironment inserts e (Version 1 on success). It fails with
	// ENotFound (Reason ReasonNoInstance) unless e.InstanceID is an
	// instance of e.AccountID, and, when max > 0 and the instance already
	// has max environments, with ELimitExceeded (Reason "environments");
	// the checks and the insert are atomic.
	CreateEnvironment(ctx context.Context, e *certgate.Environment, max int) error

	// GetEnvironment returns the environment id of the account's instance.
	GetEnvironment(ctx context.Context, accountID, instanceID, id string) (*certgate.Environment, error)

	// ListEnvironments returns the environments of the account's instance
	// ordered by (CreatedAt, ID).
	ListEnvironments(ctx context.Context, accountID, instanceID string) ([]*certgate.Environment, error)

	// UpdateEnvironment replaces Name and Remark of the stored e.ID if its
	// Version equals e.Version (then one higher), failing as UpdateGroup
	// does.
	UpdateEnvironment(ctx context.Context, e *certgate.Environment) error

	// DeleteEnvironment removes the environment. It fails with ENotFound
	// when there is none, and with EConflict (Reason
	// ReasonEnvironmentInUse, Got the number of APIs) while APIs are
	// published in it, checked in the same transaction as Publish's.
	DeleteEnvironment(ctx context.Context, accountID, instanceID, id string) error
}

// Publications holds the immutable published versions of APIs and, per
// (API, environment), the current one. They are scoped like APIs. Publish
// and Unpublish move the configuration revision. The writes on one API
// run one at a time across every handle (they hold the API's lock), so
// two handles publishing the same API at once both succeed, each with a
// version of its own, and the publication names one of them.
type Publications interface {
	// Publish records v, a new version of the API v.APIID in the
	// environment v.EnvID, and makes it the current one there. v carries
	// the ids (ID, PublishID, AccountID, InstanceID, APIID, EnvID), Remark
	// and PublishedAt; the store fills v.API with the definition as it is
	// stored at that moment, in the same transaction, and sets v.Current.
	// Versions of that API and environment beyond the keep newest (by
	// PublishedAt) are deleted, never the current one; keep <= 0 keeps
	// all. It fails with ENotFound (Reason ReasonNoAPI) for another's or a
	// missing API, with ENotFound (Reason ReasonNoEnvironment) unless
	// v.EnvID is ReleaseEnvironmentID or an environment of the same
	// instance, and with EConflict (Reason "duplicate_id") when v.ID is
	// taken.
	Publish(ctx context.Context, v *certgate.APIVersion, keep int) error

	// Unpublish takes the API off the environment and returns the version
	// that was current there (Current now false). Its versions stay. It
	// fails with ENotFound (Reason ReasonNoAPI) for the API, and ENotFound
	// (Reason ReasonNoPublication) when it is not published there.
	Unpublish(ctx context.Context, accountID, instanceID, apiID, envID string) (*certgate.APIVersion, error)

	// ListPublications returns the current publications of the account's
	// instance ordered by (PublishedAt, APIID, EnvID).
	ListPublications(ctx context.Context, accountID, instanceID string) ([]*certgate.Publication, error)

	// ListAPIVersions returns the versions of the API, in every
	// environment, newest first (PublishedAt descending, then ID). It
	// fails with ENotFound (Reason ReasonNoAPI) for another's or a missing
	// API.
	ListAPIVersions(ctx context.Context, accountID, instanceID, apiID string) ([]*certgate.APIVersion, error)
}

// Reasons of the errors of APIs, environments and publications.
const (
	ReasonNoAPI            = "no_api"
	ReasonNoEnvironment    = "no_environment"
	ReasonNoPublication    = "no_publication"
	ReasonAPIPublished     = "api_published"
	ReasonEnvironmentInUse = "environment_in_use"
	ReasonGroupHasAPIs     = "group_has_apis"
)
