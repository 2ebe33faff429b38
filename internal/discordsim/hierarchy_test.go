package discordsim_test

import (
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// Roles at the same position rank by id, the lower id higher, as on
// Discord: the bot hands out and moderates only what is below its own role.
func TestRoleTiesRankByID(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	older := "100000000000000040" // a lower id than the bot's role, made after the guild
	newer := b.fake.NewID()       // a higher one
	b.fake.SetRole(guildID, discordsim.Role{ID: older, Name: "Older twin", Position: discordsim.BotRolePosition})
	b.fake.SetRole(guildID, discordsim.Role{ID: newer, Name: "Newer twin", Position: discordsim.BotRolePosition})

	if status, code := restCode(b.dg.GuildMemberRoleAdd(guildID, aliceID, older)); status != 403 || code != 50013 {
		t.Errorf("handing out a role tied with the bot's and an older id: %d %d, want 403 50013", status, code)
	}
	if err := b.dg.GuildMemberRoleAdd(guildID, aliceID, newer); err != nil {
		t.Errorf("handing out a role tied with the bot's and a newer id: %v", err)
	}

	b.fake.AddMember(guildID, discordsim.Member{User: discordsim.User{ID: bobID, Username: "bob"}, Roles: []string{older}})
	until := time.Now().Add(time.Hour)
	if status, code := restCode(b.dg.GuildMemberTimeout(guildID, bobID, &until)); status != 403 || code != 50013 {
		t.Errorf("timing out a member whose role ties the bot's with an older id: %d %d", status, code)
	}
	if err := b.dg.GuildMemberTimeout(guildID, aliceID, &until); err != nil {
		t.Errorf("timing out a member whose role ties the bot's with a newer id: %v", err)
	}
}

// Discord takes a timeout of at most 28 days from now, and says which
// field was wrong when it is longer.
func TestTimeoutsLastAtMost28Days(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	tooLong := time.Now().Add(28*24*time.Hour + time.Minute)
	if status, code := restCode(b.dg.GuildMemberTimeout(guildID, bobID, &tooLong)); status != 400 || code != 50035 {
		t.Errorf("a timeout over 28 days: %d %d, want 400 50035", status, code)
	}
	if m := b.fake.Member(guildID, bobID); m.CommunicationDisabledUntil != nil {
		t.Errorf("a refused timeout was kept: %v", m.CommunicationDisabledUntil)
	}
	justUnder := time.Now().Add(28*24*time.Hour - time.Minute)
	if err := b.dg.GuildMemberTimeout(guildID, bobID, &justUnder); err != nil {
		t.Errorf("a timeout just under 28 days: %v", err)
	}
}

// SetRole changes a role as an admin would in Server Settings: the bot
// hears GUILD_ROLE_UPDATE (or _CREATE) and its state follows.
func TestSetRoleDispatchesRoleEvents(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.fake.SetRole(guildID, discordsim.Role{ID: modRoleID, Name: "Moderator", Permissions: discordgo.PermissionAdministrator, Position: 3})
	created := b.fake.NewID()
	b.fake.SetRole(guildID, discordsim.Role{ID: created, Name: "Helpers", Position: 1, Managed: true})
	waitFor(t, "the bot's state to see both roles", func() bool {
		mod, err1 := b.dg.State.Role(guildID, modRoleID)
		helpers, err2 := b.dg.State.Role(guildID, created)
		return err1 == nil && err2 == nil && mod.Permissions == discordgo.PermissionAdministrator && mod.Position == 3 &&
			helpers.Name == "Helpers" && helpers.Managed
	})
	if b.fake.Permissions(guildID, modID) != discordsim.AllPermissions {
		t.Error("a role that gained Administrator doesn't give every permission")
	}
	if status, code := restCode(b.dg.GuildMemberRoleAdd(guildID, aliceID, created)); status != 403 || code != 50013 {
		t.Errorf("handing out a managed role: %d %d, want 403 50013", status, code)
	}
}

// A modal opened by a message command is submitted from the channel the
// command was used in, the reported message's, not the guild's first.
func TestModalIsSubmittedFromItsChannel(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("Report message", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseModal,
			Data: &discordgo.InteractionResponseData{CustomID: "report-modal", Title: "Report", Components: []discordgo.MessageComponent{
				discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.TextInput{CustomID: "reason", Label: "Why", Style: discordgo.TextInputShort, Required: true},
				}},
			}},
		}))
	})
	b.on("report-modal", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "from "+i.ChannelID, discordgo.MessageFlagsEphemeral))
	})
	target := b.fake.UserMessage(modlogID, bobID, "something unkind")
	if r := b.fake.MessageCommand(t, guildID, aliceID, "Report message", target); r.Type != discordgo.InteractionResponseModal {
		t.Fatalf("message command reply type %d, want a modal", r.Type)
	}
	if r := b.fake.SubmitModal(t, guildID, aliceID, "report-modal", map[string]string{"reason": "unkind"}); r.Text() != "from "+modlogID {
		t.Errorf("modal submitted %q, want from the reported message's channel %s", r.Text(), modlogID)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
