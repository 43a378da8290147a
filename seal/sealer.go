package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/certgate/certgate"
)

// MissingKeyReason is the certgate.Error Reason of opening a value sealed
// under a master key that is not loaded.
const MissingKeyReason = "master_key_missing"

// missingKeyRetryAfter is long: only an operator can give the node its key.
const missingKeyRetryAfter = 30 * time.Second

var (
	// ErrUnknownKey means a record was sealed under a master key that is not
	// loaded. Errors wrapping it name the key id.
	ErrUnknownKey = errors.New("seal: unknown master key")
	// ErrDecrypt means an envelope could not be opened: the key is wrong,
	// the envelope or its additional data was altered, or it is malformed.
	ErrDecrypt = errors.New("seal: decryption failed")
)

// Envelope layout (version 1):
//
//	version (1) | wrap nonce (12) | wrapped data key (32+16) | data nonce (12) | data ciphertext+tag
const (
	version1   = 1
	nonceSize  = 12
	tagSize    = 16
	dekSize    = 32
	wrappedLen = dekSize + tagSize
	headerLen  = 1 + nonceSize + wrappedLen + nonceSize
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = headerLen + tagSize
)

// wrapAAD is the additional data of the data-key wrapping. Binding the
// format version and the key id means an envelope cannot be presented as
// sealed under another key or format, even if key material were shared.
func wrapAAD(version byte, keyID string) []byte {
	b := make([]byte, 0, 32+len(keyID))
	b = append(b, "certgate seal wrap\x00"...)
	b = append(b, version, 0)
	return append(b, keyID...)
}

// Sealer seals with one master key and opens with any loaded one. It is
// safe for concurrent use.
type Sealer struct {
	current string
	keys    map[string]cipher.AEAD // by key id
	ids     []string               // loaded ids, current first, for messages
	random  io.Reader
}

// NewSealer seals with current and opens records sealed under current or
// any of older, which is how a master key is rotated: load the new key as
// current and the old one as older, re-seal, then drop the old one. It
// panics if current is nil, a programming error. The random source is
// crypto/rand.Reader; see WithRandom.
func NewSealer(current *MasterKey, older ...*MasterKey) *Sealer {
	if current == nil {
		panic("seal: NewSealer: nil current master key")
	}
	s := &Sealer{current: current.id, keys: map[string]cipher.AEAD{}, random: rand.Reader}
	for _, k := range append([]*MasterKey{current}, older...) {
		if k == nil {
			continue
		}
		if _, dup := s.keys[k.id]; dup {
			continue
		}
		s.keys[k.id] = newGCM(k.key[:])
		s.ids = append(s.ids, k.id)
	}
	return s
}

// WithRandom returns a Sealer that shares s's keys but draws data keys and
// nonces from random, which must be safe for concurrent use (nil selects
// crypto/rand.Reader).
func (s *Sealer) WithRandom(random io.Reader) *Sealer {
	c := *s
	c.random = random
	if random == nil {
		c.random = rand.Reader
	}
	return &c
}

func newGCM(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // only for a key length other than 16, 24 or 32
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err) // only for unusual nonce or tag sizes
	}
	return aead
}

// CurrentKeyID returns the id of the key Seal uses.
func (s *Sealer) CurrentKeyID() string { return s.current }

// KeyIDs returns the ids of all loaded keys, current first.
func (s *Sealer) KeyIDs() []string { return slices.Clone(s.ids) }

// Seal encrypts plaintext under a fresh random 256-bit data key
// (AES-256-GCM, random 96-bit nonce, additional data aad), then wraps the
// data key under the current master key (AES-256-GCM, random nonce, with
// the key id and format version as additional data). It returns the
// envelope and the id of the master key, which the caller stores beside it.
//
// Random nonces are safe here: each data key encrypts exactly one message,
// and the master key wraps one 32-byte key per record, far below the 2^32
// messages at which random 96-bit nonces would risk a collision.
func (s *Sealer) Seal(plaintext, aad []byte) (envelope []byte, keyID string, err error) {
	var dek [dekSize]byte
	defer clear(dek[:])
	env := make([]byte, headerLen, headerLen+len(plaintext)+tagSize)
	env[0] = version1
	wrapNonce := env[1 : 1+nonceSize]
	dataNonce := env[headerLen-nonceSize : headerLen]
	if _, err := io.ReadFull(s.random, dek[:]); err != nil {
		return nil, "", fmt.Errorf("seal: generate data key: %w", err)
	}
	if _, err := io.ReadFull(s.random, wrapNonce); err != nil {
		return nil, "", fmt.Errorf("seal: generate nonce: %w", err)
	}
	if _, err := io.ReadFull(s.random, dataNonce); err != nil {
		return nil, "", fmt.Errorf("seal: generate nonce: %w", err)
	}
	wrapped := s.keys[s.current].Seal(nil, wrapNonce, dek[:], wrapAAD(version1, s.current))
	copy(env[1+nonceSize:], wrapped)
	env = newGCM(dek[:]).Seal(env, dataNonce, plaintext, aad)
	return env, s.current, nil
}

// Open reverses Seal. It fails with an error wrapping ErrUnknownKey when
// keyID is not loaded, and one wrapping ErrDecrypt when the envelope does
// not authenticate. Errors never contain plaintext or key material.
//
// An unknown key is a *certgate.Error with Code EUnavailable and Reason
// MissingKeyReason: the record is fine, this process lacks the key (a
// rotation moved records to a key it was not given), so a client should
// be told to retry, and the operator to give the node the key.
func (s *Sealer) Open(envelope []byte, keyID string, aad []byte) ([]byte, error) {
	mk, ok := s.keys[keyID]
	if !ok {
		return nil, &certgate.Error{Code: certgate.EUnavailable, Reason: MissingKeyReason,
			Message: "A master key this server needs is not loaded", RetryAfter: missingKeyRetryAfter,
			Err: fmt.Errorf("%w %s (loaded: %s)", ErrUnknownKey, quoteID(keyID), strings.Join(s.ids, ", "))}
	}
	if len(envelope) < Overhead {
		return nil, fmt.Errorf("%w: envelope is %d bytes, shorter than the minimum %d", ErrDecrypt, len(envelope), Overhead)
	}
	if envelope[0] != version1 {
		return nil, fmt.Errorf("%w: unsupported envelope version %d", ErrDecrypt, envelope[0])
	}
	wrapNonce := envelope[1 : 1+nonceSize]
	wrapped := envelope[1+nonceSize : 1+nonceSize+wrappedLen]
	dataNonce := envelope[headerLen-nonceSize : headerLen]
	dek, err := mk.Open(nil, wrapNonce, wrapped, wrapAAD(version1, keyID))
	if err != nil {
		return nil, fmt.Errorf("%w: data key does not authenticate under master key %s (wrong key, or the envelope was altered)", ErrDecrypt, keyID)
	}
	defer clear(dek)
	pt, err := newGCM(dek).Open(nil, dataNonce, envelope[headerLen:], aad)
	if err != nil {
		return nil, fmt.Errorf("%w: data does not authenticate (the envelope or its associated data was altered)", ErrDecrypt)
	}
	return pt, nil
}

// quoteID prints a key id from storage safely: ids are short ASCII, but a
// corrupt row could hold anything.
func quoteID(id string) string {
	if len(id) > 40 {
		id = id[:40] + "..."
	}
	return fmt.Sprintf("%q", id)
}

// Canary format: prefix, key id, base64 envelope, separated by dots.
const (
	canaryPrefix    = "cgcanary1"
	canaryPlaintext = "certgate master key canary"
	canaryAAD       = "certgate canary"
)

// Canary returns a value to store in the database when it is first set up.
// At every start, CheckCanary proves the configured master key is the one
// the database was sealed with, so a misconfigured server refuses to start
// instead of failing on every record later.
func (s *Sealer) Canary() (string, error) {
	env, id, err := s.Seal([]byte(canaryPlaintext), []byte(canaryAAD))
	if err != nil {
		return "", err
	}
	return canaryPrefix + "." + id + "." + base64.RawURLEncoding.EncodeToString(env), nil
}

// CheckCanary verifies a canary stored by Canary against the loaded keys.
// A canary sealed under a key that is not loaded yields an error wrapping
// ErrUnknownKey that names both keys; one that names a loaded key but does
// not decrypt, or is malformed, yields an error wrapping ErrDecrypt that says
// the canary is corrupt. The messages are meant for the operator, verbatim.
func (s *Sealer) CheckCanary(stored string) error {
	parts := strings.Split(strings.TrimSpace(stored), ".")
	if len(parts) != 3 || parts[0] != canaryPrefix || !validKeyID(parts[1]) {
		return &canaryError{ErrDecrypt, "master key canary in the database is malformed (corrupt database, or not a certgate database?)"}
	}
	id := parts[1]
	if _, ok := s.keys[id]; !ok {
		return &canaryError{ErrUnknownKey, fmt.Sprintf(
			"master key mismatch: the database was sealed with master key %s, but the configured master key is %s%s (check --master-key-file / CERTGATE_MASTER_KEY)",
			id, s.current, s.olderList())}
	}
	env, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return &canaryError{ErrDecrypt, fmt.Sprintf("master key canary in the database is corrupt: it names master key %s but its ciphertext is not valid base64", id)}
	}
	pt, err := s.Open(env, id, []byte(canaryAAD))
	if err != nil || !bytes.Equal(pt, []byte(canaryPlaintext)) {
		return &canaryError{ErrDecrypt, fmt.Sprintf("master key canary in the database is corrupt: it names master key %s, which is configured, but does not decrypt with it", id)}
	}
	return nil
}

// canaryError reads as an operator-facing sentence while still matching
// ErrUnknownKey or ErrDecrypt with errors.Is.
type canaryError struct {
	kind error
	msg  string
}

func (e *canaryError) Error() string { return e.msg }
func (e *canaryError) Unwrap() error { return e.kind }

// validKeyID reports whether id has the form ID produces: "mk-" and 16
// lowercase hex digits.
func validKeyID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "mk-")
	if !ok || len(hexPart) != 16 {
		return false
	}
	for i := 0; i < len(hexPart); i++ {
		c := hexPart[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Sealer) olderList() string {
	if len(s.ids) < 2 {
		return ""
	}
	return " (older keys loaded: " + strings.Join(s.ids[1:], ", ") + ")"
}
