package sqlstore

import (
	"strconv"
	"strings"
	"sync"
)

var numbered sync.Map // query -> numbered query

// Number rewrites the ? placeholders of query as $1, $2, … for drivers
// that want them. The accessor's SQL holds no ? inside string literals.
func Number(query string) string {
	if v, ok := numbered.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	numbered.Store(query, out)
	return out
}
