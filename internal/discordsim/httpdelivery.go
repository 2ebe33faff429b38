package discordsim

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Interactions delivered over HTTP, as Discord does for an application
// with an Interactions Endpoint URL: each one is POSTed, signed with the
// application's Ed25519 key, and the response body is the interaction's
// callback, checked as the REST callback is.

// maxHTTPCallback bounds the response body read as a callback: Discord's
// upload limit for a bot, with room for the JSON around the files.
const maxHTTPCallback = 26 << 20

// maxIdleInteractionConns is how many idle connections to the bot's
// endpoint the fake keeps between interactions: enough for the largest
// burst a test sends, so a burst reuses the last one's connections.
const maxIdleInteractionConns = 1024

// InteractionsPublicKey is the application's public key, in hex, as the
// Developer Portal shows it: what the bot's discord.public_key must be.
func (s *Server) InteractionsPublicKey() string {
	return hex.EncodeToString(s.signingKey.Public().(ed25519.PublicKey))
}

// DeliverOverHTTP makes Dispatch (and so Do, Interact and the other
// helpers) POST interactions to url, signed, instead of sending them over
// the gateway; "" returns to the gateway, the default.
func (s *Server) DeliverOverHTTP(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.interactionsURL = url
}

// SignedRequest builds the POST Discord would send to an Interactions
// Endpoint URL: body, with X-Signature-Ed25519 over the timestamp at and
// body, and X-Signature-Timestamp. Tests change it to see it refused.
func (s *Server) SignedRequest(ctx context.Context, url string, body []byte, at time.Time) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	req.Header.Set("X-Signature-Timestamp", ts)
	req.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(s.signingKey, append([]byte(ts), body...))))
	return req, nil
}

// deliverHTTP posts a dispatched interaction to url and applies the
// response as its callback. It runs on its own goroutine.
func (s *Server) deliverHTTP(p *Pending, url string, payload []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.InteractionDeadline+ackGrace)
	defer cancel()
	// The timestamp is real time, like the interaction deadline.
	req, err := s.SignedRequest(ctx, url, payload, time.Now())
	if err != nil {
		s.httpDeliveryFailed(p, fmt.Sprintf("cannot build the request: %v", err))
		return
	}
	resp, err := s.httpClient.Do(req)
	if err != nil {
		s.httpDeliveryFailed(p, fmt.Sprintf("POST %s failed: %v", url, err))
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPCallback+1))
	at := time.Now()
	switch {
	case err != nil:
		s.httpDeliveryFailed(p, fmt.Sprintf("reading the response: %v", err))
		return
	case resp.StatusCode != http.StatusOK:
		s.httpDeliveryFailed(p, fmt.Sprintf("POST %s answered %d %s", url, resp.StatusCode, truncate(string(body), 300)))
		return
	case len(body) > maxHTTPCallback:
		s.httpDeliveryFailed(p, fmt.Sprintf("the response is over %d bytes", maxHTTPCallback))
		return
	}

	// The response body goes through the REST callback's own checks.
	cb, _ := http.NewRequest(http.MethodPost, apiPrefix+"/interactions/"+p.interaction.ID+"/"+p.interaction.Token+"/callback", nil)
	cb.Header.Set("Content-Type", resp.Header.Get("Content-Type"))
	c := &call{s: s, r: cb, body: body, at: at, headers: http.Header{},
		params: map[string]string{"interaction": p.interaction.ID, "token": p.interaction.Token}}
	s.mu.Lock()
	s.interactionCallback(c)
	if c.status >= 400 {
		p.logf(at, "HTTP response refused as a callback: %d %s", c.status, truncate(string(c.resp), 300))
	}
	s.notifyLocked()
	s.mu.Unlock()
	s.flush(c.out)
}

func (s *Server) httpDeliveryFailed(p *Pending, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.logf(time.Now(), "HTTP delivery: %s", why)
	s.notifyLocked()
}
