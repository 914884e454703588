package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const (
	token   = "xoxb-test"
	channel = "C0123456789"
)

// reply is what the server answered to one call.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) err() string {
	s, _ := r.body["error"].(string)
	return s
}

// call sends body as JSON to method with the server's token.
func call(t *testing.T, s *Server, method string, body any) reply {
	t.Helper()
	return send(t, s, http.MethodPost, method, "Bearer "+s.Token, "application/json; charset=utf-8", body)
}

func send(t *testing.T, s *Server, httpMethod, method, auth, contentType string, body any) reply {
	t.Helper()
	r, err := trySend(s, httpMethod, method, auth, contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// trySend is send for goroutines other than the test's, which must not
// stop the test.
func trySend(s *Server, httpMethod, method, auth, contentType string, body any) (reply, error) {
	var payload []byte
	switch b := body.(type) {
	case string:
		payload = []byte(b)
	case []byte:
		payload = b
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return reply{}, err
		}
	}
	req, err := http.NewRequest(httpMethod, s.URL+"/"+method, bytes.NewReader(payload))
	if err != nil {
		return reply{}, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, nil
}

// mustPost posts fields and returns the new message's ts.
func mustPost(t *testing.T, s *Server, fields map[string]any) string {
	t.Helper()
	fields["channel"] = s.Channel
	r := call(t, s, "chat.postMessage", fields)
	if r.status != http.StatusOK || r.body["ok"] != true {
		t.Fatalf("chat.postMessage: %d %s", r.status, r.raw)
	}
	return r.body["ts"].(string)
}

func section(text string) map[string]any {
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
}

func summary(text string) []any {
	return []any{map[string]any{"color": "#36a64f", "blocks": []any{section(text)}}}
}

func TestPostsARootAndAReplyAndKeepsThem(t *testing.T) {
	s := New(t, token, channel)
	rootTS := mustPost(t, s, map[string]any{
		"text":         "New visitor",
		"blocks":       []any{section("*Ana* is on /pricing")},
		"attachments":  summary("2 pages viewed"),
		"unfurl_links": false,
	})
	r := call(t, s, "chat.postMessage", map[string]any{
		"channel": channel, "text": "Hello", "thread_ts": rootTS, "reply_broadcast": true,
	})
	if r.body["ok"] != true || r.body["channel"] != channel {
		t.Fatalf("reply: %s", r.raw)
	}
	replyTS := r.body["ts"].(string)
	msg := r.body["message"].(map[string]any)
	if msg["thread_ts"] != rootTS || msg["text"] != "Hello" || msg["ts"] != replyTS {
		t.Errorf("reply's message = %v", msg)
	}
	if !(rootTS < replyTS) {
		t.Errorf("ts not increasing: root %s, reply %s", rootTS, replyTS)
	}

	roots := s.Roots()
	if len(roots) != 1 || roots[0].TS != rootTS || roots[0].ThreadTS != "" || roots[0].Text != "New visitor" ||
		len(roots[0].Blocks) != 1 || len(roots[0].Attachments) != 1 || roots[0].PostedAt.IsZero() {
		t.Errorf("Roots() = %+v", roots)
	}
	replies := s.Replies(rootTS)
	if len(replies) != 1 || replies[0].TS != replyTS || replies[0].ThreadTS != rootTS || !replies[0].ReplyBroadcast {
		t.Errorf("Replies() = %+v", replies)
	}
	if got := len(s.Messages()); got != 2 {
		t.Errorf("Messages() has %d, want 2", got)
	}
	if got := s.Summary(roots[0]); got != "2 pages viewed" {
		t.Errorf("Summary = %q", got)
	}
	if got := s.Calls("chat.postMessage"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
}

func TestMessagesAreCopies(t *testing.T) {
	s := New(t, token, channel)
	mustPost(t, s, map[string]any{"blocks": []any{section("kept")}})
	got := s.Messages()
	got[0].Blocks[0][0] = 'X'
	got[0].Text = "changed"
	if again := s.Messages()[0]; again.Blocks[0][0] != '{' || again.Text != "" {
		t.Errorf("changing a copy changed the server: %+v", again)
	}
}

func TestRefusesAReplyToAThreadThatIsNotThere(t *testing.T) {
	s := New(t, token, channel)
	deleted := mustPost(t, s, map[string]any{"text": "root, later deleted"})
	s.Delete(deleted)
	root := mustPost(t, s, map[string]any{"text": "root"})
	reply := mustPost(t, s, map[string]any{"text": "reply", "thread_ts": root})

	for _, tc := range []struct{ name, threadTS string }{
		{"unknown root", "1700000000.000001"},
		{"deleted root", deleted},
		{"a reply, not a root", reply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "chat.postMessage", map[string]any{"channel": channel, "text": "hi", "thread_ts": tc.threadTS})
			if r.status != http.StatusOK || r.err() != "thread_not_found" {
				t.Errorf("got %d %s, want 200 thread_not_found", r.status, r.raw)
			}
		})
	}
	if n := len(s.Messages()); n != 3 {
		t.Errorf("%d messages kept, want 3", n)
	}
	if roots := s.Roots(); len(roots) != 1 || roots[0].TS != root {
		t.Errorf("Roots() = %+v, want only %s", roots, root)
	}
}

func TestUpdateKeepsOrDropsWhatItLeavesOutAsSlackDocuments(t *testing.T) {
	for _, tc := range []struct {
		name            string
		update          map[string]any
		wantText        string
		wantBlocks      int
		wantAttachments int
		wantSummary     string
	}{
		{
			name:     "attachments omitted are kept",
			update:   map[string]any{"blocks": []any{section("a"), section("b")}},
			wantText: "old", wantBlocks: 2, wantAttachments: 1, wantSummary: "old summary",
		},
		{
			name:     "an empty attachments array removes them",
			update:   map[string]any{"attachments": []any{}},
			wantText: "old", wantBlocks: 1, wantAttachments: 0,
		},
		{
			name:     "new attachments replace the old",
			update:   map[string]any{"attachments": summary("new summary")},
			wantText: "old", wantBlocks: 1, wantAttachments: 1, wantSummary: "new summary",
		},
		{
			name:     "text without blocks removes the blocks",
			update:   map[string]any{"text": "new"},
			wantText: "new", wantBlocks: 0, wantAttachments: 1, wantSummary: "old summary",
		},
		{
			name:     "blocks and text both omitted keep both",
			update:   map[string]any{"attachments": summary("new summary")},
			wantText: "old", wantBlocks: 1, wantAttachments: 1, wantSummary: "new summary",
		},
		{
			name:     "text and blocks given replace both",
			update:   map[string]any{"text": "new", "blocks": []any{section("a"), section("b"), section("c")}},
			wantText: "new", wantBlocks: 3, wantAttachments: 1, wantSummary: "old summary",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, token, channel)
			ts := mustPost(t, s, map[string]any{
				"text": "old", "blocks": []any{section("old block")}, "attachments": summary("old summary"),
			})
			tc.update["channel"], tc.update["ts"] = channel, ts
			r := call(t, s, "chat.update", tc.update)
			if r.body["ok"] != true || r.body["ts"] != ts || r.body["channel"] != channel || r.body["text"] != tc.wantText {
				t.Fatalf("chat.update: %d %s", r.status, r.raw)
			}
			m := s.Messages()[0]
			if m.Text != tc.wantText || len(m.Blocks) != tc.wantBlocks || len(m.Attachments) != tc.wantAttachments {
				t.Errorf("kept text %q, %d blocks, %d attachments; want %q, %d, %d",
					m.Text, len(m.Blocks), len(m.Attachments), tc.wantText, tc.wantBlocks, tc.wantAttachments)
			}
			if got := s.Summary(m); got != tc.wantSummary {
				t.Errorf("Summary = %q, want %q", got, tc.wantSummary)
			}
			if m.Updates != 1 {
				t.Errorf("Updates = %d, want 1", m.Updates)
			}
		})
	}
}

func TestUpdateCountsEachUpdate(t *testing.T) {
	s := New(t, token, channel)
	ts := mustPost(t, s, map[string]any{"text": "root", "attachments": summary("0")})
	for i := 1; i <= 3; i++ {
		r := call(t, s, "chat.update", map[string]any{"channel": channel, "ts": ts, "attachments": summary(fmt.Sprint(i))})
		if r.body["ok"] != true {
			t.Fatalf("update %d: %s", i, r.raw)
		}
	}
	m := s.Roots()[0]
	if m.Updates != 3 || s.Summary(m) != "3" || s.Calls("chat.update") != 3 {
		t.Errorf("Updates = %d, Summary = %q, Calls = %d; want 3, \"3\", 3", m.Updates, s.Summary(m), s.Calls("chat.update"))
	}
}

func TestUpdateOfAMessageThatIsNotThere(t *testing.T) {
	s := New(t, token, channel)
	deleted := mustPost(t, s, map[string]any{"text": "root"})
	s.Delete(deleted)
	for _, tc := range []struct{ name, ts string }{
		{"deleted", deleted},
		{"unknown", "1700000000.000001"},
		{"no ts", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "chat.update", map[string]any{"channel": channel, "ts": tc.ts, "text": "new"})
			if r.status != http.StatusOK || r.err() != "message_not_found" {
				t.Errorf("got %d %s, want 200 message_not_found", r.status, r.raw)
			}
		})
	}
	if m := s.Messages()[0]; !m.Deleted || m.Updates != 0 || m.Text != "root" {
		t.Errorf("deleted message changed: %+v", m)
	}
}

func TestScriptedRateLimitCarriesRetryAfterAndIsUsedOnce(t *testing.T) {
	s := New(t, token, channel)
	s.FailNext("chat.postMessage", Answer{HTTPStatus: http.StatusTooManyRequests, RetryAfter: 7})
	body := map[string]any{"channel": channel, "text": "hi"}

	r := call(t, s, "chat.postMessage", body)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "7" || r.err() != "ratelimited" {
		t.Errorf("first call: %d Retry-After %q %s; want 429, 7, ratelimited", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if r := call(t, s, "chat.postMessage", body); r.status != http.StatusOK || r.body["ok"] != true {
		t.Errorf("second call: %d %s; want ok", r.status, r.raw)
	}
	if got := s.Calls("chat.postMessage"); got != 2 {
		t.Errorf("Calls = %d, want 2", got)
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("%d messages kept, want 1", got)
	}
}

func TestScriptedAnswersAreTakenInOrderPerMethod(t *testing.T) {
	s := New(t, token, channel)
	ts := mustPost(t, s, map[string]any{"text": "root"})
	s.FailNext("chat.update",
		Answer{HTTPStatus: http.StatusServiceUnavailable, RetryAfter: 3},
		Answer{HTTPStatus: http.StatusInternalServerError},
		Answer{Error: "channel_not_found"},
	)
	body := map[string]any{"channel": channel, "ts": ts, "text": "new"}

	// A post between the updates does not take an update's answer.
	mustPost(t, s, map[string]any{"text": "another root"})

	r := call(t, s, "chat.update", body)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "3" || r.body != nil {
		t.Errorf("1st: %d Retry-After %q %q; want 503, 3, a text body", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if r := call(t, s, "chat.update", body); r.status != http.StatusInternalServerError {
		t.Errorf("2nd: %d %q; want 500", r.status, r.raw)
	}
	if r := call(t, s, "chat.update", body); r.status != http.StatusOK || r.err() != "channel_not_found" {
		t.Errorf("3rd: %d %s; want 200 channel_not_found", r.status, r.raw)
	}
	if r := call(t, s, "chat.update", body); r.body["ok"] != true {
		t.Errorf("4th: %d %s; want ok", r.status, r.raw)
	}
	if m := s.Roots()[0]; m.Updates != 1 || m.Text != "new" {
		t.Errorf("Updates = %d, Text = %q; want 1, new", m.Updates, m.Text)
	}
}

func TestScriptedMissingScopeCarriesNeeded(t *testing.T) {
	s := New(t, token, channel)
	s.FailNext("chat.postMessage", Answer{Error: "missing_scope", Needed: "chat:write"})
	r := call(t, s, "chat.postMessage", map[string]any{"channel": channel, "text": "hi"})
	if r.status != http.StatusOK || r.body["ok"] != false || r.err() != "missing_scope" ||
		r.body["needed"] != "chat:write" || r.body["provided"] != "channels:read" {
		t.Errorf("got %d %s", r.status, r.raw)
	}
}

func TestRefusesBadRequestsAsSlackDoes(t *testing.T) {
	post := map[string]any{"channel": channel, "text": "hi"}
	for _, tc := range []struct {
		name                            string
		httpMethod, method, auth, ctype string
		body                            any
		wantStatus                      int
		wantError                       string
	}{
		{"refuses a wrong token with invalid_auth", "POST", "chat.postMessage", "Bearer xoxb-other", "application/json", post, 200, "invalid_auth"},
		{"refuses a token of another scheme with invalid_auth", "POST", "chat.postMessage", "Basic " + token, "application/json", post, 200, "invalid_auth"},
		{"refuses a call without a token with not_authed", "POST", "chat.update", "", "application/json", post, 200, "not_authed"},
		{"refuses an empty bearer token with not_authed", "POST", "chat.update", "Bearer ", "application/json", post, 200, "not_authed"},
		{"answers an unknown method with 404", "POST", "chat.delete", "Bearer " + token, "application/json", post, 404, "unknown_method"},
		{"refuses GET with 405", "GET", "chat.postMessage", "Bearer " + token, "", "", 405, ""},
		{"refuses a form body with invalid_form_data", "POST", "chat.postMessage", "Bearer " + token, "application/x-www-form-urlencoded", "channel=" + channel + "&text=hi", 200, "invalid_form_data"},
		{"refuses a body without a content type with invalid_form_data", "POST", "chat.postMessage", "Bearer " + token, "", post, 200, "invalid_form_data"},
		{"refuses bad JSON with invalid_json", "POST", "chat.postMessage", "Bearer " + token, "application/json", `{"channel":`, 200, "invalid_json"},
		{"refuses a JSON array with invalid_json", "POST", "chat.postMessage", "Bearer " + token, "application/json", `[]`, 200, "invalid_json"},
		{"rejects a body over 1 MiB with 413", "POST", "chat.postMessage", "Bearer " + token, "application/json", bytes.Repeat([]byte(" "), 1<<20+1), 413, ""},
		{"refuses a post without a channel with channel_not_found", "POST", "chat.postMessage", "Bearer " + token, "application/json", map[string]any{"text": "hi"}, 200, "channel_not_found"},
		{"refuses another channel with channel_not_found", "POST", "chat.postMessage", "Bearer " + token, "application/json", map[string]any{"channel": "C999", "text": "hi"}, 200, "channel_not_found"},
		{"refuses an empty post with no_text", "POST", "chat.postMessage", "Bearer " + token, "application/json", map[string]any{"channel": channel, "text": "", "blocks": []any{}}, 200, "no_text"},
		{"refuses blocks that are not an array with invalid_blocks_format", "POST", "chat.postMessage", "Bearer " + token, "application/json", map[string]any{"channel": channel, "blocks": "x"}, 200, "invalid_blocks_format"},
		{"refuses a block without a type with invalid_blocks", "POST", "chat.postMessage", "Bearer " + token, "application/json", map[string]any{"channel": channel, "blocks": []any{map[string]any{"text": "x"}}}, 200, "invalid_blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, token, channel)
			r := send(t, s, tc.httpMethod, tc.method, tc.auth, tc.ctype, tc.body)
			if r.status != tc.wantStatus || r.err() != tc.wantError {
				t.Errorf("got %d %q, want %d %q", r.status, r.raw, tc.wantStatus, tc.wantError)
			}
			if n := len(s.Messages()); n != 0 {
				t.Errorf("%d messages kept, want none", n)
			}
		})
	}
}

func TestHoldsMessagesToSlacksLimits(t *testing.T) {
	blocks := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = section("x")
		}
		return out
	}
	header := func(text string) map[string]any {
		return map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": text}}
	}
	contextBlock := func(n int) map[string]any {
		elements := make([]any, n)
		for i := range elements {
			elements[i] = map[string]any{"type": "mrkdwn", "text": "x"}
		}
		return map[string]any{"type": "context", "elements": elements}
	}
	attachments := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"text": "x"}
		}
		return out
	}
	// "é" is two bytes and one character: the limits count characters.
	for _, tc := range []struct {
		name      string
		fields    map[string]any
		wantError string // "" for ok
	}{
		{"takes 40000 characters of text", map[string]any{"text": strings.Repeat("é", 40000)}, ""},
		{"refuses 40001 characters of text with msg_too_long", map[string]any{"text": strings.Repeat("é", 40001)}, "msg_too_long"},
		{"takes 50 blocks", map[string]any{"blocks": blocks(50)}, ""},
		{"refuses 51 blocks with invalid_blocks", map[string]any{"blocks": blocks(51)}, "invalid_blocks"},
		{"takes a section of 3000 characters", map[string]any{"blocks": []any{section(strings.Repeat("é", 3000))}}, ""},
		{"refuses a section of 3001 characters with invalid_blocks", map[string]any{"blocks": []any{section(strings.Repeat("é", 3001))}}, "invalid_blocks"},
		{"refuses a 3001-character section in an attachment with invalid_blocks", map[string]any{"attachments": summary(strings.Repeat("é", 3001))}, "invalid_blocks"},
		{"takes a header of 150 characters", map[string]any{"blocks": []any{header(strings.Repeat("é", 150))}}, ""},
		{"refuses a header of 151 characters with invalid_blocks", map[string]any{"blocks": []any{header(strings.Repeat("é", 151))}}, "invalid_blocks"},
		{"takes a context of 10 elements", map[string]any{"blocks": []any{contextBlock(10)}}, ""},
		{"refuses a context of 11 elements with invalid_blocks", map[string]any{"blocks": []any{contextBlock(11)}}, "invalid_blocks"},
		{"takes 100 attachments", map[string]any{"attachments": attachments(100)}, ""},
		{"refuses 101 attachments with too_many_attachments", map[string]any{"attachments": attachments(101)}, "too_many_attachments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, token, channel)
			tc.fields["channel"] = channel
			r := call(t, s, "chat.postMessage", tc.fields)
			if r.status != http.StatusOK || r.err() != tc.wantError || (tc.wantError == "") != (r.body["ok"] == true) {
				t.Fatalf("chat.postMessage: %d %.200s, want error %q", r.status, r.raw, tc.wantError)
			}
			if tc.wantError != "" {
				return
			}
			// The same content is held to the same limits by chat.update.
			ts := r.body["ts"].(string)
			tc.fields["ts"] = ts
			if r := call(t, s, "chat.update", tc.fields); r.body["ok"] != true {
				t.Errorf("chat.update with the same content: %d %.200s", r.status, r.raw)
			}
		})
	}
}

func TestUpdateIsHeldToTheLimits(t *testing.T) {
	s := New(t, token, channel)
	ts := mustPost(t, s, map[string]any{"text": "root"})
	r := call(t, s, "chat.update", map[string]any{"channel": channel, "ts": ts, "text": strings.Repeat("x", 40001)})
	if r.err() != "msg_too_long" {
		t.Errorf("got %s, want msg_too_long", r.raw)
	}
	if m := s.Roots()[0]; m.Text != "root" || m.Updates != 0 {
		t.Errorf("refused update changed the message: %+v", m)
	}
}

func TestSummaryReadsAttachmentTextBlocksAndContext(t *testing.T) {
	s := New(t, token, channel)
	ts := mustPost(t, s, map[string]any{
		"text":   "root text is not the summary",
		"blocks": []any{section("nor are the message's own blocks")},
		"attachments": []any{
			map[string]any{"text": "first", "blocks": []any{
				map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": "Ana"}},
				section("on /pricing"),
				map[string]any{"type": "context", "elements": []any{
					map[string]any{"type": "image", "image_url": "https://example.com/a.png", "alt_text": "flag"},
					map[string]any{"type": "mrkdwn", "text": "Lisbon"},
					map[string]any{"type": "plain_text", "text": "Firefox"},
				}},
				map[string]any{"type": "actions", "elements": []any{
					map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open"}},
				}},
			}},
			map[string]any{"color": "good", "text": "second"},
		},
	})
	want := "first\nAna\non /pricing\nLisbon\nFirefox\nsecond"
	if got := s.Summary(s.Roots()[0]); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if got := s.Summary(Message{TS: ts}); got != "" {
		t.Errorf("Summary of a message without attachments = %q, want empty", got)
	}
}

func TestTakesConcurrentPostsWithUniqueTimestamps(t *testing.T) {
	s := New(t, token, channel)
	root := mustPost(t, s, map[string]any{"text": "root"})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			body := map[string]any{"channel": channel, "text": fmt.Sprint(i), "thread_ts": root}
			r, err := trySend(s, http.MethodPost, "chat.postMessage", "Bearer "+token, "application/json", body)
			switch {
			case err != nil:
				errs <- err.Error()
			case r.body["ok"] != true:
				errs <- r.raw
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent post: %s", e)
	}
	seen := map[string]bool{}
	replies := s.Replies(root)
	for i, m := range replies {
		if seen[m.TS] {
			t.Errorf("ts %s given twice", m.TS)
		}
		seen[m.TS] = true
		if i > 0 && !(replies[i-1].TS < m.TS) {
			t.Errorf("replies out of order: %s before %s", replies[i-1].TS, m.TS)
		}
	}
	if len(replies) != n {
		t.Errorf("%d replies, want %d", len(replies), n)
	}
}
