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
		return &certgate.Error{Code: certgate.EInternal, Message: "Internal server error", Err: fmt.Errorf("empty account in scope")}
	}
	return nil
}

func validateID(kind certgate.Kind, id string) error {
	name := "Client Certificate"
	if kind == certgate.KindServer {
		name = "certificate"
	}
	if id == "" {
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: "empty_id",
			Message: fmt.Sprintf("Invalid %s identifier specified: the identifier is empty", name)}
	}
	if !utf8.ValidString(id) {
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: "bad_utf8",
			Message: fmt.Sprintf("Invalid %s identifier specified: the identifier is not valid UTF-8", name)}
	}
	if len(id) > MaxIDLen {
		return &certgate.Error{Code: certgate.EInvalid, Field: "id", Reason: "bad_id",
			Message: fmt.Sprintf("Invalid %s identifier specified: identifiers are at most %d characters", name, MaxIDLen)}
	}
	return nil
}

// ValidateDescription checks a description.
func ValidateDescription(d string) error {
	if !utf8.ValidString(d) {
		return &certgate.Error{Code: certgate.EInvalid, Field: "description", Message: "Invalid description: not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		return &certgate.Error{Code: certgate.EInvalid, Field: "description",
			Message: fmt.Sprintf("1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d (got %d)", MaxDescriptionLen, n)}
	}
	for _, r := range d {
		if r == 0 {
			return &certgate.Error{Code: certgate.EInvalid, Field: "description", Message: "Invalid description: NUL characters are not allowed"}
		}
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
	return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
		Message: fmt.Sprintf("Too many tags: a resource can have at most %d tags (got %d)", MaxTags, n)}
}

func validateTagKey(k string) error {
	switch {
	case k == "":
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags", Message: "Invalid tag key: tag keys must be 1 to 128 characters long"}
	case !utf8.ValidString(k):
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags", Message: "Invalid tag key: not valid UTF-8"}
	case utf8.RuneCountInString(k) > MaxTagKeyLen:
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: fmt.Sprintf("Invalid tag key '%s': tag keys must be 1 to %d characters long", clip(k), MaxTagKeyLen)}
	case strings.HasPrefix(strings.ToLower(k), "aws:"):
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: fmt.Sprintf("Invalid tag key '%s': the prefix 'aws:' is reserved", clip(k))}
	case !tagChars(k):
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: fmt.Sprintf("Invalid tag key '%s': tag keys may contain only letters, digits, spaces and + - = . _ : / @", clip(k))}
	}
	return nil
}

func validateTagValue(k, v string) error {
	switch {
	case !utf8.ValidString(v):
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags", Message: "Invalid tag value: not valid UTF-8"}
	case utf8.RuneCountInString(v) > MaxTagValueLen:
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: fmt.Sprintf("Invalid tag value for key '%s': tag values must be at most %d characters long", clip(k), MaxTagValueLen)}
	case !tagChars(v):
		return &certgate.Error{Code: certgate.EInvalid, Field: "tags",
			Message: fmt.Sprintf("Invalid tag value for key '%s': tag values may contain only letters, digits, spaces and + - = . _ : / @", clip(k))}
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

// clip shortens user input echoed in a message.
func clip(s string) string {
	const max = 64
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "..."
}
