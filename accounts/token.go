package accounts

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"strings"
)

// Tokens for X-Auth-Token are certgate's own format (Huawei IAM's tokens are
// not reproduced; only the header is Huawei's). They are opaque: 32 random bytes, base64url without
// padding, behind a prefix that makes them recognisable in logs and secret
// scanners. Only their hash is stored, so a leaked store yields no usable
// token.
const (
	tokenPrefix = "cgt_"
	tokenBytes  = 32
	tokenLen    = len(tokenPrefix) + (tokenBytes*8+5)/6 // 4 + 43
	// The salt names hwsign, where the format was first written; it stays,
	// because every stored hash is computed with it.
	tokenHashSalt = "certgate/hwsign/x-auth-token/v1\x00"
)

// NewToken returns a fresh token read from random (crypto/rand.Reader in
// production) and its storage hash, HashToken(token).
func NewToken(random io.Reader) (token, hash string, err error) {
	if random == nil {
		return "", "", errors.New("accounts: NewToken needs a random source")
	}
	var b [tokenBytes]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", "", errors.New("accounts: reading random token bytes: " + err.Error())
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken returns the storage hash of a presented token: hex SHA-256 over a
// domain-separation prefix and the token. The prefix keeps these hashes apart
// from any other SHA-256 certgate stores. A plain hash suffices because the
// token has 256 bits of entropy: there is nothing to brute-force.
func HashToken(token string) string {
	h := sha256.New()
	h.Write([]byte(tokenHashSalt))
	h.Write([]byte(token))
	return hex.EncodeToString(h.Sum(nil))
}

// LooksLikeToken reports whether token has the form NewToken produces
// (prefix, length, base64url alphabet, canonical last character), so that
// garbage is rejected before any store lookup. It says nothing about whether
// the token exists.
func LooksLikeToken(token string) bool {
	if len(token) != tokenLen || !strings.HasPrefix(token, tokenPrefix) {
		return false
	}
	for i := len(tokenPrefix); i < len(token); i++ {
		c := token[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false // also keeps out the \r and \n that base64 would skip
		}
	}
	var b [tokenBytes]byte
	// Strict rejects non-zero padding bits, so each token has one spelling.
	n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(token[len(tokenPrefix):]))
	return err == nil && n == tokenBytes
}
