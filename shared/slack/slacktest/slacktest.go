// Package slacktest is a stand-in for the two Slack Web API methods the
// Slack channel calls, chat.postMessage and chat.update. It answers as the
// real API documents (HTTP 200 with {"ok":false,"error":...} for Slack's
// errors, its limits on blocks, text and attachments, and the rules by
// which chat.update keeps or drops what a message had), keeps each message
// as Slack would show it, and lets a test script failures, so the channel's
// threads can be checked without a workspace. For tests only.
package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// The methods the server knows, as they appear after /api/.
const (
	postMessage = "chat.postMessage"
	update      = "chat.update"
)

// Slack's documented limits.
const (
	maxBodyBytes       = 1 << 20
	maxTextRunes       = 40000
	maxBlocks          = 50
	maxSectionRunes    = 3000
	maxSectionFields   = 10
	maxFieldRunes      = 2000
	maxHeaderRunes     = 150
	maxContextElements = 10
	maxAttachments     = 100
)

// firstSecond is where timestamps start, so they look like Slack's
// ("1764500000.000001") and sort in post order.
const firstSecond = 1764500000

// Server is a fake Slack workspace with one channel, one bot token and the
// two chat methods, on 127.0.0.1.
type Server struct {
	URL     string // the API base; methods are URL+"/chat.postMessage" and URL+"/chat.update"
	Token   string // the bot token it accepts
	Channel string // the one channel id that exists

	t        testing.TB
	mu       sync.Mutex
	messages []*Message
	scripted map[string][]Answer
	calls    map[string]int
	lastTS   int64
}

// Message is a message as Slack keeps it.
type Message struct {
	TS             string
	ThreadTS       string // "" for a top-level message (a thread root or a standalone post)
	Text           string
	Blocks         []json.RawMessage
	Attachments    []json.RawMessage
	ReplyBroadcast bool
	Updates        int // chat.update calls applied to it
	Deleted        bool
	PostedAt       time.Time // when the server received the post
}

// Answer is a scripted reply to the next call of one method, for the
// failures a real workspace gives only when it wants to.
type Answer struct {
	HTTPStatus int    // 0 means 200
	Error      string // Slack's error code, e.g. "ratelimited", "channel_not_found", "missing_scope"
	RetryAfter int    // seconds; sent as the Retry-After header when set
	Needed     string // for missing_scope: the "needed" field (e.g. "chat:write"); "provided" is then "channels:read"
}

// New starts a server that accepts token and knows the one channel; it
// stops with the test.
func New(t testing.TB, token, channel string) *Server {
	t.Helper()
	s := &Server{
		Token:    token,
		Channel:  channel,
		t:        t,
		scripted: map[string][]Answer{},
		calls:    map[string]int{},
	}
	srv := httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/api"
	return s
}

// FailNext queues answers for the next calls of method ("chat.postMessage"
// or "chat.update"), first in first out; each call takes one before it is
// handled normally.
func (s *Server) FailNext(method string, answers ...Answer) {
	s.t.Helper()
	if method != postMessage && method != update {
		s.t.Errorf("slacktest: FailNext(%q): the server knows only %s and %s", method, postMessage, update)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripted[method] = append(s.scripted[method], answers...)
}

// Messages is every message, deleted ones included, in post order.
func (s *Server) Messages() []Message {
	return s.filter(func(*Message) bool { return true })
}

// Roots is every top-level message still there, in post order.
func (s *Server) Roots() []Message {
	return s.filter(func(m *Message) bool { return m.ThreadTS == "" && !m.Deleted })
}

// Replies is every reply in the thread under rootTS still there, in post
// order.
func (s *Server) Replies(rootTS string) []Message {
	return s.filter(func(m *Message) bool { return m.ThreadTS == rootTS && !m.Deleted })
}

// Delete deletes the message at ts as a person would in Slack: it stays in
// Messages, marked deleted, and can no longer be updated or replied to.
func (s *Server) Delete(ts string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.find(ts)
	if m == nil {
		s.t.Errorf("slacktest: Delete(%q): no such message", ts)
		return
	}
	m.Deleted = true
}

// Calls is how many requests of method arrived, scripted answers included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Summary is the text a person reads in m's attachments: each
// attachment's text, its blocks' text and its context elements' text,
// joined with "\n". The channel keeps a thread's summary there.
func (s *Server) Summary(m Message) string {
	var lines []string
	add := func(text string) {
		if text != "" {
			lines = append(lines, text)
		}
	}
	for _, raw := range m.Attachments {
		var a struct {
			Text   string            `json:"text"`
			Blocks []json.RawMessage `json:"blocks"`
		}
		if json.Unmarshal(raw, &a) != nil {
			continue
		}
		add(a.Text)
		for _, raw := range a.Blocks {
			b := parseBlock(raw)
			add(b.text)
			if b.kind == "context" {
				for _, e := range b.elements {
					add(textOf(e))
				}
			}
		}
	}
	return strings.Join(lines, "\n")
}

func (s *Server) filter(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if keep(m) {
			out = append(out, m.clone())
		}
	}
	return out
}

// find is the message at ts, deleted or not; the caller holds s.mu.
func (s *Server) find(ts string) *Message {
	for _, m := range s.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// nextTS is a new timestamp, later than every other; the caller holds s.mu.
func (s *Server) nextTS() string {
	s.lastTS++
	return fmt.Sprintf("%d.%06d", firstSecond+s.lastTS/1e6, s.lastTS%1e6)
}

func (m *Message) clone() Message {
	c := *m
	c.Blocks = cloneRaw(m.Blocks)
	c.Attachments = cloneRaw(m.Attachments)
	return c
}

func cloneRaw(in []json.RawMessage) []json.RawMessage {
	if in == nil {
		return nil
	}
	out := make([]json.RawMessage, len(in))
	for i, r := range in {
		out[i] = slices.Clone(r)
	}
	return out
}

// slackError is an answer of HTTP 200 with ok false, as the real API gives
// for everything it refuses.
type slackError struct {
	code     string
	needed   string
	provided string
}

func (e *slackError) Error() string { return e.code }

func fail(code string) *slackError { return &slackError{code: code} }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || (method != postMessage && method != update) {
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method"})
		return
	}
	s.mu.Lock()
	s.calls[method]++
	var answer *Answer
	if queue := s.scripted[method]; len(queue) > 0 {
		answer = &queue[0]
		s.scripted[method] = queue[1:]
	}
	s.mu.Unlock()
	if answer != nil {
		writeScripted(w, *answer)
		return
	}

	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if len(body) > maxBodyBytes {
		http.Error(w, "request entity too large", http.StatusRequestEntityTooLarge)
		return
	}

	var result map[string]any
	var serr *slackError
	if serr = s.authorize(r); serr == nil {
		var req request
		if req, serr = parseRequest(r.Header.Get("Content-Type"), body); serr == nil {
			s.mu.Lock()
			if method == postMessage {
				result, serr = s.post(req)
			} else {
				result, serr = s.update(req)
			}
			s.mu.Unlock()
		}
	}
	if serr != nil {
		answer := map[string]any{"ok": false, "error": serr.code}
		if serr.needed != "" {
			answer["needed"], answer["provided"] = serr.needed, serr.provided
		}
		writeJSON(w, http.StatusOK, answer)
		return
	}
	result["ok"] = true
	writeJSON(w, http.StatusOK, result)
}

func writeScripted(w http.ResponseWriter, a Answer) {
	if a.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.RetryAfter))
	}
	switch a.HTTPStatus {
	case 0, http.StatusOK:
		code := a.Error
		if code == "" {
			code = "fatal_error"
		}
		answer := map[string]any{"ok": false, "error": code}
		if a.Needed != "" {
			answer["needed"], answer["provided"] = a.Needed, "channels:read"
		}
		writeJSON(w, http.StatusOK, answer)
	case http.StatusTooManyRequests:
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(a.HTTPStatus)
		_, _ = io.WriteString(w, http.StatusText(a.HTTPStatus)+"\n")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) authorize(r *http.Request) *slackError {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	switch {
	case token == "" && (scheme == "" || strings.EqualFold(scheme, "Bearer")):
		return fail("not_authed")
	case !strings.EqualFold(scheme, "Bearer") || token != s.Token:
		return fail("invalid_auth")
	}
	return nil
}

// request is what a call asks for. An omitted field and a JSON null are
// the same to Slack, and chat.update tells omitted from empty, so each
// content field says whether it was given.
type request struct {
	channel, ts, threadTS string
	text                  string
	hasText               bool
	blocks                []json.RawMessage
	hasBlocks             bool
	attachments           []json.RawMessage
	hasAttachments        bool
	replyBroadcast        bool
}

func parseRequest(contentType string, body []byte) (request, *slackError) {
	var req request
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return req, fail("invalid_form_data")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return req, fail("invalid_json")
	}
	var serr *slackError
	str := func(key string) (string, bool) {
		raw, ok := given(fields, key)
		if !ok {
			return "", false
		}
		var v string
		if json.Unmarshal(raw, &v) != nil && serr == nil {
			serr = fail("invalid_arguments")
		}
		return v, true
	}
	array := func(key, code string) ([]json.RawMessage, bool) {
		raw, ok := given(fields, key)
		if !ok {
			return nil, false
		}
		var v []json.RawMessage
		if json.Unmarshal(raw, &v) != nil && serr == nil {
			serr = fail(code)
		}
		return v, true
	}
	req.channel, _ = str("channel")
	req.ts, _ = str("ts")
	req.threadTS, _ = str("thread_ts")
	req.text, req.hasText = str("text")
	req.blocks, req.hasBlocks = array("blocks", "invalid_blocks_format")
	req.attachments, req.hasAttachments = array("attachments", "invalid_attachments")
	if raw, ok := given(fields, "reply_broadcast"); ok && json.Unmarshal(raw, &req.replyBroadcast) != nil && serr == nil {
		serr = fail("invalid_arguments")
	}
	return req, serr
}

func given(fields map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := fields[key]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// post is chat.postMessage; the caller holds s.mu.
func (s *Server) post(req request) (map[string]any, *slackError) {
	if req.channel != s.Channel {
		return nil, fail("channel_not_found")
	}
	if req.text == "" && len(req.blocks) == 0 && len(req.attachments) == 0 {
		return nil, fail("no_text")
	}
	if serr := checkLimits(req.text, req.blocks, req.attachments); serr != nil {
		return nil, serr
	}
	if req.threadTS != "" {
		root := s.find(req.threadTS)
		if root == nil || root.Deleted || root.ThreadTS != "" {
			return nil, fail("thread_not_found")
		}
	}
	m := &Message{
		TS:             s.nextTS(),
		ThreadTS:       req.threadTS,
		Text:           req.text,
		Blocks:         cloneRaw(req.blocks),
		Attachments:    cloneRaw(req.attachments),
		ReplyBroadcast: req.replyBroadcast && req.threadTS != "",
		PostedAt:       time.Now(),
	}
	s.messages = append(s.messages, m)
	return map[string]any{"channel": s.Channel, "ts": m.TS, "message": shown(m)}, nil
}

// update is chat.update; the caller holds s.mu. What the call leaves out
// is kept or dropped as Slack documents: omitted attachments are kept
// (an empty array removes them), omitted blocks are kept only when text is
// omitted too, and omitted text is kept.
func (s *Server) update(req request) (map[string]any, *slackError) {
	if req.channel != s.Channel {
		return nil, fail("channel_not_found")
	}
	if req.ts == "" {
		return nil, fail("message_not_found")
	}
	m := s.find(req.ts)
	if m == nil || m.Deleted {
		return nil, fail("message_not_found")
	}
	if !req.hasText && !req.hasBlocks && !req.hasAttachments {
		return nil, fail("no_text")
	}
	text, blocks, attachments := m.Text, m.Blocks, m.Attachments
	if req.hasText {
		text = req.text
	}
	switch {
	case req.hasBlocks:
		blocks = req.blocks
	case req.hasText:
		blocks = nil
	}
	if req.hasAttachments {
		attachments = req.attachments
	}
	if text == "" && len(blocks) == 0 && len(attachments) == 0 {
		return nil, fail("no_text")
	}
	if serr := checkLimits(text, blocks, attachments); serr != nil {
		return nil, serr
	}
	m.Text, m.Blocks, m.Attachments = text, cloneRaw(blocks), cloneRaw(attachments)
	if len(m.Blocks) == 0 {
		m.Blocks = nil
	}
	if len(m.Attachments) == 0 {
		m.Attachments = nil
	}
	m.Updates++
	return map[string]any{"channel": s.Channel, "ts": m.TS, "text": m.Text, "message": shown(m)}, nil
}

// shown is the "message" object of a successful answer.
func shown(m *Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "ts": m.TS}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		out["blocks"] = m.Blocks
	}
	if len(m.Attachments) > 0 {
		out["attachments"] = m.Attachments
	}
	return out
}

// block is the part of a Block Kit block the limits and Summary look at.
// Only its type is required; the rest is read leniently, since other block
// types give these keys other shapes (a button's text is an object).
type block struct {
	kind     string
	text     string
	hasText  bool
	fields   []json.RawMessage
	elements []json.RawMessage
}

// parseBlock reads raw as a block; a kind of "" means it is not one.
func parseBlock(raw json.RawMessage) block {
	var b block
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil || json.Unmarshal(keys["type"], &b.kind) != nil {
		return block{}
	}
	if t, ok := given(keys, "text"); ok {
		b.text, b.hasText = textOf(t), true
	}
	_ = json.Unmarshal(keys["fields"], &b.fields)
	_ = json.Unmarshal(keys["elements"], &b.elements)
	return b
}

// textOf is the "text" string of a text object or a context element, or
// "" when it has none.
func textOf(raw json.RawMessage) string {
	var obj struct {
		Text json.RawMessage `json:"text"`
	}
	var text string
	if json.Unmarshal(raw, &obj) == nil {
		_ = json.Unmarshal(obj.Text, &text)
	}
	return text
}

// checkLimits holds a message to Slack's documented limits, counting
// characters as runes. Blocks inside attachments are held to the same
// limits as the message's own.
func checkLimits(text string, blocks, attachments []json.RawMessage) *slackError {
	if utf8.RuneCountInString(text) > maxTextRunes {
		return fail("msg_too_long")
	}
	if serr := checkBlocks(blocks); serr != nil {
		return serr
	}
	if len(attachments) > maxAttachments {
		return fail("too_many_attachments")
	}
	for _, raw := range attachments {
		var a struct {
			Blocks []json.RawMessage `json:"blocks"`
		}
		if json.Unmarshal(raw, &a) != nil {
			return fail("invalid_attachments")
		}
		if serr := checkBlocks(a.Blocks); serr != nil {
			return serr
		}
	}
	return nil
}

func checkBlocks(blocks []json.RawMessage) *slackError {
	if len(blocks) > maxBlocks {
		return fail("invalid_blocks")
	}
	for _, raw := range blocks {
		b := parseBlock(raw)
		switch b.kind {
		case "":
			return fail("invalid_blocks")
		case "section":
			if !b.hasText && len(b.fields) == 0 || utf8.RuneCountInString(b.text) > maxSectionRunes || len(b.fields) > maxSectionFields {
				return fail("invalid_blocks")
			}
			for _, f := range b.fields {
				if utf8.RuneCountInString(textOf(f)) > maxFieldRunes {
					return fail("invalid_blocks")
				}
			}
		case "header":
			if !b.hasText || utf8.RuneCountInString(b.text) > maxHeaderRunes {
				return fail("invalid_blocks")
			}
		case "context":
			if len(b.elements) == 0 || len(b.elements) > maxContextElements {
				return fail("invalid_blocks")
			}
		}
	}
	return nil
}
