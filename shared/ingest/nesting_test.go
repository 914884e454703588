package ingest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nicechat-relay/nicechat-relay/shared/nicechat"
	"github.com/nicechat-relay/nicechat-relay/shared/nicechat/nicechattest"
)

// nested is a new_chat whose data member key holds a value of levels
// levels of arrays: with the body's and data's own, the body nests
// levels+2 deep.
func nested(key string, levels int) string {
	return `{"event":"new_chat","data":{"id":1,"` + key + `":` + strings.Repeat("[", levels) + strings.Repeat("]", levels) + `}}`
}

func TestRefusesNestingDeeperThanMaxDepthWith400NamingWhere(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"a push_form nesting thousands of levels in 55 KB", string(nicechattest.DeepForm(55 << 10)), 400, "data.result"},
		{"a push_form nesting thousands of levels in 250 KB", string(nicechattest.DeepForm(250 << 10)), 400, "data.result"},
		{"nesting MaxDepth levels", nested("x", nicechat.MaxDepth-2), 202, ""},
		{"nesting a level deeper", nested("x", nicechat.MaxDepth-1), 400, "data.x"},
		{"nesting a level deeper under a key that is not a plain name", nested(`x.y`, nicechat.MaxDepth-1), 400, "data"},
		{"nesting a level deeper beside data", `{"event":"new_chat","data":{"id":1},"meta":` + strings.Repeat("[", nicechat.MaxDepth) + strings.Repeat("]", nicechat.MaxDepth) + `}`, 400, "meta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRelay(t, nil)
			resp := r.post(t, token, []byte(tt.body), false)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
			if tt.status == 202 {
				return
			}
			got := decode(t, resp)
			want := fmt.Sprintf("nests deeper than %d levels", nicechat.MaxDepth)
			if e, _ := got["error"].(string); !strings.Contains(e, want) || tt.field != "" && !strings.HasPrefix(e, tt.field+" ") {
				t.Errorf("error %q, want %q saying %q", e, tt.field, want)
			}
			if f, _ := got["field"].(string); f != tt.field {
				t.Errorf("field %q, want %q", f, tt.field)
			}
			for _, q := range []string{"webhook", "email", "slack"} {
				if n := len(r.drain(t, q)); n != 0 {
					t.Errorf("%s queue got %d messages from a refused body", q, n)
				}
			}
			if q := r.drain(t, "quarantine"); len(q) != 1 || attr(q[0], "field") != tt.field || attr(q[0], "status") != "400" {
				t.Errorf("quarantine holds %d messages, want the body, with field %q and status 400", len(q), tt.field)
			}
		})
	}
}
