package certgate

// The additional authenticated data a sealed value is sealed with binds its
// envelope to the record that holds it, so that an envelope copied to another
// record (or tenant) fails to open. It is built here, once, because the
// services that seal (certs, accounts) and master-key rotation, which
// re-seals without loading whole records, must build the same bytes: a
// change here makes every existing sealed value unreadable.

// KeyAAD is the additional data a certificate's private key is sealed with.
func KeyAAD(id, accountID string, kind Kind) []byte {
	return []byte("certgate/key/v1|" + id + "|" + accountID + "|" + string(kind))
}

// SecretAAD is the additional data an access key's secret is sealed with.
func SecretAAD(accessKeyID string) []byte { return []byte("certgate/secret/v1|" + accessKeyID) }
