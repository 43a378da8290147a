package certgate

import "unicode/utf8"

// ClipLen is how many characters of a caller's input an error repeats.
const ClipLen = 64

// Clip cuts s to ClipLen characters and "...", the rule for Error.Value
// and for any input a dialect echoes in a message, so that an error never
// carries a request's worth of text. It counts runes, not bytes, so that
// a cut never splits a character.
func Clip(s string) string {
	if utf8.RuneCountInString(s) <= ClipLen {
		return s
	}
	return string([]rune(s)[:ClipLen]) + "..."
}
