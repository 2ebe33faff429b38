package bot_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/bot"
	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

func TestResourcesEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if !reply.Ephemeral() {
		t.Error("/resources must answer ephemerally")
	}
	if !strings.Contains(reply.Text(), "findahelpline.com") {
		t.Errorf("/resources = %q", reply.Text())
	}
	if am := reply.Data.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Users) != 0 || len(am.Roles) != 0 {
		t.Errorf("allowed mentions = %+v, want none", am)
	}
}

func TestNoPrivilegedIntents(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	ids := h.Fake.Identifies()
	if len(ids) == 0 {
		t.Fatal("no IDENTIFY received")
	}
	privileged := discordgo.IntentsGuildMembers | discordgo.IntentsGuildPresences | discordgo.IntentMessageContent
	for _, id := range ids {
		if id.Intents&privileged != 0 {
			t.Errorf("IDENTIFY asked for privileged intents %b", id.Intents&privileged)
		}
	}
}

func TestSetupPermissionsEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	refused := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/kindred setup timezone:Europe/Berlin")
	if !refused.Ephemeral() || !strings.Contains(refused.Text(), "Manage Server") {
		t.Errorf("a member without Manage Server got %q", refused.Text())
	}
	saved := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AdminID,
		"/kindred setup modlog_channel:<#"+kindredtest.ModlogID+"> moderator_role:<@&"+kindredtest.ModRoleID+"> timezone:Europe/Berlin")
	if !saved.Ephemeral() || !strings.Contains(saved.Text(), "Saved") || !strings.Contains(saved.Text(), "Europe/Berlin") {
		t.Fatalf("admin setup = %q", saved.Text())
	}
	// The owner holds every permission without any role.
	shown := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID, "/kindred setup")
	if !strings.Contains(shown.Text(), "<#"+kindredtest.ModlogID+">") || !strings.Contains(shown.Text(), "<@&"+kindredtest.ModRoleID+">") {
		t.Errorf("settings shown = %q", shown.Text())
	}
}

func TestTimezoneAutocompleteEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	for query, want := range map[string]string{"Europe/Ber": "Europe/Berlin", "europe/ber": "Europe/Berlin", "BERLIN": "Europe/Berlin", "": "UTC"} {
		choices := h.Fake.Autocomplete(t, kindredtest.GuildID, kindredtest.AliceID, "/preferences timezone zone:"+query)
		if len(choices) == 0 || len(choices) > 25 {
			t.Fatalf("%q: %d choices, want 1–25", query, len(choices))
		}
		if choices[0].Value != want {
			t.Errorf("%q: first choice %v, want %s", query, choices[0].Value, want)
		}
	}
}

// An autocomplete with no matches still names its choices: Discord
// requires the key, and discordgo would leave an empty list out.
func TestAutocompleteWithNoMatchesSendsEmptyChoices(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	// The server has no groups, so nothing matches.
	if choices := h.Fake.Autocomplete(t, kindredtest.GuildID, kindredtest.AliceID, "/group info group:anything"); len(choices) != 0 {
		t.Fatalf("choices = %+v, want none", choices)
	}
	var callback *discordsim.Request
	for _, r := range h.Fake.Requests() {
		if strings.HasSuffix(r.Path, "/callback") {
			callback = &r
		}
	}
	if callback == nil || !strings.Contains(string(callback.Body), `"choices":[]`) {
		t.Fatalf("autocomplete callback = %v, want a body with \"choices\":[]", callback)
	}
}

func TestPreferencesEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	bad := h.Fake.Interact(t, "", kindredtest.AliceID, "/preferences timezone zone:Europe/Berln")
	if !bad.Ephemeral() || !strings.Contains(bad.Text(), "Europe/Berlin") {
		t.Errorf("unknown zone = %q, want a suggestion", bad.Text())
	}
	quiet := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/preferences quiet-hours start:25:00 end:08:00")
	if !quiet.Ephemeral() || !strings.Contains(quiet.Text(), "25:00") {
		t.Errorf("quiet hours 25:00 = %q", quiet.Text())
	}
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/preferences timezone zone:Europe/Berlin")
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/preferences quiet-hours start:22:00 end:7am")
	// Preferences belong to the member: a DM shows what was set in the server.
	shown := h.Fake.Interact(t, "", kindredtest.AliceID, "/preferences show")
	if !shown.Ephemeral() || !strings.Contains(shown.Text(), "Europe/Berlin") || !strings.Contains(shown.Text(), "22:00 to 07:00") {
		t.Errorf("show = %q", shown.Text())
	}
}

// Commands are registered on the first start and not again when nothing changed.
func TestCommandsRegisteredOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := kindredtest.Start(t, kindredtest.Options{Backend: b})
		if n := len(h.Fake.Commands("")); n == 0 {
			t.Fatal("no global commands registered")
		}
		writes := h.Fake.CommandWrites()
		if writes != 1 {
			t.Errorf("first start made %d command writes, want 1 bulk overwrite", writes)
		}
		h.Restart(t)
		if got := h.Fake.CommandWrites(); got != writes {
			t.Errorf("restart with unchanged commands wrote them again (%d writes)", got-writes)
		}
	})
}

func TestDevGuildRegistration(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{Configure: func(c *bot.Config) { c.Discord.DevGuildID = kindredtest.GuildID }})
	if len(h.Fake.Commands(kindredtest.GuildID)) == 0 || len(h.Fake.Commands("")) != 0 {
		t.Errorf("with dev_guild_id, commands belong to that server only (guild %d, global %d)",
			len(h.Fake.Commands(kindredtest.GuildID)), len(h.Fake.Commands("")))
	}
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if !strings.Contains(reply.Text(), "findahelpline.com") {
		t.Errorf("/resources = %q", reply.Text())
	}
}

// Discord asks clients to reconnect (op 7): Kindred resumes and keeps answering.
func TestReconnectResumesAndKeepsAnswering(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	h.Fake.Reconnect()
	deadline := time.Now().Add(10 * time.Second)
	for h.Fake.Resumes() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if h.Fake.Resumes() != 1 {
		t.Fatalf("resumes = %d, want 1", h.Fake.Resumes())
	}
	h.Fake.WaitReady(t, 10*time.Second)
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if !strings.Contains(reply.Text(), "findahelpline.com") {
		t.Errorf("after resume /resources = %q", reply.Text())
	}
}

// An invalid session (op 9) makes Kindred identify again and keep answering.
func TestInvalidSessionIdentifiesAgain(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	before := len(h.Fake.Identifies())
	h.Fake.InvalidateSession()
	deadline := time.Now().Add(10 * time.Second)
	for len(h.Fake.Identifies()) == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if len(h.Fake.Identifies()) != before+1 {
		t.Fatalf("identifies = %d, want %d", len(h.Fake.Identifies()), before+1)
	}
	h.Fake.WaitReady(t, 10*time.Second)
	if reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources"); !reply.Ephemeral() {
		t.Error("no ephemeral answer after re-identifying")
	}
}

func TestMalformedPayloadIsLoggedAndBotKeepsRunning(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	for _, raw := range []string{
		`{"id":"1","type":2,"token":"x","application_id":"1","data":"oops"}`,
		`{"id":"2","type":2,"token":"x","application_id":"1","guild_id":"` + kindredtest.GuildID + `","data":{"name":"resources","type":1}}`,
		`{"id":"3","type":99,"token":"x","user":{"id":"5"}}`,
		`[1,2,3]`,
	} {
		h.Fake.DispatchRaw("INTERACTION_CREATE", json.RawMessage(raw))
	}
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if !strings.Contains(reply.Text(), "findahelpline.com") {
		t.Errorf("after malformed payloads /resources = %q", reply.Text())
	}
	waitFor(t, func() bool { return strings.Contains(h.Logs.String(), "malformed interaction") }, "a log line for the malformed payload")
}

func TestUnknownCommandGetsEphemeralAnswer(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	i, err := h.Fake.BuildCommand(kindredtest.GuildID, kindredtest.AliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	data := i.Data.(discordgo.ApplicationCommandInteractionData)
	data.Name = "retired-command"
	i.Data = data
	p, err := h.Fake.Start(i)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := p.Wait(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !reply.Ephemeral() || !strings.Contains(reply.Text(), "don't know") {
		t.Errorf("unknown command = %q (ephemeral %v)", reply.Text(), reply.Ephemeral())
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	status, body := get(t, "http://"+h.HTTPAddr+"/healthz")
	if status != http.StatusOK {
		t.Fatalf("/healthz = %d %q while connected", status, body)
	}
	h.Fake.Interact(t, kindredtest.GuildID, kindredtest.AliceID, "/resources")
	// The counter is written just after the answer is sent.
	counted := `kindred_interactions_total{kind="command",outcome="ok",route="resources"} 1`
	waitFor(t, func() bool {
		status, body = get(t, "http://"+h.HTTPAddr+"/metrics")
		return strings.Contains(body, counted)
	}, "/metrics to count the interaction")
	for _, want := range []string{"kindred_handler_duration_seconds_bucket", `kindred_gateway_connected{shard="0"} 1`, "go_goroutines"} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", status, want)
		}
	}
	// Discord goes away: health turns 503 and says why.
	h.Fake.Close()
	waitFor(t, func() bool {
		status, body = get(t, "http://"+h.HTTPAddr+"/healthz")
		return status == http.StatusServiceUnavailable
	}, "/healthz to turn 503 without the gateway")
	if !strings.Contains(body, "gateway") {
		t.Errorf("503 body = %q, want the reason", body)
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
