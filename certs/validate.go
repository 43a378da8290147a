package certs

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/certgate/certgate"
)

// Limits on user-supplied fields. AWS documents the tag limits; the
// description limit is certgate's own (AWS documents none) and is generous.
const (
	MaxTags           = 50
	MaxTagKeyLen      = 128
	MaxTagValueLen    = 256
	MaxDescriptionLen = 1024
	MaxIDLen          = 128
)

// ClientIDLen is the length of generated client certificate ids. AWS uses six
// characters for client certificates and ten for REST API ids; ten keeps ids
// short and AWS-like while making collisions negligible without per-scope
// bookkeeping.
const ClientIDLen = 10

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newClientID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	// Rejection sampling keeps every character equally likely.
	out := make([]byte, 0, ClientIDLen)
	buf := make([]byte, 16)
	for len(out) < ClientIDLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("random id: %w", err)
		}
		for _, b := range buf {
			if int(b) < 252 && len(out) < ClientIDLen { // 252 = 7*36
				out = append(out, idAlphabet[int(b)%len(idAlphabet)])
			}
		}
	}
	return string(out), nil
}

func validateScope(s certgate.Scope) error {
	if s.AccountID == "" {
		return &certgate.Error{Code: certgate.EInternal, Reason: ReasonNoScope, Message: "Internal server error", Err: fmt.Errorf("empty account in scope")}
	}
	return nil
}

func validateID(id string) error {
	switch {
	case id == "":
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: ReasonEmptyID, Message: "the identifier is empty"}
	case !utf8.ValidString(id):
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: ReasonBadUTF8, Message: "the identifier is not valid UTF-8"}
	case len(id) > MaxIDLen:
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: ReasonBadID, Limit: MaxIDLen, Got: len(id),
			Message: fmt.Sprintf("identifiers are at most %d characters", MaxIDLen)}
	}
	return nil
}

// ValidateDescription checks a description.
func ValidateDescription(d string) error {
	if !utf8.ValidString(d) {
		return &certgate.Error{Code: certgate.EInvalid, Field: "description", Reason: ReasonBadUTF8, Message: "the description is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		return &certgate.Error{Code: certgate.EInvalid, Field: "description", Reason: ReasonTooLong, Limit: MaxDescriptionLen, Got: n,
			Message: fmt.Sprintf("the description is %d characters, more than the %d allowed", n, MaxDescriptionLen)}
	}
	if strings.ContainsRune(d, 0) {
		return &certgate.Error{Code: certgate.EInvalid, Field: "description", Reason: ReasonNULChar, Message: "the description holds a NUL character"}
	}
	return nil
}

// ValidateTags checks a tag map against AWS's rules: at most 50 tags; keys of
// 1 to 128 characters that do not start with "aws:"; values of at most 256
// characters; letters, digits, spaces and + - = . _ : / @ only.
func ValidateTags(tags map[string]string) error {
	if len(tags) > MaxTags {
		return tooManyTags(len(tags))
	}
	for k, v := range tags {
		if err := validateTagKey(k); err != nil {
			return err
		}
		if err := validateTagValue(k, v); err != nil {
			return err
		}
	}
	return nil
}

func tooManyTags(n int) error {
	return &certgate.Error{Code: certgate.EInvalid, Field: "tags", Reason: ReasonTooManyTags, Limit: MaxTags, Got: n,
		Message: fmt.Sprintf("a resource can have at most %d tags (got %d)", MaxTags, n)}
}

// tagError is an invalid tag: the key (or the key of the value) is Value.
func tagError(reason, key string, limit int, message string) error {
	return &certgate.Error{Code: certgate.EInvalid, Field: "tags", Reason: reason, Value: certgate.Clip(key), Limit: limit, Message: message}
}

func validateTagKey(k string) error {
	switch {
	case k == "":
		return tagError(ReasonTagKeyEmpty, k, MaxTagKeyLen, fmt.Sprintf("tag keys must be 1 to %d characters long", MaxTagKeyLen))
	case !utf8.ValidString(k):
		return tagError(ReasonTagKeyBadUTF8, "", 0, "a tag key is not valid UTF-8")
	case utf8.RuneCountInString(k) > MaxTagKeyLen:
		return tagError(ReasonTagKeyTooLong, k, MaxTagKeyLen, fmt.Sprintf("tag keys must be 1 to %d characters long", MaxTagKeyLen))
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return tagError(ReasonTagKeyReserved, k, 0, "the tag key prefix 'aws:' is reserved")
	case !tagChars(k):
		return tagError(ReasonTagKeyChars, k, 0, "tag keys may contain only letters, digits, spaces and + - = . _ : / @")
	}
	return nil
}

func validateTagValue(k, v string) error {
	switch {
	case !utf8.ValidString(v):
		return tagError(ReasonTagValueBadUTF8, "", 0, "a tag value is not valid UTF-8")
	case utf8.RuneCountInString(v) > MaxTagValueLen:
		return tagError(ReasonTagValueTooLong, k, MaxTagValueLen, fmt.Sprintf("tag values must be at most %d characters long", MaxTagValueLen))
	case !tagChars(v):
		return tagError(ReasonTagValueChars, k, 0, "tag values may contain only letters, digits, spaces and + - = . _ : / @")
	}
	return nil
}

func tagChars(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ' ' || strings.ContainsRune("+-=._:/@", r) {
			continue
		}
		return false
	}
	return true
}
