package rowcodec

import "strings"

// SplitList reverses strings.Join(list, ","): "" is the empty (nil) list.
// For values that never contain a comma, such as master key ids.
func SplitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
