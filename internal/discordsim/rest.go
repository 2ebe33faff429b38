package discordsim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// apiPrefix is where the REST API lives.
const apiPrefix = "/api/v9"

// Request is a recorded REST request and how it was answered. Path is the
// full path, including /api/v9.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	At     time.Time
	Status int
	// Response is the JSON body of the answer (nil for 204).
	Response []byte
}

// String is a one-line summary, e.g. "POST /api/v9/channels/1/messages → 200";
// failed requests also show both bodies.
func (r Request) String() string {
	s := fmt.Sprintf("%s %s → %d", r.Method, r.Path, r.Status)
	if r.Status >= 400 {
		s += " " + truncate(string(r.Response), 300)
		if len(r.Body) > 0 {
			s += " (request body " + truncate(string(r.Body), 300) + ")"
		}
	}
	return s
}

// route is a REST endpoint. Its handler runs with s.mu held.
type route struct {
	method  string
	pattern string
	public  bool // no Authorization needed
	handle  func(*call)

	segments []string
}

// call is one REST request being handled. Handlers read the request and the
// captured path parameters, change the model, queue gateway events in out
// and set the response with one of the reply helpers.
type call struct {
	s      *Server
	r      *http.Request
	body   []byte
	params map[string]string
	at     time.Time
	out    outbox

	status  int
	resp    []byte
	headers http.Header
}

func compileRoutes(rs []route) []route {
	for i := range rs {
		rs[i].segments = strings.Split(strings.Trim(rs[i].pattern, "/"), "/")
	}
	return rs
}

// match reports whether path (under /api/v9, without leading slash) fits the
// pattern, capturing {name} segments.
func (rt *route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.segments) {
		return nil, false
	}
	var params map[string]string
	for i, p := range rt.segments {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if segs[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

// ServeHTTP serves the REST API and the gateway.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || r.URL.Path == "/gateway/" {
		s.serveGateway(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	c := &call{s: s, r: r, body: body, at: time.Now(), headers: http.Header{}}

	s.mu.Lock()
	s.serveLocked(c)
	s.requests = append(s.requests, Request{
		Method:   r.Method,
		Path:     r.URL.Path,
		Query:    r.URL.Query(),
		Header:   r.Header.Clone(),
		Body:     body,
		At:       c.at,
		Status:   c.status,
		Response: c.resp,
	})
	s.notifyLocked()
	s.mu.Unlock()

	s.flush(c.out)

	for k, v := range c.headers {
		w.Header()[k] = v
	}
	if c.resp != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(c.status)
	if c.resp != nil {
		_, _ = w.Write(c.resp)
	}
}

func (s *Server) serveLocked(c *call) {
	path := c.r.URL.Path
	if !strings.HasPrefix(path, apiPrefix+"/") {
		c.fail(http.StatusNotFound, 0, "404: Not Found")
		return
	}
	segs := strings.Split(strings.TrimPrefix(path, apiPrefix+"/"), "/")
	var found *route
	for i := range s.routes {
		rt := &s.routes[i]
		if rt.method != c.r.Method {
			continue
		}
		if params, ok := rt.match(segs); ok {
			found, c.params = rt, params
			break
		}
	}
	if (found == nil || !found.public) && c.r.Header.Get("Authorization") != "Bot "+s.opts.Token {
		c.fail(http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}
	if !s.admitLocked(c, found) {
		return
	}
	if f, ok := s.takeFaultLocked(c.r.Method, path); ok {
		c.failWith(f.status, f.code, f.message)
		return
	}
	if found == nil {
		c.fail(http.StatusNotFound, 0, "404: Not Found")
		return
	}
	found.handle(c)
	if c.status == 0 {
		c.noContent()
	}
}

// --- call helpers ---

func (c *call) param(name string) string { return c.params[name] }

// json replies with v encoded as JSON.
func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, 0, "discordsim: cannot encode response: "+err.Error())
		return
	}
	c.status, c.resp = status, b
}

func (c *call) noContent() { c.status, c.resp = http.StatusNoContent, nil }

// fail replies with a Discord error: {"message": ..., "code": ...}.
func (c *call) fail(status, code int, message string) {
	c.json(status, map[string]any{"message": message, "code": code})
}

// failWith is fail, plus what a 429 needs for clients to retry.
func (c *call) failWith(status, code int, message string) {
	if status != http.StatusTooManyRequests {
		c.fail(status, code, message)
		return
	}
	c.headers.Set("Retry-After", "0")
	c.headers.Set("X-RateLimit-Scope", "user")
	c.json(status, map[string]any{"message": message, "code": code, "retry_after": 0.01, "global": false})
}

// invalid replies 400 Invalid Form Body with Discord's nested error layout.
func (c *call) invalid(errs formErrors) {
	c.json(http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": codeInvalidFormBody, "errors": errs.tree()})
}

// decode parses the JSON body into v, replying 400 if it is not JSON.
func (c *call) decode(raw []byte, v any) bool {
	if err := json.Unmarshal(raw, v); err != nil {
		c.fail(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return false
	}
	return true
}

// emit queues a gateway event about a guild ("" for none) for the sessions
// with the intent that receive that guild's events.
func (c *call) emit(guildID, event string, intent discordgo.Intent, data any) {
	c.s.emitLocked(&c.out, guildID, event, intent, data)
}

// auditReason is the X-Audit-Log-Reason header, URL-decoded.
func (c *call) auditReason() string {
	r := c.r.Header.Get("X-Audit-Log-Reason")
	if d, err := url.PathUnescape(r); err == nil {
		return d
	}
	return r
}

// formErrors collects validation failures for a 50035 answer.
type formErrors []formError

type formError struct{ path, code, message string }

func (e *formErrors) add(path, code, format string, args ...any) {
	*e = append(*e, formError{path: path, code: code, message: fmt.Sprintf(format, args...)})
}

// tree nests the errors the way Discord does:
// {"data": {"content": {"_errors": [{"code": ..., "message": ...}]}}}.
func (e formErrors) tree() map[string]any {
	root := map[string]any{}
	for _, fe := range e {
		node := root
		for _, part := range strings.Split(fe.path, ".") {
			next, ok := node[part].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[part] = next
			}
			node = next
		}
		list, _ := node["_errors"].([]any)
		node["_errors"] = append(list, map[string]string{"code": fe.code, "message": fe.message})
	}
	return root
}

// String lists the errors one per line, for test failures.
func (e formErrors) String() string {
	var b strings.Builder
	for _, fe := range e {
		fmt.Fprintf(&b, "%s: %s (%s)\n", fe.path, fe.message, fe.code)
	}
	return b.String()
}

// --- recorded traffic ---

// Requests returns every REST request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// WaitRequest returns the first recorded request, earlier or yet to come,
// for which match is true. It fails the test after timeout.
func (s *Server) WaitRequest(t testing.TB, timeout time.Duration, match func(Request) bool) Request {
	t.Helper()
	var got Request
	ok := s.waitUntil(timeout, func() bool {
		for _, r := range s.requests {
			if match(r) {
				got = r
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("discordsim: no matching request within %v; received:\n%s", timeout, s.requestLog(time.Time{}))
	}
	return got
}

// requestLog lists the requests received at or after since.
func (s *Server) requestLog(since time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestLogLocked(since)
}

func (s *Server) requestLogLocked(since time.Time) string {
	var b strings.Builder
	for _, r := range s.requests {
		if r.At.Before(since) {
			continue
		}
		fmt.Fprintf(&b, "  %s\n", r)
	}
	if b.Len() == 0 {
		return "  (no REST requests)\n"
	}
	return b.String()
}

// --- fault injection ---

type fault struct {
	method, prefix string
	status, code   int
	message        string
}

// FailNext makes the next request with that method (""/"*" for any) whose
// path starts with pathPrefix fail with status and a Discord error body
// {"message": message, "code": code}. pathPrefix may include /api/v9 or
// start right after it ("/channels/123/messages"). Faults apply after the
// Authorization check, in the order they were added. A 429 also carries
// retry_after, so discordgo retries it.
func (s *Server) FailNext(method, pathPrefix string, status, code int, message string) {
	if !strings.HasPrefix(pathPrefix, "/api/") {
		pathPrefix = apiPrefix + "/" + strings.TrimPrefix(pathPrefix, "/")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{method: strings.ToUpper(method), prefix: pathPrefix, status: status, code: code, message: message})
}

func (s *Server) takeFaultLocked(method, path string) (fault, bool) {
	for i, f := range s.faults {
		if (f.method == "" || f.method == "*" || f.method == method) && strings.HasPrefix(path, f.prefix) {
			s.faults = slices.Delete(s.faults, i, i+1)
			return f, true
		}
	}
	return fault{}, false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}
