package certs

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/certgate/certgate"
	"github.com/certgate/certgate/store"
)

// Pager encodes list cursors as opaque position tokens and checks them on the
// way back. A token is authenticated with HMAC-SHA256 and bound to the scope
// and kind it was issued for, so a client can neither forge nor replay one
// into another tenant's list. Every node sharing a database must use the same
// key (the server keeps it in the store's meta table).
type Pager struct {
	key []byte
}

// NewPager returns a Pager keyed with key (at least 32 bytes recommended).
func NewPager(key []byte) *Pager { return &Pager{key: append([]byte(nil), key...)} }

const (
	tokenVersion  = 1
	tokenMACLen   = 16
	maxTokenChars = 512
)

// Encode returns the token for cursor c in scope and kind.
func (p *Pager) Encode(scope certgate.Scope, kind certgate.Kind, c store.Cursor) string {
	payload := make([]byte, 0, 1+8+len(c.ID)+tokenMACLen)
	payload = append(payload, tokenVersion)
	payload = binary.BigEndian.AppendUint64(payload, uint64(c.CreatedAt.UnixMicro()))
	payload = append(payload, c.ID...)
	payload = append(payload, p.mac(scope, kind, payload)...)
	return base64.RawURLEncoding.EncodeToString(payload)
}

// Decode checks a token and returns its cursor. Any malformed, tampered or
// foreign token gives the same EInvalid error.
func (p *Pager) Decode(scope certgate.Scope, kind certgate.Kind, token string) (*store.Cursor, error) {
	bad := &certgate.Error{Code: certgate.EInvalid, Field: "position", Reason: ReasonBadPosition,
		Message: "the position token is malformed, or was not issued for this list"}
	if len(token) > maxTokenChars {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < 1+8+1+tokenMACLen || raw[0] != tokenVersion {
		return nil, bad
	}
	payload, mac := raw[:len(raw)-tokenMACLen], raw[len(raw)-tokenMACLen:]
	if !hmac.Equal(mac, p.mac(scope, kind, payload)) {
		return nil, bad
	}
	micros := int64(binary.BigEndian.Uint64(payload[1:9]))
	return &store.Cursor{CreatedAt: time.UnixMicro(micros).UTC(), ID: string(payload[9:])}, nil
}

func (p *Pager) mac(scope certgate.Scope, kind certgate.Kind, payload []byte) []byte {
	h := hmac.New(sha256.New, p.key)
	h.Write([]byte("certgate/position/v1\x00" + scope.AccountID + "\x00" + scope.Region + "\x00" + string(kind) + "\x00"))
	h.Write(payload)
	return h.Sum(nil)[:tokenMACLen]
}
