package accounts

import (
	"bytes"
	"sync"
)

// openedSecrets remembers the plaintext of access key secrets by their
// sealed envelope: every request resolves its key twice (the verifier's
// lookup and the account), and the store's record, read fresh each time
// (or served from memory only while provably current), says what the
// secret is. An entry is used only when the envelope and master key id
// read now are the ones it was opened from, so it can never answer for a
// key that was deleted, resealed or replaced: that is the store's read.
type openedSecrets struct {
	mu sync.Mutex
	m  map[string]openedSecret // by access key id
}

type openedSecret struct {
	envelope []byte
	keyID    string
	secret   string
}

// openedEntries bounds the map; a full map is emptied.
const openedEntries = 10000

func (o *openedSecrets) get(id string, envelope []byte, keyID string) (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, ok := o.m[id]
	if !ok || e.keyID != keyID || !bytes.Equal(e.envelope, envelope) {
		return "", false
	}
	return e.secret, true
}

func (o *openedSecrets) put(id string, envelope []byte, keyID, secret string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil || len(o.m) >= openedEntries {
		o.m = make(map[string]openedSecret)
	}
	o.m[id] = openedSecret{envelope: bytes.Clone(envelope), keyID: keyID, secret: secret}
}
