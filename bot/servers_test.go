package bot

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/commands"
	"github.com/kindred-bot/kindred/internal/discordsim"
)

// Once connected, the port answers Server from what the gateway sent
// (GUILD_CREATE, then role and server events) without asking REST, and
// keeps none of discordgo's state: no channels, no members.
func TestServerFollowsTheGateway(t *testing.T) {
	t.Parallel()
	fake, d := startPort(t, nil)
	if err := d.session.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.session.Close() })
	ctx := context.Background()
	// roles are the server's roles as the gateway described them (none
	// before GUILD_CREATE).
	roles := func() map[string]commands.ServerRole {
		out := map[string]commands.ServerRole{}
		info, ok := d.servers.get(portGuild)
		if ok && info.OwnerID != portOwner {
			t.Fatalf("server from the gateway = %+v", info)
		}
		for _, r := range info.Roles {
			out[r.ID] = r
		}
		return out
	}
	// until waits for the gateway's events to be handled: they are
	// handled on goroutines of their own, after the fake has sent them.
	until := func(what string, cond func(map[string]commands.ServerRole) bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond(roles()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: roles %v", what, roles())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	until("GUILD_CREATE", func(r map[string]commands.ServerRole) bool { return len(r) == 4 })
	got := roles()
	if got[portTopRole].Position != discordsim.BotRolePosition+1 || !got[fake.BotRoleID(portGuild)].Managed {
		t.Errorf("roles from GUILD_CREATE %v", got)
	}

	const helpers = "730000000000000022"
	fake.SetRole(portGuild, discordsim.Role{ID: helpers, Name: "Helpers", Position: 2})
	fake.SetRole(portGuild, discordsim.Role{ID: portLowRole, Name: "Group", Position: 3, Permissions: discordgo.PermissionAdministrator})
	until("GUILD_ROLE_CREATE and _UPDATE", func(r map[string]commands.ServerRole) bool {
		return r[helpers].Position == 2 && r[portLowRole].Permissions == discordgo.PermissionAdministrator
	})
	if n := len(roles()); n != 5 {
		t.Errorf("%d roles after one was created and one updated, want 5", n)
	}
	fake.DispatchRaw("GUILD_ROLE_DELETE", json.RawMessage(`{"guild_id":"`+portGuild+`","role_id":"`+helpers+`"}`))
	until("GUILD_ROLE_DELETE", func(r map[string]commands.ServerRole) bool { _, ok := r[helpers]; return !ok })

	if info, err := d.Server(ctx, portGuild); err != nil || info.OwnerID != portOwner || len(info.Roles) != 4 {
		t.Errorf("server = %+v, %v", info, err)
	}
	if n := len(requestsTo(fake, "GET", "/guilds/"+portGuild)); n != 0 {
		t.Errorf("%d GET /guilds/%s: the server should come from the gateway", n, portGuild)
	}
	if _, err := d.session.State.Guild(portGuild); err == nil {
		t.Error("discordgo's state keeps the server: its channels and members take memory Kindred doesn't use")
	}

	// A server gone unavailable is read from REST until it comes back.
	fake.DispatchRaw("GUILD_DELETE", json.RawMessage(`{"id":"`+portGuild+`","unavailable":true}`))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := d.servers.get(portGuild); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("GUILD_DELETE did not forget the server")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if info, err := d.Server(ctx, portGuild); err != nil || info.OwnerID != portOwner {
		t.Errorf("server from REST = %+v, %v", info, err)
	}
	if n := len(requestsTo(fake, "GET", "/guilds/"+portGuild)); n != 1 {
		t.Errorf("%d GET /guilds/%s after the server went unavailable, want 1", n, portGuild)
	}
}
