package bot_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// With discord.gateway false, Kindred never touches the gateway, yet
// answers interactions over HTTP (reading and writing the database, and
// reading the server over REST as no GUILD_CREATE describes it), runs
// its timed work and reports healthy.
func TestGatewayOffServesOverHTTP(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		gatewayOff(t, b)
	})
}

func gatewayOff(t *testing.T, b storagetest.Backend) {
	h := kindredtest.Start(t, kindredtest.Options{
		Backend:          b,
		HTTPInteractions: true,
		Configure:        func(c *bot.Config) { c.Discord.Gateway = false },
	})
	h.Clock.Set(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))

	// A group's role is checked against the server's roles: read over REST.
	created := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/group create name:"Evening Circle" description:"Peer support" type:mental-health channel:<#`+kindredtest.GeneralID+`> timezone:Europe/Berlin role:<@&`+kindredtest.FacilitatorID+`>`)
	if !strings.Contains(created.Text(), "Evening Circle") {
		t.Fatalf("/group create = %q", created.Text())
	}
	first := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkin mood:3")
	if !first.Ephemeral() || !strings.Contains(first.Text(), "streak") {
		t.Errorf("/checkin = %q (ephemeral %v)", first.Text(), first.Ephemeral())
	}
	history := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins history days:7")
	if !strings.Contains(history.Text(), "**1** check-ins") {
		t.Errorf("/checkins history after one check-in = %q", history.Text())
	}

	// A check-in reminder is a scheduled DM, sent over REST.
	set := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/checkins reminder time:20:00")
	if !strings.Contains(set.Text(), "20:00") {
		t.Fatalf("/checkins reminder = %q", set.Text())
	}
	if n := h.RunDue(t, time.Date(2026, 12, 1, 20, 0, 30, 0, time.UTC)); n == 0 {
		t.Fatal("no job ran at 20:00")
	}
	dm := h.Fake.DMChannelID(kindredtest.AliceID)
	if dm == "" {
		t.Fatal("no reminder DM")
	}
	if prompt := h.Fake.WaitMessage(t, dm, 5*time.Second); !strings.Contains(prompt.Content, "how are you today") {
		t.Errorf("reminder DM = %q", prompt.Content)
	}

	status, body := get(t, "http://"+h.HTTPAddr+"/healthz")
	if status != http.StatusOK || !strings.Contains(body, "gateway: off (interactions over HTTP)") || strings.Contains(body, "shard") {
		t.Errorf("/healthz = %d %q, want 200 saying the gateway is off", status, body)
	}
	_, metrics := get(t, "http://"+h.HTTPAddr+"/metrics")
	if strings.Contains(metrics, "kindred_gateway_connected") {
		t.Error("/metrics has kindred_gateway_connected without a gateway")
	}

	// Nothing ever asked for the gateway or connected to it.
	if log := h.Fake.IdentifyLog(); len(log) != 0 || h.Fake.Connected() {
		t.Errorf("identified %d times (connected %v) with the gateway off", len(log), h.Fake.Connected())
	}
	readServer := false
	for _, r := range h.Fake.Requests() {
		if strings.HasPrefix(r.Path, "/api/v9/gateway") {
			t.Errorf("asked for the gateway: %s", r)
		}
		readServer = readServer || r.Method == http.MethodGet && r.Path == "/api/v9/guilds/"+kindredtest.GuildID
	}
	if !readServer {
		t.Error("the server was never read over REST, yet no gateway described it")
	}
}
