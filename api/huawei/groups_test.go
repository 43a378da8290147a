package huawei

import (
	"testing"

	"github.com/certgate/certgate"
)

var groupSeeds = []string{
	`{"name":"api_group_001","remark":"API group 1"}`,
	`{"name":"api_group_001","remark":"API group 1"}` + "\n",
	`{"name":"分组","roma_app_id":"x","version":"V2"}`,
	`{"name":5}`, `{"remark":null}`, `[]`, `{`, ``, `null`, `{"name":"a","name":"b"}`,
}

// FuzzDecodeGroupBody checks that any group body decodes, or fails with
// EInvalid, never anything else.
func FuzzDecodeGroupBody(f *testing.F) {
	for _, s := range groupSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeGroupBody(body)
		if err != nil {
			if certgate.ErrorCode(err) != certgate.EInvalid {
				t.Fatalf("non-EInvalid error %v", err)
			}
			return
		}
		if b == nil {
			t.Fatal("nil body without an error")
		}
	})
}
