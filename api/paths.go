package api

import (
	"net/http"
	"path"
	"sort"
	"strings"
)

// CleanPath reports whether p has no empty, "." or ".." segments; a trailing
// slash is allowed, so that handlers can explain what is missing. Dialects
// refuse unclean paths themselves because ServeMux would answer them with a
// redirect that is neither JSON nor covered by the signature.
func CleanPath(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

var probeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// AllowedMethods returns, sorted, the methods for which mux has a route
// (other than the catch-all "/") matching r's path. A dialect's catch-all
// uses it to tell a wrong method (405) from an unknown path (404).
func AllowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	sort.Strings(allow)
	return allow
}
