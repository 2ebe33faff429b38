package discordsim_test

import (
	"errors"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// A member who left is unknown to the guild: GET member, a role and a
// thread add answer 404 10007, and a DM to them, sharing no other guild
// with the bot, 403 50278.
func TestRemovedMemberIsUnknown(t *testing.T) {
	b := startBot(t, discordsim.Options{})
	th, err := b.dg.ThreadStartComplex(generalID, &discordgo.ThreadStart{Name: "Buddies", AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPrivateThread})
	if err != nil {
		t.Fatal(err)
	}
	dm, err := b.dg.UserChannelCreate(aliceID)
	if err != nil {
		t.Fatal(err)
	}
	b.fake.RemoveMember(guildID, aliceID)
	if b.fake.Member(guildID, aliceID) != nil {
		t.Fatal("Alice is still a member")
	}
	unknown := func(what string, err error, status, code int) {
		t.Helper()
		if s, c := restCode(err); s != status || c != code {
			t.Errorf("%s: %d %d (%v), want %d %d", what, s, c, err, status, code)
		}
	}
	_, err = b.dg.GuildMember(guildID, aliceID)
	unknown("get member", err, 404, 10007)
	unknown("add role", b.dg.GuildMemberRoleAdd(guildID, aliceID, modRoleID), 404, 10007)
	unknown("add to thread", b.dg.ThreadMemberAdd(th.ID, aliceID), 404, 10007)
	_, err = b.dg.ChannelMessageSend(dm.ID, "Your meeting starts in an hour")
	unknown("DM", err, 403, 50278)
	// Bob is still there.
	if _, err := b.dg.GuildMember(guildID, bobID); err != nil {
		t.Errorf("Bob: %v", err)
	}
}

// GUILD_MEMBER_REMOVE needs the privileged GUILD_MEMBERS intent, which an
// application may ask for only once it is enabled in the Developer
// Portal: then leaving, a kick and a ban each dispatch it.
func TestGuildMemberRemoveNeedsTheEnabledIntent(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{PrivilegedIntents: discordgo.IntentGuildMembers})
	t.Cleanup(fake.Close)
	fake.AddGuild(testGuild())

	// Enabling one privileged intent doesn't allow the others.
	other := newSession(fake, fake.Token())
	other.Identify.Intents |= discordgo.IntentGuildMembers | discordgo.IntentMessageContent
	var ce *websocket.CloseError
	if err := other.Open(); !errors.As(err, &ce) || ce.Code != 4014 {
		t.Errorf("Open with MESSAGE_CONTENT, not enabled: %v", err)
	}

	dg := newSession(fake, fake.Token())
	dg.Identify.Intents |= discordgo.IntentGuildMembers
	dg.SyncEvents = true // handlers run in the order events arrive
	removed := make(chan *discordgo.GuildMemberRemove, 3)
	dg.AddHandler(func(_ *discordgo.Session, e *discordgo.GuildMemberRemove) { removed <- e })
	if err := dg.Open(); err != nil {
		t.Fatalf("Open with GUILD_MEMBERS, enabled: %v", err)
	}
	t.Cleanup(func() { _ = dg.Close() })

	fake.RemoveMember(guildID, aliceID)
	fake.RemoveMember(guildID, aliceID) // no longer a member: nothing more
	if err := dg.GuildMemberDelete(guildID, bobID); err != nil {
		t.Fatal(err)
	}
	if err := dg.GuildBanCreate(guildID, modID, 0); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{aliceID, bobID, modID} {
		select {
		case e := <-removed:
			if e.GuildID != guildID || e.User == nil || e.User.ID != want {
				t.Errorf("GUILD_MEMBER_REMOVE %+v, want %s leaving %s", e.Member, want, guildID)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no GUILD_MEMBER_REMOVE for %s", want)
		}
	}
}

// Without the intent no GUILD_MEMBER_REMOVE arrives: an event sent after
// the leave arrives alone.
func TestGuildMemberRemoveIsNotSentWithoutTheIntent(t *testing.T) {
	t.Parallel()
	fake := discordsim.New(discordsim.Options{PrivilegedIntents: discordgo.IntentGuildMembers})
	t.Cleanup(fake.Close)
	fake.AddGuild(testGuild())
	dg := newSession(fake, fake.Token())
	dg.SyncEvents = true // handlers run in the order events arrive
	events := make(chan string, 2)
	dg.AddHandler(func(*discordgo.Session, *discordgo.GuildMemberRemove) { events <- "GUILD_MEMBER_REMOVE" })
	dg.AddHandler(func(*discordgo.Session, *discordgo.ChannelCreate) { events <- "CHANNEL_CREATE" })
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dg.Close() })

	fake.RemoveMember(guildID, aliceID)
	fake.AddChannel(guildID, discordsim.Channel{Name: "after"})
	select {
	case e := <-events:
		if e != "CHANNEL_CREATE" {
			t.Errorf("%s reached a session without GUILD_MEMBERS", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no CHANNEL_CREATE")
	}
}
