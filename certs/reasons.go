package certs

import "github.com/certgate/certgate/store"

// Reasons of the core's errors, as certgate.Error.Reason. They are stable:
// each dialect writes its own sentence from the Reason, the Field and the
// numbers named here, never from the Message. Uploads also give pki's
// Reason* constants (Field names the part of the upload), and the store's
// reasons ("duplicate_id", "version") pass through unchanged.
const (
	// ReasonNoScope (EInternal): a caller passed a Scope without an account.
	ReasonNoScope = "no_scope"

	// Identifiers (Field "id").
	ReasonEmptyID = "empty_id" // the id is empty
	ReasonBadUTF8 = "bad_utf8" // the Field ("id" or "description") is not valid UTF-8
	ReasonBadID   = "bad_id"   // the id is longer than Limit (MaxIDLen) bytes

	// Descriptions (Field "description").
	ReasonTooLong = "too_long"      // Got characters, more than Limit (MaxDescriptionLen)
	ReasonNULChar = "nul_character" // the text holds a NUL character

	// Tags (Field "tags"; the tagKeys of an untag are tag keys too). Value
	// is the offending key, for the value reasons too.
	ReasonTooManyTags     = "too_many_tags"      // Got tags, more than Limit (MaxTags)
	ReasonTagKeyEmpty     = "tag_key_empty"      // keys are 1 to Limit (MaxTagKeyLen) characters
	ReasonTagKeyBadUTF8   = "tag_key_bad_utf8"   // no Value: it would not be valid text
	ReasonTagKeyTooLong   = "tag_key_too_long"   // longer than Limit (MaxTagKeyLen) characters
	ReasonTagKeyReserved  = "tag_key_reserved"   // starts with "aws:" in any case
	ReasonTagKeyChars     = "tag_key_chars"      // a character outside letters, digits, spaces and + - = . _ : / @
	ReasonTagValueBadUTF8 = "tag_value_bad_utf8" // no Value
	ReasonTagValueTooLong = "tag_value_too_long" // longer than Limit (MaxTagValueLen) characters
	ReasonTagValueChars   = "tag_value_chars"    // as ReasonTagKeyChars

	// Lists.
	ReasonOutOfRange  = "out_of_range" // Field ("limit") is Got, outside 1 to Limit (MaxPageLimit)
	ReasonBadPosition = "bad_position" // Field "position": malformed, forged, or of another list

	// ReasonMissing: the Field is required ("tagKeys", "name",
	// "cert_content", "private_key").
	ReasonMissing = "missing"
	// ReasonBadValue: the Field's value is not allowed ("name",
	// "instance_id", "algorithm_type"); Message says which values are.
	ReasonBadValue = "bad_value"

	// ReasonDuplicateName (EConflict, Field "name"): Value is the name
	// another certificate of the project holds.
	ReasonDuplicateName = "duplicate_name"
	// Quotas (ELimitExceeded): Limit is the quota that is full.
	ReasonClientQuota = "client_certificate_quota" // per account and region
	ReasonServerQuota = "server_certificate_quota" // per account (project)

	// ReasonBound (EConflict): the certificate is bound to Got custom
	// domains; unbind it before deleting it. (The store's reason.)
	ReasonBound = store.ReasonCertificateBound
	// ReasonInUse (EConflict): a stage carries the client certificate
	// (Value names one); detach it before deleting it. (The store's
	// reason.)
	ReasonInUse = store.ReasonCertificateInUse

	// ReasonAccountDeleted (EUnauthenticated): the caller's account was
	// deleted after its request authenticated (its key was still cached);
	// nothing was created. Dialects answer as for an unknown access key.
	ReasonAccountDeleted = "account_deleted"
)
