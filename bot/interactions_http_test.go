package bot

import (
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/internal/discordsim"
)

// startHTTPAdapter is startAdapter with interactions delivered to the
// HTTP endpoint instead of the gateway; REST goes to the fake as usual.
func startHTTPAdapter(t *testing.T, deferAfter time.Duration, features ...commands.Feature) (*discordsim.Server, *interactionEndpoint) {
	t.Helper()
	fake := discordsim.New(discordsim.Options{})
	t.Cleanup(fake.Close)
	fake.AddGuild(discordsim.Guild{ID: testGuild, Name: "probe", Members: []discordsim.Member{{User: discordsim.User{ID: testMember, Username: "member"}}}})

	cfg := DefaultConfig()
	cfg.Discord.Token, cfg.Discord.APIURL, cfg.Discord.PublicKey = fake.Token(), fake.URL(), fake.InteractionsPublicKey()
	session, err := newSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := NewLogger(&testWriter{t}, LogConfig{Level: "debug", Format: "text"})
	router := commands.NewRouter(nil, features...)
	a := newAdapter(context.Background(), router, log, newMetrics(nil))
	a.deferAfter = deferAfter
	if _, err := syncCommands(session, fake.AppID(), "", router.Definitions()); err != nil {
		t.Fatal(err)
	}
	e := newInteractionEndpoint(cfg.Discord.Key(), a, session, log)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	fake.DeliverOverHTTP(srv.URL)
	return fake, e
}

func TestHTTPSlowHandlerIsDeferredInTheBodyThenEditedOverREST(t *testing.T) {
	t.Parallel()
	fake, _ := startHTTPAdapter(t, 100*time.Millisecond, probe{slow: 400 * time.Millisecond})
	reply := fake.Interact(t, testGuild, testMember, "/probe slow")
	if !reply.Deferred || reply.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource || !reply.Ephemeral() {
		t.Fatalf("slow handler over HTTP: type %d deferred %v ephemeral %v, want a private deferral", reply.Type, reply.Deferred, reply.Ephemeral())
	}
	if reply.Data.Content != "worth the wait" {
		t.Errorf("edited content = %q", reply.Data.Content)
	}
	fake.WaitRequest(t, time.Second, func(r discordsim.Request) bool {
		return r.Method == "PATCH" && strings.HasSuffix(r.Path, "/messages/@original")
	})
}

func TestHTTPPublicDeferralEndingInAnErrorFollowsUpPrivately(t *testing.T) {
	t.Parallel()
	fake, _ := startHTTPAdapter(t, 100*time.Millisecond, probe{slow: 300 * time.Millisecond})
	fake.Interact(t, testGuild, testMember, "/probe announce-slow-fail")
	fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "DELETE" && strings.HasSuffix(r.Path, "/messages/@original")
	})
	followup := fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/api/v9/webhooks/")
	})
	if !strings.Contains(string(followup.Body), "Something went wrong") {
		t.Errorf("follow-up = %s", followup.Body)
	}
}

func TestHTTPPanicIsAnsweredInTheBody(t *testing.T) {
	t.Parallel()
	fake, _ := startHTTPAdapter(t, time.Second, probe{})
	if r := fake.Interact(t, testGuild, testMember, "/probe panic"); !r.Ephemeral() || r.Data.Content != genericErrorText {
		t.Errorf("panic over HTTP = %q", r.Data.Content)
	}
}

// A handler that outlives the wait (an autocomplete can't be deferred)
// doesn't hold the request open: it ends, and the late answer is refused.
func TestHTTPRequestEndsWhenNoAnswerComes(t *testing.T) {
	t.Parallel()
	e := &interactionEndpoint{wait: 50 * time.Millisecond, log: slog.New(slog.DiscardHandler)}
	i := &discordgo.Interaction{ID: "1", Token: "t"}
	hr := newHTTPResponder(nil, i)
	start := time.Now()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.waitForAnswer(rec, httptest.NewRequest("POST", "/interactions", nil), hr, make(chan struct{}))
	}()
	<-done
	if rec.Code != 503 || time.Since(start) > time.Second {
		t.Errorf("no answer: %d after %v, want 503 after the wait", rec.Code, time.Since(start))
	}
	err := hr.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
	if !errors.Is(err, errAnswerTooLate) {
		t.Errorf("late answer: err = %v, want errAnswerTooLate", err)
	}
	if err := hr.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}); !errors.Is(err, errAnswered) {
		t.Errorf("second answer: err = %v, want errAnswered", err)
	}
}

func TestSignatureWindow(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, tt := range []struct {
		offset time.Duration
		want   bool
	}{{0, true}, {-signatureWindow, true}, {signatureWindow, true}, {-signatureWindow - time.Second, false}, {signatureWindow + time.Second, false}, {-time.Hour, false}} {
		if got := fresh(now.Add(tt.offset), now); got != tt.want {
			t.Errorf("signed %v from now: fresh = %v, want %v", tt.offset, got, tt.want)
		}
	}
}

func TestSignatureHeaders(t *testing.T) {
	sig := strings.Repeat("ab", 64)
	tests := []struct {
		name, sig, ts string
		want          error
	}{
		{"good", sig, "1800000000", nil},
		{"upper-case hex", strings.ToUpper(sig), "1800000000", nil},
		{"no signature", "", "1800000000", errNoSignature},
		{"no timestamp", sig, "", errNoSignature},
		{"short signature", sig[:126], "1800000000", errBadSignature},
		{"long signature", sig + "ab", "1800000000", errBadSignature},
		{"not hex", strings.Repeat("zz", 64), "1800000000", errBadSignature},
		{"signed timestamp", sig, "+1800000000", errBadTimestamp},
		{"negative timestamp", sig, "-1", errBadTimestamp},
		{"fractional timestamp", sig, "1800000000.5", errBadTimestamp},
		{"huge timestamp", sig, "99999999999999999999", errBadTimestamp},
	}
	for _, tt := range tests {
		got, at, err := signatureHeaders(tt.sig, tt.ts)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			continue
		}
		if err == nil && (len(got) != 64 || at.Unix() != 1800000000) {
			t.Errorf("%s: %x at %v", tt.name, got, at)
		}
	}
}

func FuzzSignatureHeaders(f *testing.F) {
	f.Add(strings.Repeat("ab", 64), "1800000000")
	f.Add("", "")
	f.Add(strings.Repeat("0", 128), "-5")
	f.Fuzz(func(t *testing.T, sigHex, ts string) {
		sig, at, err := signatureHeaders(sigHex, ts)
		if err != nil {
			return
		}
		if len(sig) != 64 {
			t.Fatalf("accepted a signature of %d bytes", len(sig))
		}
		if want, _ := hex.DecodeString(sigHex); string(want) != string(sig) {
			t.Fatalf("signature %x, header %q", sig, sigHex)
		}
		if strconv.FormatInt(at.Unix(), 10) != strings.TrimLeft(ts, "0") && !(at.Unix() == 0 && strings.Trim(ts, "0") == "") {
			t.Fatalf("timestamp %q read as %d", ts, at.Unix())
		}
	})
}
