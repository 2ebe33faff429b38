package bot

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// Interactions may also arrive over HTTP: Discord posts each one to the
// application's Interactions Endpoint URL, signed with the application's
// key, and takes the response body as the interaction's first answer.
// They go through the same adapter as the gateway's; only that first
// answer travels differently. Follow-ups and edits still go over REST.

const (
	// maxInteractionBody bounds what the endpoint reads. An interaction is
	// a few kilobytes; the largest (a message command with its resolved
	// message, members and attachments' metadata) stays far below this.
	maxInteractionBody = 1 << 20

	// signatureWindow is how far a request's X-Signature-Timestamp may lie
	// from this machine's clock, either way. Discord forgets an
	// interaction 3 s after sending it, so an older request is of no use
	// to anyone but a replayer; the 2 s beyond that absorb the clock
	// difference of an NTP-synced host. Discord names no window of its own.
	signatureWindow = 5 * time.Second

	// interactionAnswerWait is how long the endpoint waits for the
	// adapter's first answer: Discord's own 3 s. The adapter defers well
	// before that (deferAfter), so only a handler stuck outside the
	// adapter's reach, or an autocomplete, can run out of it.
	interactionAnswerWait = 3 * time.Second
)

// Reasons a request to the endpoint is refused, for the debug log.
var (
	errNoSignature    = errors.New("no X-Signature-Ed25519 or X-Signature-Timestamp header")
	errBadSignature   = errors.New("X-Signature-Ed25519 is not 64 bytes of hex")
	errBadTimestamp   = errors.New("X-Signature-Timestamp is not a Unix time in seconds")
	errStaleTimestamp = errors.New("X-Signature-Timestamp is outside the accepted window")
	errForged         = errors.New("the signature does not match the body")
)

// signatureHeaders reads the two signature headers: the signature itself
// and the time it was made at. It reads nothing else of the request.
func signatureHeaders(sigHex, timestamp string) ([]byte, time.Time, error) {
	if sigHex == "" || timestamp == "" {
		return nil, time.Time{}, errNoSignature
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, time.Time{}, errBadSignature
	}
	// Digits only: ParseInt would take a sign, which Discord never sends.
	if len(timestamp) > 12 || strings.Trim(timestamp, "0123456789") != "" {
		return nil, time.Time{}, errBadTimestamp
	}
	secs, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, time.Time{}, errBadTimestamp
	}
	return sig, time.Unix(secs, 0), nil
}

// fresh reports whether a signature made at signed may be accepted now.
func fresh(signed, now time.Time) bool {
	d := now.Sub(signed)
	return d <= signatureWindow && d >= -signatureWindow
}

// interactionEndpoint serves http.interactions_path.
type interactionEndpoint struct {
	key     ed25519.PublicKey
	adapter *adapter
	rest    responder // the session: follow-ups and edits go over REST
	log     *slog.Logger
	// now is the wall clock signatures are checked against: real time,
	// whatever clock the handlers run on.
	now  func() time.Time
	wait time.Duration
}

func newInteractionEndpoint(key ed25519.PublicKey, a *adapter, rest responder, log *slog.Logger) *interactionEndpoint {
	return &interactionEndpoint{key: key, adapter: a, rest: rest, log: log, now: time.Now, wait: interactionAnswerWait}
}

// ServeHTTP answers one POST: 401 unless the headers carry a fresh
// signature of the body by the application's key (checked before the
// body is decoded), PONG to a PING, and for anything else the adapter's
// first answer as the response body.
func (e *interactionEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	timestamp := r.Header.Get("X-Signature-Timestamp")
	sig, signed, err := signatureHeaders(r.Header.Get("X-Signature-Ed25519"), timestamp)
	if err == nil && !fresh(signed, e.now()) {
		err = errStaleTimestamp
	}
	if err != nil {
		e.refuse(w, err)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInteractionBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	if !ed25519.Verify(e.key, append([]byte(timestamp), body...), sig) {
		e.refuse(w, errForged)
		return
	}

	var i discordgo.Interaction
	if err := json.Unmarshal(body, &i); err != nil {
		e.log.Warn("malformed interaction over HTTP", "err", err)
		http.Error(w, "the body is not an interaction", http.StatusBadRequest)
		return
	}
	if i.Type == discordgo.InteractionPing {
		writeJSON(w, "application/json", []byte(`{"type":1}`)) // a failed write has no one to tell
		return
	}
	e.answer(w, r, &i)
}

// refuse answers a request that failed the signature check. Discord
// itself sends such requests to test the endpoint, so they are expected
// and logged at debug only.
func (e *interactionEndpoint) refuse(w http.ResponseWriter, why error) {
	e.log.Debug("refused an interaction request", "reason", why.Error())
	http.Error(w, "invalid request signature", http.StatusUnauthorized)
}

// answer runs the interaction through the adapter and writes its first
// answer. If none comes within wait, or the adapter finishes without one,
// the request ends with 503: Discord shows the member that the
// application did not respond.
func (e *interactionEndpoint) answer(w http.ResponseWriter, r *http.Request, i *discordgo.Interaction) {
	hr := newHTTPResponder(e.rest, i)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		e.adapter.handle(hr, i)
	}()
	e.waitForAnswer(w, r, hr, finished)
}

// waitForAnswer writes hr's answer once it comes. It gives up when the
// adapter has finished (closing finished) without one, after e.wait, or
// when the client has gone; an answer after that is refused.
func (e *interactionEndpoint) waitForAnswer(w http.ResponseWriter, r *http.Request, hr *httpResponder, finished <-chan struct{}) {
	timer := time.NewTimer(e.wait)
	defer timer.Stop()
	defer hr.close()
	select {
	case a := <-hr.answers:
		hr.written <- writeJSON(w, a.contentType, a.body)
	case <-finished:
		e.log.Error("interaction over HTTP ended without an answer", "interaction", hr.i.ID)
		http.Error(w, "no answer", http.StatusServiceUnavailable)
	case <-timer.C:
		e.log.Error("interaction over HTTP not answered in time", "interaction", hr.i.ID, "wait", e.wait)
		http.Error(w, "no answer in time", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// writeJSON writes a 200 response with body and sends it on its way.
func writeJSON(w http.ResponseWriter, contentType string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write interaction response: %w", err)
	}
	return http.NewResponseController(w).Flush()
}

// httpAnswer is an interaction callback encoded as a response body.
type httpAnswer struct {
	contentType string
	body        []byte
}

// errAnswered is returned for a second first answer, as Discord answers
// a second callback with 40060.
var errAnswered = errors.New("interaction over HTTP already answered")

// errAnswerTooLate is returned when the HTTP request the answer belonged
// to has ended.
var errAnswerTooLate = errors.New("interaction over HTTP: its request has ended, the answer came too late")

// httpResponder is the adapter's responder for an interaction that came
// over HTTP: its callback (InteractionRespond, or the autocomplete result
// posted to the callback endpoint) is handed to the waiting request,
// once; everything else goes over REST.
type httpResponder struct {
	responder
	i        *discordgo.Interaction
	callback string // the callback endpoint's URL, as respondChoices posts to it

	answers chan httpAnswer // unbuffered: a send succeeds only while the request waits
	written chan error      // how writing the answer went
	gone    chan struct{}   // closed when the request stops waiting

	mu        sync.Mutex
	answered  bool
	closeOnce sync.Once
}

func newHTTPResponder(rest responder, i *discordgo.Interaction) *httpResponder {
	return &httpResponder{
		responder: rest,
		i:         i,
		callback:  discordgo.EndpointInteractionResponse(i.ID, i.Token),
		answers:   make(chan httpAnswer),
		written:   make(chan error, 1),
		gone:      make(chan struct{}),
	}
}

func (h *httpResponder) close() { h.closeOnce.Do(func() { close(h.gone) }) }

// InteractionRespond hands resp to the waiting request, as JSON or, with
// files, as multipart/form-data like the REST callback.
func (h *httpResponder) InteractionRespond(i *discordgo.Interaction, resp *discordgo.InteractionResponse, options ...discordgo.RequestOption) error {
	if i.ID != h.i.ID {
		return h.responder.InteractionRespond(i, resp, options...)
	}
	if resp.Data != nil && len(resp.Data.Files) > 0 {
		contentType, body, err := discordgo.MultipartBodyWithJSON(resp, resp.Data.Files)
		if err != nil {
			return fmt.Errorf("encode interaction response: %w", err)
		}
		return h.deliver(httpAnswer{contentType, body})
	}
	body, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encode interaction response: %w", err)
	}
	return h.deliver(httpAnswer{"application/json", body})
}

// RequestWithBucketID takes a POST to this interaction's callback endpoint
// as its answer (respondChoices sends autocomplete results so) and passes
// anything else on to REST.
func (h *httpResponder) RequestWithBucketID(method, urlStr string, data any, bucketID string, options ...discordgo.RequestOption) ([]byte, error) {
	if method != http.MethodPost || urlStr != h.callback {
		return h.responder.RequestWithBucketID(method, urlStr, data, bucketID, options...)
	}
	body, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode interaction response: %w", err)
	}
	return nil, h.deliver(httpAnswer{"application/json", body})
}

func (h *httpResponder) deliver(a httpAnswer) error {
	h.mu.Lock()
	if h.answered {
		h.mu.Unlock()
		return errAnswered
	}
	h.answered = true
	h.mu.Unlock()
	// The answer counts as sent once it is written, so that an edit of
	// it over REST never overtakes it.
	select {
	case h.answers <- a:
		return <-h.written
	case <-h.gone:
		return errAnswerTooLate
	}
}
