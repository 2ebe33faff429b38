package discordsim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// startLimited starts a fake with the test guild and rl, and a discordgo
// session that uses only REST (rate limits do not touch the gateway).
func startLimited(t *testing.T, rl *discordsim.RateLimit) (*discordsim.Server, *discordgo.Session) {
	t.Helper()
	t.Parallel()
	fake := discordsim.New(discordsim.Options{RateLimit: rl})
	t.Cleanup(fake.Close)
	fake.AddGuild(testGuild())
	return fake, newSession(fake, fake.Token())
}

// call sends one raw REST request as the bot, to see exactly what the fake
// answers.
func call(t *testing.T, fake *discordsim.Server, method, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, fake.URL()+"/api/v9"+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+fake.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func headerFloat(t *testing.T, h http.Header, name string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(h.Get(name), 64)
	if err != nil {
		t.Fatalf("%s = %q: %v", name, h.Get(name), err)
	}
	return f
}

// TestBurstUnderGlobalLimit is a reminder fan-out: 200 messages over 20
// channels at once, against Discord's 50 requests per second. discordgo
// does not pace itself globally, so the fake refuses some (and counts
// them); discordgo's retries still deliver every message, in order, and
// the burst takes the ~3 s the limit implies.
func TestBurstUnderGlobalLimit(t *testing.T) {
	fake, dg := startLimited(t, &discordsim.RateLimit{GlobalPerSecond: 50, RouteLimit: 10, RouteWindow: 5 * time.Second})
	const channels, perChannel = 20, 10
	ids := make([]string, channels)
	for i := range ids {
		ids[i] = fake.AddChannel(guildID, discordsim.Channel{Name: fmt.Sprintf("group-%d", i)})
	}

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, channels*perChannel)
	for _, ch := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range perChannel {
				if _, err := dg.ChannelMessageSend(ch, "reminder "+strconv.Itoa(n)); err != nil {
					errs <- fmt.Errorf("channel %s message %d: %w", ch, n, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for _, ch := range ids {
		msgs := fake.Messages(ch)
		if len(msgs) != perChannel {
			t.Fatalf("channel %s got %d messages, want %d", ch, len(msgs), perChannel)
		}
		for n, m := range msgs {
			if want := "reminder " + strconv.Itoa(n); m.Content != want {
				t.Errorf("channel %s message %d = %q, want %q", ch, n, m.Content, want)
			}
		}
	}
	limited := fake.RateLimited()
	if limited == 0 {
		t.Errorf("a 200-request burst drew no 429 at 50/s")
	}
	// 200 requests at 50 per second: the last can go no earlier than 3 s
	// after the first.
	if elapsed < 3*time.Second {
		t.Errorf("the burst took %v; the global limit allows no less than 3s", elapsed)
	}
	global := 0
	for _, r := range fake.Requests() {
		if r.Status == http.StatusTooManyRequests && strings.Contains(string(r.Response), `"global":true`) {
			global++
		}
	}
	if global != limited {
		t.Errorf("%d of %d 429s were global; each channel stayed within its route limit", global, limited)
	}
	t.Logf("200 messages in %v with %d 429s", elapsed.Round(time.Millisecond), limited)
}

// TestRouteLimitIsHonouredBeforeRefusal: discordgo reads the bucket headers
// and waits for the window to reset, so a run of messages to one channel
// draws no 429 at all.
func TestRouteLimitIsHonouredBeforeRefusal(t *testing.T) {
	const window = 300 * time.Millisecond
	fake, dg := startLimited(t, &discordsim.RateLimit{RouteLimit: 3, RouteWindow: window})
	start := time.Now()
	for n := range 9 {
		if _, err := dg.ChannelMessageSend(generalID, strconv.Itoa(n)); err != nil {
			t.Fatalf("message %d: %v", n, err)
		}
	}
	if n := fake.RateLimited(); n != 0 {
		t.Errorf("%d 429s; discordgo should have waited for the bucket to reset", n)
	}
	if elapsed := time.Since(start); elapsed < 2*window {
		t.Errorf("9 messages at 3 per %v took %v", window, elapsed)
	}
	if n := len(fake.Messages(generalID)); n != 9 {
		t.Errorf("%d messages delivered, want 9", n)
	}
}

// TestRouteRefusalIsRetried: two bot processes on one token (as during a
// rolling deploy) each keep their own view of a channel's bucket, so
// together they overrun it and draw per-route 429s. discordgo waits out
// retry_after and every message lands, each process's in its own order.
func TestRouteRefusalIsRetried(t *testing.T) {
	fake, a := startLimited(t, &discordsim.RateLimit{RouteLimit: 2, RouteWindow: 400 * time.Millisecond})
	b := newSession(fake, fake.Token())
	var wg sync.WaitGroup
	for name, dg := range map[string]*discordgo.Session{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 4 {
				if _, err := dg.ChannelMessageSend(generalID, name+strconv.Itoa(n)); err != nil {
					t.Errorf("%s message %d: %v", name, n, err)
				}
			}
		}()
	}
	wg.Wait()
	if fake.RateLimited() == 0 {
		t.Errorf("two sessions sending 8 messages at 2 per window drew no 429")
	}
	got := map[byte]string{}
	for _, m := range fake.Messages(generalID) {
		got[m.Content[0]] += m.Content[1:]
	}
	if got['a'] != "0123" || got['b'] != "0123" {
		t.Errorf("delivered %v, want 0123 from each session", got)
	}
	for _, r := range fake.Requests() {
		if r.Status == http.StatusTooManyRequests && strings.Contains(string(r.Response), `"global":true`) {
			t.Errorf("a global 429 without a global limit: %s", r)
		}
	}
}

func TestRateLimitHeaders(t *testing.T) {
	fake, _ := startLimited(t, &discordsim.RateLimit{GlobalPerSecond: 3, RouteLimit: 2, RouteWindow: time.Second})

	before := float64(time.Now().UnixMicro()) / 1e6
	r1, _ := call(t, fake, "GET", "/channels/"+generalID)
	if r1.StatusCode != 200 {
		t.Fatalf("first request: %d", r1.StatusCode)
	}
	if r1.Header.Get("X-RateLimit-Limit") != "2" || r1.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("limit/remaining = %q/%q, want 2/1", r1.Header.Get("X-RateLimit-Limit"), r1.Header.Get("X-RateLimit-Remaining"))
	}
	if after := headerFloat(t, r1.Header, "X-RateLimit-Reset-After"); after <= 0.9 || after > 1.01 {
		t.Errorf("X-RateLimit-Reset-After = %v, want about 1", after)
	}
	if reset := headerFloat(t, r1.Header, "X-RateLimit-Reset"); reset < before+0.9 || reset > float64(time.Now().UnixMicro())/1e6+1.01 {
		t.Errorf("X-RateLimit-Reset = %v, want about %v", reset, before+1)
	}
	bucket := r1.Header.Get("X-RateLimit-Bucket")
	if bucket == "" {
		t.Errorf("no X-RateLimit-Bucket")
	}

	if r2, _ := call(t, fake, "GET", "/channels/"+generalID); r2.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("second request: remaining %q, want 0", r2.Header.Get("X-RateLimit-Remaining"))
	}

	// The route is spent: a per-route 429.
	r3, body := call(t, fake, "GET", "/channels/"+generalID)
	if r3.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", r3.StatusCode)
	}
	var rl struct {
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	if err := json.Unmarshal(body, &rl); err != nil {
		t.Fatalf("429 body %s: %v", body, err)
	}
	if rl.Message != "You are being rate limited." || rl.Global || rl.RetryAfter <= 0 || rl.RetryAfter > 1.01 {
		t.Errorf("route 429 body = %+v", rl)
	}
	if r3.Header.Get("X-RateLimit-Scope") != "user" || r3.Header.Get("Retry-After") != "1" ||
		r3.Header.Get("X-RateLimit-Remaining") != "0" || r3.Header.Get("X-RateLimit-Bucket") != bucket || r3.Header.Get("X-RateLimit-Global") != "" {
		t.Errorf("route 429 headers: %v", r3.Header)
	}
	// discordgo reads the same body.
	var tmr discordgo.TooManyRequests
	if err := json.Unmarshal(body, &tmr); err != nil || tmr.RetryAfter <= 0 {
		t.Errorf("discordgo reads retry_after as %v (%v)", tmr.RetryAfter, err)
	}

	// Another channel is another bucket (same bucket id: Discord's id
	// leaves the channel out). It is the third request counted globally.
	r4, _ := call(t, fake, "GET", "/channels/"+modlogID)
	if r4.StatusCode != 200 || r4.Header.Get("X-RateLimit-Remaining") != "1" || r4.Header.Get("X-RateLimit-Bucket") != bucket {
		t.Errorf("other channel: %d, remaining %q, bucket %q", r4.StatusCode, r4.Header.Get("X-RateLimit-Remaining"), r4.Header.Get("X-RateLimit-Bucket"))
	}

	// The fourth counted request within a second: a global 429, with no
	// bucket headers, as Discord sends it.
	r5, body := call(t, fake, "GET", "/channels/"+modlogID)
	if r5.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("global limit: %d, want 429", r5.StatusCode)
	}
	if err := json.Unmarshal(body, &rl); err != nil || !rl.Global || rl.RetryAfter <= 0 || rl.RetryAfter > 1.01 {
		t.Errorf("global 429 body %s (%v)", body, err)
	}
	if r5.Header.Get("X-RateLimit-Global") != "true" || r5.Header.Get("X-RateLimit-Scope") != "global" ||
		r5.Header.Get("Retry-After") != "1" || r5.Header.Get("X-RateLimit-Bucket") != "" {
		t.Errorf("global 429 headers: %v", r5.Header)
	}

	// Interaction endpoints are not bound to the global limit.
	for _, p := range []string{"/interactions/123/token/callback", "/webhooks/" + fake.AppID() + "/token"} {
		if r, _ := call(t, fake, "POST", p); r.StatusCode == http.StatusTooManyRequests {
			t.Errorf("POST %s was refused by the global limit", p)
		}
	}
	if n := fake.RateLimited(); n != 2 {
		t.Errorf("RateLimited() = %d, want 2", n)
	}
}

func TestNoLimitsNoHeaders(t *testing.T) {
	fake, dg := startLimited(t, nil)
	for n := range 60 {
		r, _ := call(t, fake, "GET", "/channels/"+generalID)
		if r.StatusCode != 200 {
			t.Fatalf("request %d: %d", n, r.StatusCode)
		}
		for k := range r.Header {
			if strings.HasPrefix(k, "X-Ratelimit") || k == "Retry-After" {
				t.Fatalf("rate limit header %s without limits", k)
			}
		}
	}
	for n := range 60 {
		if _, err := dg.ChannelMessageSend(generalID, strconv.Itoa(n)); err != nil {
			t.Fatal(err)
		}
	}
	if fake.RateLimited() != 0 || len(fake.Messages(generalID)) != 60 {
		t.Errorf("RateLimited() = %d, %d messages", fake.RateLimited(), len(fake.Messages(generalID)))
	}
}
