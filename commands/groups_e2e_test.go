package commands_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

// Roles the group tests hand out: one below the facilitator role
// (position 3) and Kindred's own, one between them, one above Kindred's
// (out of reach: Discord answers 403, 50013).
const (
	circleRoleID  = "810000000000000031"
	stageRoleID   = "810000000000000032"
	helpersRoleID = "810000000000000033"
	franID        = "820000000000000031" // holds the facilitator role
)

// startGroups runs Kindred in the harness's server with the group roles
// added, and a member holding the facilitator role, which here carries
// Manage Roles.
func startGroups(t *testing.T) *kindredtest.Harness {
	t.Helper()
	h := kindredtest.Start(t, kindredtest.Options{})
	g := kindredtest.Server()
	for i, r := range g.Roles {
		if r.ID == kindredtest.FacilitatorID {
			g.Roles[i].Permissions |= discordgo.PermissionManageRoles
		}
	}
	g.Roles = append(g.Roles,
		discordsim.Role{ID: circleRoleID, Name: "Monday Circle", Position: 2},
		discordsim.Role{ID: helpersRoleID, Name: "Helpers", Position: 6},
		discordsim.Role{ID: stageRoleID, Name: "Stage", Position: discordsim.BotRolePosition + 5},
	)
	g.Members = append(g.Members, discordsim.Member{User: discordsim.User{ID: franID, Username: "fran"}, Roles: []string{kindredtest.FacilitatorID}})
	h.Fake.AddGuild(g)
	return h
}

func hasRole(h *kindredtest.Harness, userID, roleID string) bool {
	m := h.Fake.Member(kindredtest.GuildID, userID)
	return m != nil && slices.Contains(m.Roles, roleID)
}

func TestGroupJoinAndLeaveEndToEnd(t *testing.T) {
	t.Parallel()
	h := startGroups(t)
	guild := kindredtest.GuildID
	create := `/group create name:"Monday Circle" description:"A weekly circle for people in recovery" type:recovery channel:<#` +
		kindredtest.GeneralID + `> role:<@&` + circleRoleID + `> commitment:"Most Mondays"`

	// Fran holds the facilitator role, which counts once setup names it.
	refused := h.Fake.Interact(t, guild, franID, create)
	if !refused.Ephemeral() || !strings.Contains(refused.Text(), "Only facilitators") {
		t.Fatalf("create before the facilitator role was set = %q", refused.Text())
	}
	h.Fake.Interact(t, guild, kindredtest.AdminID, "/kindred setup facilitator_role:<@&"+kindredtest.FacilitatorID+">")
	created := h.Fake.Interact(t, guild, franID, create)
	if !created.Ephemeral() || !strings.Contains(created.Text(), "Created **Monday Circle**") {
		t.Fatalf("create = %q", created.Text())
	}
	if am := created.Data.AllowedMentions; am == nil || len(am.Parse) != 0 {
		t.Errorf("create reply allowed mentions = %+v, want none", am)
	}

	choices := h.Fake.Autocomplete(t, guild, kindredtest.AliceID, "/group join group:mon")
	if len(choices) != 1 || choices[0].Value != "Monday Circle" {
		t.Fatalf("autocomplete = %+v", choices)
	}

	join := h.Fake.Interact(t, guild, kindredtest.AliceID, `/group join group:"Monday Circle"`)
	if !join.Ephemeral() || !strings.Contains(join.Text(), "What is shared in the group stays in the group") {
		t.Fatalf("join = %q", join.Text())
	}
	buttons := join.Buttons()
	if len(buttons) != 1 || buttons[0].Label != "I agree" || !strings.HasPrefix(buttons[0].CustomID, "group:agree:") {
		t.Fatalf("join buttons = %+v", buttons)
	}
	if hasRole(h, kindredtest.AliceID, circleRoleID) {
		t.Fatal("Alice got the role before agreeing")
	}

	agreed := h.Fake.Click(t, guild, kindredtest.AliceID, buttons[0].CustomID, join.Message)
	// Under load the adapter may defer the click (6) and then edit the message.
	updated := agreed.Type == discordgo.InteractionResponseUpdateMessage ||
		(agreed.Deferred && agreed.Type == discordgo.InteractionResponseDeferredMessageUpdate)
	if !updated || !strings.Contains(agreed.Text(), "Welcome to **Monday Circle**") {
		t.Fatalf("agree = type %d %q", agreed.Type, agreed.Text())
	}
	if len(buttonsOf(join.Message)) != 1 || agreed.Message == nil || len(buttonsOf(agreed.Message)) != 0 {
		t.Errorf("the I agree button should be on the join message and gone after agreeing")
	}
	if !hasRole(h, kindredtest.AliceID, circleRoleID) {
		t.Errorf("Alice's roles after agreeing = %v", h.Fake.Member(guild, kindredtest.AliceID).Roles)
	}
	roleRequests := 0
	for _, r := range h.Fake.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/members/"+kindredtest.AliceID+"/roles/"+circleRoleID) {
			roleRequests++
			if reason, _ := url.QueryUnescape(r.Header.Get("X-Audit-Log-Reason")); !strings.HasPrefix(reason, "Kindred: member joined group ") {
				t.Errorf("role given with audit log reason %q", reason)
			}
		}
	}
	if roleRequests != 1 {
		t.Errorf("%d requests gave Alice the role, want 1", roleRequests)
	}
	info := h.Fake.Interact(t, guild, kindredtest.AliceID, `/group info group:"monday circle"`)
	if !info.Ephemeral() || !strings.Contains(info.Text(), "1 member") || !strings.Contains(info.Text(), "Most Mondays") {
		t.Errorf("info = %q", info.Text())
	}
	list := h.Fake.Interact(t, guild, kindredtest.BobID, "/group list")
	if !list.Ephemeral() || !strings.Contains(list.Text(), "**Monday Circle** · Recovery · 1 member") {
		t.Errorf("list = %q", list.Text())
	}

	left := h.Fake.Interact(t, guild, kindredtest.AliceID, `/group leave group:"Monday Circle"`)
	if !left.Ephemeral() || !strings.Contains(left.Text(), "You've left") {
		t.Errorf("leave = %q", left.Text())
	}
	if hasRole(h, kindredtest.AliceID, circleRoleID) {
		t.Error("Alice kept the role after leaving")
	}
	again := h.Fake.Interact(t, guild, kindredtest.AliceID, `/group leave group:"Monday Circle"`)
	if !strings.Contains(again.Text(), "not a member") {
		t.Errorf("leaving twice = %q", again.Text())
	}
}

// Attaching a role follows Discord's rules with the server's real
// positions: not one above the facilitator's own, not one above Kindred's
// (even for the owner), and not by someone without Manage Roles.
func TestGroupRoleHierarchyEndToEnd(t *testing.T) {
	t.Parallel()
	h := startGroups(t)
	guild := kindredtest.GuildID
	h.Fake.Interact(t, guild, kindredtest.OwnerID, "/kindred setup facilitator_role:<@&"+kindredtest.FacilitatorID+">")
	create := func(userID, name, roleID string) string {
		return h.Fake.Interact(t, guild, userID, `/group create name:`+name+` description:"Practice" type:personal-development channel:<#`+
			kindredtest.GeneralID+`> role:<@&`+roleID+`>`).Text()
	}
	if got := create(franID, "Helpers", helpersRoleID); !strings.Contains(got, "at or above your highest role") || strings.Contains(got, "Created") {
		t.Errorf("Fran attaching a role above hers = %q", got)
	}
	if got := create(kindredtest.OwnerID, "Stage", stageRoleID); !strings.Contains(got, "above Kindred's own role") || strings.Contains(got, "Created") {
		t.Errorf("the owner attaching a role above Kindred's = %q", got)
	}
	// The admin role has Manage Server, not Manage Roles.
	h.Fake.AddMember(guild, discordsim.Member{User: discordsim.User{ID: "820000000000000032", Username: "eve"}, Roles: []string{kindredtest.FacilitatorID}})
	h.Fake.SetRole(guild, discordsim.Role{ID: kindredtest.FacilitatorID, Name: "Facilitators", Position: 3})
	if got := create("820000000000000032", "Circle", circleRoleID); !strings.Contains(got, "Manage Roles") || strings.Contains(got, "Created") {
		t.Errorf("a facilitator without Manage Roles attaching a role = %q", got)
	}
	if got := create(kindredtest.OwnerID, "Helpers", helpersRoleID); !strings.Contains(got, "Created") {
		t.Errorf("the owner attaching a role below Kindred's = %q", got)
	}
}

// A role moved above Kindred's after the group was made can't be given
// (403, 50013): the membership still starts, and the member is told why
// the role is missing.
func TestGroupRoleOutOfReachEndToEnd(t *testing.T) {
	t.Parallel()
	h := startGroups(t)
	guild := kindredtest.GuildID
	created := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/group create name:Stage description:"Public speaking practice" type:personal-development channel:<#`+
		kindredtest.GeneralID+`> role:<@&`+helpersRoleID+`>`)
	if !strings.Contains(created.Text(), "Created") {
		t.Fatalf("create = %q", created.Text())
	}
	h.Fake.SetRole(guild, discordsim.Role{ID: helpersRoleID, Name: "Helpers", Position: discordsim.BotRolePosition + 1})
	join := h.Fake.Interact(t, guild, kindredtest.AliceID, "/group join group:Stage")
	agreed := h.Fake.Click(t, guild, kindredtest.AliceID, join.Buttons()[0].CustomID, join.Message)
	if !strings.Contains(agreed.Text(), "Welcome") || !strings.Contains(agreed.Text(), "couldn't give you the role") {
		t.Errorf("agree with the role out of reach = %q", agreed.Text())
	}
	if hasRole(h, kindredtest.AliceID, helpersRoleID) {
		t.Error("the fake handed out a role above Kindred's")
	}
	info := h.Fake.Interact(t, guild, kindredtest.AliceID, "/group info group:Stage")
	if !strings.Contains(info.Text(), "You're a member") || !strings.Contains(info.Text(), "1 member") {
		t.Errorf("membership not kept: info = %q", info.Text())
	}
	if logs := h.Logs.String(); !strings.Contains(logs, "could not give group role") || !strings.Contains(logs, kindredtest.AliceID) {
		t.Errorf("no warning with ids in the log:\n%s", logs)
	}
}

// A group's role that gained Administrator after the group was made is
// not handed out: the member joins without it and is told, and so is the
// mod-log.
func TestGroupRoleThatGainedPowersIsNotGivenEndToEnd(t *testing.T) {
	t.Parallel()
	h := startGroups(t)
	guild := kindredtest.GuildID
	h.Fake.Interact(t, guild, kindredtest.OwnerID, "/kindred setup facilitator_role:<@&"+kindredtest.FacilitatorID+"> modlog_channel:<#"+kindredtest.ModlogID+">")
	created := h.Fake.Interact(t, guild, franID, `/group create name:"Monday Circle" description:"A weekly circle" type:recovery channel:<#`+
		kindredtest.GeneralID+`> role:<@&`+circleRoleID+`>`)
	if !strings.Contains(created.Text(), "Created") {
		t.Fatalf("create = %q", created.Text())
	}
	h.Fake.SetRole(guild, discordsim.Role{ID: circleRoleID, Name: "Monday Circle", Position: 2, Permissions: discordgo.PermissionAdministrator})
	join := h.Fake.Interact(t, guild, kindredtest.AliceID, `/group join group:"Monday Circle"`)
	agreed := h.Fake.Click(t, guild, kindredtest.AliceID, join.Buttons()[0].CustomID, join.Message)
	if got := agreed.Text(); !strings.Contains(got, "Welcome") || !strings.Contains(got, "didn't give you the group's role") || !strings.Contains(got, "Administrator") {
		t.Errorf("agree with a role that gained Administrator = %q", got)
	}
	if hasRole(h, kindredtest.AliceID, circleRoleID) {
		t.Error("Alice was given a role with Administrator")
	}
	for _, r := range h.Fake.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/roles/"+circleRoleID) {
			t.Errorf("the role was asked of Discord: %s", r.Path)
		}
	}
	note := discordsim.MessageText(h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second))
	if !strings.Contains(note, "<@"+kindredtest.AliceID+">") || !strings.Contains(note, "Administrator") || !strings.Contains(note, "/group edit") {
		t.Errorf("mod-log note = %q", note)
	}
}

// buttonsOf is the buttons on a message, as the fake sees them.
func buttonsOf(m *discordgo.Message) []discordgo.Button {
	if m == nil {
		return nil
	}
	r := discordsim.Reply{Data: &discordgo.InteractionResponseData{Components: m.Components}}
	return r.Buttons()
}
