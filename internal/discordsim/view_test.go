package discordsim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// The world's clock dates messages and ids and bounds timeouts; the
// interaction deadline keeps to real time, so a far-off clock does not
// make every answer late.
func TestClockDrivesTheWorldsDates(t *testing.T) {
	future := time.Now().Add(60 * 24 * time.Hour).UTC().Truncate(time.Second)
	b := startBot(t, discordsim.Options{Now: func() time.Time { return future }})

	m, err := b.dg.ChannelMessageSend(generalID, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Timestamp.Equal(future) {
		t.Errorf("timestamp = %v, want the world's %v", m.Timestamp, future)
	}
	if at, err := discordgo.SnowflakeTimestamp(m.ID); err != nil || !at.Equal(future) {
		t.Errorf("id %s dates from %v, want %v", m.ID, at, future)
	}
	// 20 days after the world's now is more than 28 days after the real
	// one: only the world's clock lets it through.
	until := future.Add(20 * 24 * time.Hour)
	if err := b.dg.GuildMemberTimeout(guildID, bobID, &until); err != nil {
		t.Errorf("a 20-day timeout by the world's clock: %v", err)
	}
	tooLong := future.Add(29 * 24 * time.Hour)
	if err := b.dg.GuildMemberTimeout(guildID, bobID, &tooLong); err == nil {
		t.Error("a 29-day timeout was accepted")
	}

	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "help", 0))
	})
	if r := b.fake.Interact(t, guildID, aliceID, "/resources"); !r.Message.Timestamp.Equal(future) {
		t.Errorf("reply timestamp = %v", r.Message.Timestamp)
	}
}

func TestFixedBotUserID(t *testing.T) {
	fake := discordsim.New(discordsim.Options{BotUserID: "123456789012345678"})
	defer fake.Close()
	if fake.BotUserID() != "123456789012345678" || fake.AppID() != "123456789012345678" {
		t.Errorf("bot %s, app %s", fake.BotUserID(), fake.AppID())
	}
}

// A member sees everyone's messages and public replies in a channel, and
// only their own ephemeral replies.
func TestMessagesForShowsEphemeralRepliesOnlyToTheirMember(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "just for you", discordgo.MessageFlagsEphemeral))
	})
	b.on("checkins", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "for everyone", 0))
	})
	if _, err := b.dg.ApplicationCommandCreate(b.fake.AppID(), "", &discordgo.ApplicationCommand{
		Name: "checkins", Description: "Check-ins", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "history", Description: "Your history"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	said := b.fake.UserMessage(generalID, bobID, "hi all")
	private := b.fake.Interact(t, guildID, aliceID, "/resources")
	public := b.fake.Interact(t, guildID, aliceID, "/checkins history")

	contents := func(msgs []*discordgo.Message) string {
		var out []string
		for _, m := range msgs {
			out = append(out, m.Content)
		}
		return strings.Join(out, "|")
	}
	if got := contents(b.fake.MessagesFor(aliceID, generalID)); got != "hi all|just for you|for everyone" {
		t.Errorf("alice sees %q", got)
	}
	if got := contents(b.fake.MessagesFor(bobID, generalID)); got != "hi all|for everyone" {
		t.Errorf("bob sees %q", got)
	}
	if b.fake.MessageFor(bobID, private.Message.ID) != nil {
		t.Error("bob can fetch alice's ephemeral reply")
	}
	if m := b.fake.MessageFor(aliceID, private.Message.ID); m == nil || m.Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("alice's own ephemeral reply = %+v", m)
	}
	m := b.fake.MessageFor(bobID, public.Message.ID)
	if m == nil || m.Interaction == nil || m.Interaction.Name != "checkins history" || m.Interaction.User.ID != aliceID {
		t.Errorf("a command's public reply should name the command and who used it: %+v", m)
	}
	if got := b.fake.MessageFor(aliceID, said.ID); got == nil || got.Content != "hi all" {
		t.Errorf("a member's message = %+v", got)
	}
}

// Files of interaction responses are kept per message, and deleted
// responses disappear from the channel.
func TestInteractionFilesAndDeletions(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	b.on("resources", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}))
		_, err := s.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
			Content: "your export",
			Files:   []*discordgo.File{{Name: "export.json", ContentType: "application/json", Reader: strings.NewReader(`{"a":1}`)}},
		})
		b.check(err)
	})
	r := b.fake.Interact(t, guildID, aliceID, "/resources")
	if len(r.Followups) != 1 {
		t.Fatalf("%d followups", len(r.Followups))
	}
	followupID := r.Followups[0].ID
	files := b.fake.MessageFiles(followupID)
	if len(files) != 1 || files[0].Name != "export.json" || string(files[0].Data) != `{"a":1}` {
		t.Fatalf("followup files = %+v", files)
	}
	msgs := b.fake.MessagesFor(aliceID, generalID)
	if len(msgs) != 2 || msgs[1].ID != followupID || len(msgs[1].Attachments) != 1 {
		t.Fatalf("alice sees %+v", msgs)
	}

	before := len(b.fake.MessagesFor(bobID, generalID))
	b.on("checkin", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "gone soon", 0))
		b.check(s.InteractionResponseDelete(i))
	})
	b.fake.Interact(t, guildID, aliceID, "/checkin mood:3")
	b.fake.WaitRequest(t, 5*time.Second, func(r discordsim.Request) bool {
		return r.Method == "DELETE" && strings.HasSuffix(r.Path, "/messages/@original")
	})
	if got := b.fake.MessagesFor(bobID, generalID); len(got) != before {
		t.Errorf("bob sees %d messages after a public reply came and was deleted, want %d as before", len(got), before)
	}
}

func TestVisibleChannels(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	th, err := b.dg.ThreadStartComplex(generalID, &discordgo.ThreadStart{Name: "Pair 1", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPrivateThread})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.dg.ThreadMemberAdd(th.ID, aliceID); err != nil {
		t.Fatal(err)
	}
	dm, err := b.dg.UserChannelCreate(aliceID)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(user string) string {
		var out []string
		for _, c := range b.fake.VisibleChannels(user) {
			out = append(out, c.ID)
		}
		return strings.Join(out, " ")
	}
	if got, want := ids(aliceID), strings.Join([]string{generalID, modlogID, th.ID, dm.ID}, " "); got != want {
		t.Errorf("alice sees %s, want %s", got, want)
	}
	if got, want := ids(bobID), generalID+" "+modlogID; got != want {
		t.Errorf("bob sees %s, want %s (no private thread he is not in, no DM)", got, want)
	}
	if b.fake.CanSee(bobID, th.ID) || b.fake.CanSee(bobID, dm.ID) || !b.fake.CanSee(aliceID, th.ID) {
		t.Error("CanSee disagrees with VisibleChannels")
	}
	// Manage Threads shows every private thread, as on Discord.
	b.fake.SetRole(guildID, discordsim.Role{ID: modRoleID, Name: "Moderator", Permissions: discordgo.PermissionManageThreads, Position: 2})
	if !b.fake.CanSee(modID, th.ID) {
		t.Error("a member with Manage Threads cannot see the private thread")
	}
	if members := b.fake.GuildMembers(guildID); len(members) != 5 || members[0].User.ID != aliceID {
		t.Errorf("members = %d, first %+v", len(members), members[0].User)
	}
}

func TestChangesAreAnnounced(t *testing.T) {
	fake := discordsim.New(discordsim.Options{})
	defer fake.Close()
	fake.AddGuild(testGuild())
	v, changed := fake.Version(), fake.Changed()
	fake.UserMessage(generalID, aliceID, "hello")
	select {
	case <-changed:
	default:
		t.Fatal("Changed was not closed by a new message")
	}
	if fake.Version() <= v {
		t.Errorf("version %d did not grow from %d", fake.Version(), v)
	}
}

// The error-returning forms report what the test helpers would fail with.
func TestDoAndCompleteReturnErrors(t *testing.T) {
	b := startBot(t, discordsim.Options{InteractionDeadline: 50 * time.Millisecond})
	i, err := b.fake.BuildCommand(guildID, aliceID, "/resources")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.fake.Do(i); err == nil || !strings.Contains(err.Error(), "no valid acknowledgement") {
		t.Errorf("an unanswered interaction: %v", err)
	}

	if _, err := b.dg.ApplicationCommandCreate(b.fake.AppID(), "", &discordgo.ApplicationCommand{
		Name: "meet", Description: "Meet", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionString, Name: "group", Description: "Group", Autocomplete: true},
			{Type: discordgo.ApplicationCommandOptionString, Name: "title", Description: "Title"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	var focused []string
	b.on("autocomplete:meet", func(s *discordgo.Session, i *discordgo.Interaction) {
		for _, o := range i.ApplicationCommandData().Options {
			if o.Focused {
				focused = append(focused, o.Name+"="+o.StringValue())
			}
		}
		b.check(s.InteractionRespond(i, &discordgo.InteractionResponse{
			Type: discordgo.InteractionApplicationCommandAutocompleteResult,
			Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "Evening", Value: "Evening"}}},
		}))
	})
	for _, line := range []string{`/meet group:Eve title:"Tuesday"`, `/meet title:"Tuesday"`} {
		i, err := b.fake.BuildAutocompleteIn(generalID, aliceID, line, "group")
		if err != nil {
			t.Fatal(err)
		}
		if choices, err := b.fake.Complete(i); err != nil || len(choices) != 1 {
			t.Errorf("%s: choices %v, err %v", line, choices, err)
		}
	}
	if strings.Join(focused, " ") != "group=Eve group=" {
		t.Errorf("focused options = %v, want group first as typed, then empty", focused)
	}
	if _, err := b.fake.BuildAutocompleteIn(generalID, aliceID, `/meet group:Eve`, "title"); err == nil {
		t.Error("focusing an option without autocomplete was accepted")
	}

	b.on("checkin", func(s *discordgo.Session, i *discordgo.Interaction) {
		b.check(respond(s, i, "not choices", 0))
	})
	i, _ = b.fake.BuildCommand(guildID, aliceID, "/checkin mood:3")
	if _, err := b.fake.Complete(i); err == nil || !strings.Contains(err.Error(), "want 8") {
		t.Error("Complete accepted an interaction answered with a message")
	}
}
