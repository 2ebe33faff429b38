package bot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/internal/kindredtest"
)

func TestHTTPInteractionsEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{HTTPInteractions: true})

	resources := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if !resources.Ephemeral() || !strings.Contains(resources.Text(), "findahelpline.com") {
		t.Errorf("/resources over HTTP = %q (ephemeral %v)", resources.Text(), resources.Ephemeral())
	}

	choices := h.Fake.Autocomplete(t, kindredtest.GuildID, kindredtest.AliceID, "/preferences timezone zone:Europe/Ber")
	if len(choices) == 0 || choices[0].Value != "Europe/Berlin" {
		t.Errorf("autocomplete over HTTP = %+v", choices)
	}
	// No match still answers with an empty list, which Discord requires.
	if none := h.Fake.Autocomplete(t, kindredtest.GuildID, kindredtest.AliceID, "/group info group:anything"); len(none) != 0 {
		t.Errorf("autocomplete with no groups = %+v", none)
	}

	ask := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/mydata delete")
	if len(ask.Buttons()) == 0 {
		t.Fatalf("/mydata delete offered no button: %q", ask.Text())
	}
	deleted := h.Fake.Click(t, kindredtest.GuildID, kindredtest.AliceID, ask.Buttons()[0].CustomID, ask.Message)
	if !strings.Contains(deleted.Text(), "Your data has been deleted") {
		t.Errorf("button over HTTP = %q", deleted.Text())
	}

	// Every first answer travelled in a response body, none over REST.
	for _, r := range h.Fake.Requests() {
		if strings.HasSuffix(r.Path, "/callback") {
			t.Errorf("a callback came over REST: %s", r)
		}
	}
	// The adapter counts an interaction once its answer is on its way, so
	// the last one may be counted just after the fake has the answer.
	got := interactionsCounted(t, h)
	for deadline := time.Now().Add(5 * time.Second); got != 5 && time.Now().Before(deadline); got = interactionsCounted(t, h) {
		time.Sleep(10 * time.Millisecond)
	}
	if got != 5 {
		t.Errorf("kindred_interactions_total counts %d interactions, want 5", got)
	}
}

func TestHTTPInteractionsPing(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{HTTPInteractions: true})
	req, err := h.Fake.SignedRequest(context.Background(), h.InteractionsURL, []byte(`{"id":"1","application_id":"2","type":1,"token":"t","version":1}`), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	status, body, ctype := do(t, req)
	if status != http.StatusOK || strings.TrimSpace(body) != `{"type":1}` || ctype != "application/json" {
		t.Errorf("PING = %d %q (%s), want 200 {\"type\":1} as JSON", status, body, ctype)
	}
}

func TestHTTPInteractionsRefused(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{HTTPInteractions: true})
	i, err := h.Fake.BuildCommand(kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	pr, err := h.Fake.Prepare(i)
	if err != nil {
		t.Fatal(err)
	}
	body := pr.Payload()
	signed := func(at time.Time) *http.Request {
		req, err := h.Fake.SignedRequest(context.Background(), h.InteractionsURL, body, at)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)

	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"signed by another key", func() *http.Request {
			req := signed(time.Now())
			ts := req.Header.Get("X-Signature-Timestamp")
			req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(otherKey, append([]byte(ts), body...))))
			return req
		}, http.StatusUnauthorized},
		{"tampered body", func() *http.Request {
			req := signed(time.Now())
			tampered := bytes.Replace(body, []byte(kindredtest.AliceID), []byte(kindredtest.OwnerID), 1)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(tampered)), int64(len(tampered))
			return req
		}, http.StatusUnauthorized},
		{"timestamp changed after signing", func() *http.Request {
			req := signed(time.Now())
			req.Header.Set("X-Signature-Timestamp", strconv.FormatInt(time.Now().Unix()+1, 10))
			return req
		}, http.StatusUnauthorized},
		{"stale", func() *http.Request { return signed(time.Now().Add(-time.Minute)) }, http.StatusUnauthorized},
		{"from the future", func() *http.Request { return signed(time.Now().Add(time.Minute)) }, http.StatusUnauthorized},
		{"no signature", func() *http.Request {
			req := signed(time.Now())
			req.Header.Del("X-Signature-Ed25519")
			return req
		}, http.StatusUnauthorized},
		{"no timestamp", func() *http.Request {
			req := signed(time.Now())
			req.Header.Del("X-Signature-Timestamp")
			return req
		}, http.StatusUnauthorized},
		{"signature not hex", func() *http.Request {
			req := signed(time.Now())
			req.Header.Set("X-Signature-Ed25519", "not hex")
			return req
		}, http.StatusUnauthorized},
		{"GET", func() *http.Request {
			req := signed(time.Now())
			req.Method = http.MethodGet
			return req
		}, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		status, answer, _ := do(t, tt.req())
		if status != tt.want {
			t.Errorf("%s: %d %q, want %d", tt.name, status, answer, tt.want)
		}
	}
	if got := interactionsCounted(t, h); got != 0 {
		t.Errorf("refused requests reached the adapter: %d counted", got)
	}
	for _, r := range h.Fake.Requests() {
		if strings.Contains(r.Path, "/interactions/") || strings.Contains(r.Path, "/webhooks/") {
			t.Errorf("a refused request was answered: %s", r)
		}
	}

	// The same body, properly signed, is served.
	status, answer, _ := do(t, signed(time.Now()))
	if status != http.StatusOK || !strings.Contains(answer, `"type":4`) || !strings.Contains(answer, "findahelpline.com") {
		t.Errorf("the genuine request = %d %q", status, answer)
	}
}

func do(t *testing.T, req *http.Request) (int, string, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
}

// interactionsCounted sums kindred_interactions_total.
func interactionsCounted(t *testing.T, h *kindredtest.Harness) int {
	t.Helper()
	resp, err := http.Get("http://" + h.HTTPAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "kindred_interactions_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		n += int(v)
	}
	return n
}
