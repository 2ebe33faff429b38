package discordsim_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// endpoint is an application's Interactions Endpoint URL: it checks the
// fake's signature and answers with what answer returns.
func endpoint(t *testing.T, publicKey string, answer func(i *discordgo.Interaction, w http.ResponseWriter)) *httptest.Server {
	t.Helper()
	key, err := hex.DecodeString(publicKey)
	if err != nil || len(key) != ed25519.PublicKeySize {
		t.Fatalf("public key %q: %v", publicKey, err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, _ := hex.DecodeString(r.Header.Get("X-Signature-Ed25519"))
		ts := r.Header.Get("X-Signature-Timestamp")
		if r.Method != http.MethodPost || !ed25519.Verify(key, append([]byte(ts), body...), sig) {
			t.Errorf("%s with a signature that does not verify", r.Method)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var i discordgo.Interaction
		if err := json.Unmarshal(body, &i); err != nil {
			t.Errorf("body is not an interaction: %v", err)
		}
		answer(&i, w)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeCallback(w http.ResponseWriter, resp *discordgo.InteractionResponse) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func TestHTTPDeliveryAnswersInTheResponseBody(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	srv := endpoint(t, b.fake.InteractionsPublicKey(), func(i *discordgo.Interaction, w http.ResponseWriter) {
		writeCallback(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "over http", Flags: discordgo.MessageFlagsEphemeral}})
	})
	b.on("checkin", func(*discordgo.Session, *discordgo.Interaction) {
		t.Error("an interaction over HTTP reached the gateway")
	})
	b.fake.DeliverOverHTTP(srv.URL)

	r := b.fake.Interact(t, guildID, aliceID, "/checkin mood:good")
	if r.Type != discordgo.InteractionResponseChannelMessageWithSource || r.Text() != "over http" || !r.Ephemeral() || r.Message == nil {
		t.Errorf("reply = type %d %q ephemeral %v", r.Type, r.Text(), r.Ephemeral())
	}
	for _, req := range b.fake.Requests() {
		if strings.HasSuffix(req.Path, "/callback") {
			t.Errorf("the callback came over REST too: %s", req)
		}
	}
}

func TestHTTPDeliveryDeferredThenEditedOverREST(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	srv := endpoint(t, b.fake.InteractionsPublicKey(), func(i *discordgo.Interaction, w http.ResponseWriter) {
		writeCallback(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
		go func() {
			time.Sleep(50 * time.Millisecond)
			content := "done"
			_, err := b.dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: &content})
			b.check(err)
		}()
	})
	b.fake.DeliverOverHTTP(srv.URL)
	r := b.fake.Interact(t, guildID, aliceID, "/checkin mood:good")
	if !r.Deferred || r.Text() != "done" {
		t.Errorf("reply = deferred %v %q", r.Deferred, r.Text())
	}
	if errs := b.errors(); len(errs) > 0 {
		t.Errorf("bot errors: %v", errs)
	}
}

func TestHTTPDeliveryChecksTheCallback(t *testing.T) {
	b := startBot(t, discordsim.Options{InteractionDeadline: 500 * time.Millisecond})
	var status atomic.Int32
	status.Store(http.StatusOK)
	srv := endpoint(t, b.fake.InteractionsPublicKey(), func(i *discordgo.Interaction, w http.ResponseWriter) {
		if s := int(status.Load()); s != http.StatusOK {
			http.Error(w, "broken", s)
			return
		}
		// An empty message is refused on the REST callback path, and so here.
		writeCallback(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{}})
	})
	b.fake.DeliverOverHTTP(srv.URL)
	i, err := b.fake.BuildCommand(guildID, aliceID, "/checkin mood:good")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.fake.Do(i); err == nil || !strings.Contains(err.Error(), "HTTP response refused as a callback: 400") {
		t.Errorf("empty message over HTTP: err = %v", err)
	}
	status.Store(http.StatusInternalServerError)
	i, _ = b.fake.BuildCommand(guildID, aliceID, "/checkin mood:good")
	if _, err := b.fake.Do(i); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Errorf("a 500 from the endpoint: err = %v", err)
	}
}

// A burst of interactions over HTTP reuses the connections of the burst
// before it, as a bot's endpoint would see from Discord: it is not asked
// to accept a new connection for each interaction.
func TestHTTPDeliveryReusesConnectionsAcrossBursts(t *testing.T) {
	const burst = 50
	b := startBot(t, discordsim.Options{})
	var opened atomic.Int64
	arrived := make(chan struct{}, burst)
	var release atomic.Pointer[chan struct{}]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		gate := *release.Load()
		arrived <- struct{}{}
		<-gate // every request of the burst is open at once
		writeCallback(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "over http", Flags: discordgo.MessageFlagsEphemeral}})
	}))
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	b.fake.DeliverOverHTTP(srv.URL)

	send := func() {
		gate := make(chan struct{})
		release.Store(&gate)
		pending := make([]*discordsim.Pending, burst)
		for i := range pending {
			ic, err := b.fake.BuildCommand(guildID, aliceID, "/checkin mood:good")
			if err != nil {
				t.Fatal(err)
			}
			pr, err := b.fake.Prepare(ic)
			if err != nil {
				t.Fatal(err)
			}
			if pending[i], err = b.fake.Dispatch(pr); err != nil {
				t.Fatal(err)
			}
		}
		for range burst {
			select {
			case <-arrived:
			case <-time.After(5 * time.Second):
				t.Fatal("the burst's requests did not all arrive")
			}
		}
		close(gate)
		for _, p := range pending {
			if _, err := p.Wait(5 * time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}
	send()
	first := opened.Load()
	send()
	if first != burst {
		t.Errorf("the first burst opened %d connections, want %d", first, burst)
	}
	if again := opened.Load() - first; again != 0 {
		t.Errorf("the second burst opened %d new connections, want 0", again)
	}
}
