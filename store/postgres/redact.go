package postgres

// RedactURL returns a database URL fit for a log line or a message: the
// userinfo password and the password and sslpassword query values are
// masked as xxxxx. A string that is not a URL (no "://") comes back as
// xxxxx whole, since a keyword/value string ("host=… password=…") would
// show its password. It is the one redaction certgate uses everywhere.
func RedactURL(raw string) string {
	shown, _, _ := redactURL(raw)
	return shown
}
