package commands_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
)

const (
	supportChannelID = "810000000000000030"
	supporterRoleID  = "810000000000000031"
	supCarolID       = "820000000000000031" // a peer supporter
	supDanID         = "820000000000000032" // another peer supporter
)

// Wednesday 2 Dec 2026, 15:00 UTC.
var supportT0 = time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)

// startSupport is a harness whose server has #support, a Peer Supporters
// role held by Carol and Dan, and support on request set up.
func startSupport(t *testing.T) *kindredtest.Harness {
	t.Helper()
	h := kindredtest.Start(t, kindredtest.Options{FakeClock: true})
	h.Clock.Set(supportT0)
	addSupportServer(h)
	reply := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		"/kindred setup moderator_role:<@&"+kindredtest.ModRoleID+"> supporter_role:<@&"+supporterRoleID+"> support_channel:<#"+supportChannelID+">")
	if !strings.Contains(reply.Text(), "Saved") || !strings.Contains(reply.Text(), "threads open in <#"+supportChannelID+">") {
		t.Fatalf("setup = %q", reply.Text())
	}
	return h
}

func addSupportServer(h *kindredtest.Harness) {
	h.Fake.AddChannel(kindredtest.GuildID, discordsim.Channel{ID: supportChannelID, Name: "support"})
	h.Fake.SetRole(kindredtest.GuildID, discordsim.Role{ID: supporterRoleID, Name: "Peer Supporters", Position: 2})
	h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: supCarolID, Username: "carol"}, Roles: []string{supporterRoleID}})
	h.Fake.AddMember(kindredtest.GuildID, discordsim.Member{User: discordsim.User{ID: supDanID, Username: "dan"}, Roles: []string{supporterRoleID}})
}

func supportThread(t *testing.T, h *kindredtest.Harness) *discordgo.Channel {
	t.Helper()
	threads := h.Fake.Threads(supportChannelID)
	if len(threads) == 0 {
		t.Fatal("no support thread")
	}
	return threads[len(threads)-1]
}

// Setup refuses a support channel where Kindred lacks a permission, and
// names it; /support before setup explains how to turn it on.
func TestSupportSetupChecksEndToEnd(t *testing.T) {
	t.Parallel()
	h := kindredtest.Start(t, kindredtest.Options{})
	addSupportServer(h)
	guild := kindredtest.GuildID
	if r := h.Fake.Interact(t, guild, kindredtest.AliceID, "/support"); !r.Ephemeral() || !strings.Contains(r.Text(), "isn't set up") {
		t.Errorf("/support before setup = %q", r.Text())
	}
	if r := h.Fake.Interact(t, guild, supCarolID, "/supporter on"); !strings.Contains(r.Text(), "Only peer supporters") {
		t.Errorf("/supporter on before setup = %q", r.Text())
	}
	h.Fake.SetRole(guild, discordsim.Role{ID: h.Fake.BotRoleID(guild), Name: "Kindred", Position: discordsim.BotRolePosition, Managed: true,
		Permissions: discordsim.BotPermissions &^ discordgo.PermissionManageThreads})
	r := h.Fake.Interact(t, guild, kindredtest.OwnerID, "/kindred setup supporter_role:<@&"+supporterRoleID+"> support_channel:<#"+supportChannelID+">")
	if !r.Ephemeral() || !strings.Contains(r.Text(), "**Manage Threads**") || strings.Contains(r.Text(), "Send Messages**") {
		t.Fatalf("setup without Manage Threads = %q", r.Text())
	}
	if r := h.Fake.Interact(t, guild, kindredtest.AliceID, "/support"); !strings.Contains(r.Text(), "isn't set up") {
		t.Errorf("a refused setup saved something: /support = %q", r.Text())
	}
	h.Fake.SetRole(guild, discordsim.Role{ID: h.Fake.BotRoleID(guild), Name: "Kindred", Position: discordsim.BotRolePosition, Managed: true,
		Permissions: discordsim.BotPermissions})
	r = h.Fake.Interact(t, guild, kindredtest.OwnerID, "/kindred setup supporter_role:<@&"+supporterRoleID+"> support_channel:<#"+supportChannelID+">")
	if !strings.Contains(r.Text(), "Saved") {
		t.Fatalf("setup = %q", r.Text())
	}
}

// On duty, a request, two supporters pressing I'll take this at once,
// the member's own card, closing by the member and "did it help?".
func TestSupportRequestEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	for _, id := range []string{supCarolID, supDanID} {
		if r := h.Fake.Interact(t, guild, id, "/supporter on hours:3"); !r.Ephemeral() || !strings.Contains(r.Text(), "on duty until") {
			t.Fatalf("supporter on = %q", r.Text())
		}
	}
	if r := h.Fake.Interact(t, guild, kindredtest.AliceID, "/supporter on"); !strings.Contains(r.Text(), "Only peer supporters") {
		t.Errorf("a member without the role went on duty: %q", r.Text())
	}

	ask := h.Fake.Interact(t, guild, kindredtest.AliceID, `/support topic:"a rough week at work"`)
	if !ask.Ephemeral() || !strings.Contains(ask.Text(), "private thread is open") || !strings.Contains(ask.Text(), "Manage Threads") {
		t.Fatalf("support = %q", ask.Text())
	}
	if strings.Contains(ask.Text(), "Nobody is on duty") {
		t.Errorf("two supporters are on duty: %q", ask.Text())
	}
	thread := supportThread(t, h)
	if thread.Type != discordgo.ChannelTypeGuildPrivateThread || thread.ThreadMetadata.Invitable {
		t.Errorf("thread = %+v, want private and not invitable", thread)
	}
	if members := h.Fake.ThreadMembers(thread.ID); !slices.Contains(members, kindredtest.AliceID) || slices.Contains(members, supCarolID) {
		t.Errorf("thread members = %v", members)
	}
	card := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
	var mentioned []string
	for _, u := range card.Mentions {
		mentioned = append(mentioned, u.ID)
	}
	slices.Sort(mentioned)
	if !slices.Equal(mentioned, []string{supCarolID, supDanID}) {
		t.Errorf("card mentions %v, want exactly the on-duty supporters", mentioned)
	}
	cardText := embedText(card)
	if !strings.Contains(cardText, "a rough week at work") || !strings.Contains(cardText, "<t:") || strings.Contains(cardText, kindredtest.AliceID) {
		t.Errorf("card = %q", cardText)
	}
	again := h.Fake.Interact(t, guild, kindredtest.AliceID, "/support")
	if !strings.Contains(again.Text(), "already have an open request") || !strings.Contains(again.Text(), thread.ID) {
		t.Errorf("second /support = %q", again.Text())
	}

	take := buttonID(t, card, "I'll take this")
	// A member without the role, with the card's own id or a crafted one.
	if r := h.Fake.Click(t, guild, kindredtest.BobID, take, card); !strings.Contains(r.Text(), "Only peer supporters") {
		t.Errorf("non-supporter take = %q", r.Text())
	}
	if r := h.Fake.Click(t, guild, kindredtest.BobID, "support:take:999", nil); !strings.Contains(r.Text(), "Only peer supporters") {
		t.Errorf("crafted take by a non-supporter = %q", r.Text())
	}
	if r := h.Fake.Click(t, guild, supCarolID, "support:take:999", nil); !strings.Contains(r.Text(), "no longer works") {
		t.Errorf("crafted take = %q", r.Text())
	}

	// Both presses are built first, then sent at once; a goroutine may
	// not end the test, so they report errors instead.
	replies := make([]*discordsim.Reply, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, id := range []string{supCarolID, supDanID} {
		press, err := h.Fake.BuildComponent(guild, id, take, nil, card)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { replies[i], errs[i] = h.Fake.Do(press) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	winner, won := "", 0
	for i, r := range replies {
		switch {
		case strings.Contains(r.Text(), "It's yours"):
			won++
			winner = []string{supCarolID, supDanID}[i]
		case !strings.Contains(r.Text(), "Someone else has just taken"):
			t.Errorf("take reply = %q", r.Text())
		}
	}
	if won != 1 {
		t.Fatalf("%d supporters took the request", won)
	}
	members := h.Fake.ThreadMembers(thread.ID)
	loser := supCarolID
	if winner == supCarolID {
		loser = supDanID
	}
	if !slices.Contains(members, winner) || slices.Contains(members, loser) {
		t.Errorf("thread members = %v, want the winner %s only", members, winner)
	}
	if got := embedText(h.Fake.Message(card.ID)); !strings.Contains(got, "Taken by <@"+winner+">") {
		t.Errorf("card after take = %q", got)
	}
	status := h.Fake.Interact(t, guild, loser, "/supporter status")
	if !strings.Contains(status.Text(), "<@"+supCarolID+">") || !strings.Contains(status.Text(), "taken by <@"+winner+">") {
		t.Errorf("status = %q", status.Text())
	}

	// A supporter's own request: they can't take it.
	own := h.Fake.Interact(t, guild, loser, "/support")
	if !strings.Contains(own.Text(), "private thread is open") {
		t.Fatalf("supporter's /support = %q", own.Text())
	}
	ownCard := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
	if r := h.Fake.Click(t, guild, loser, buttonID(t, ownCard, "I'll take this"), ownCard); !strings.Contains(r.Text(), "your own request") {
		t.Errorf("own take = %q", r.Text())
	}

	// Bob can't close Alice's request; Alice can, from her thread.
	closeID := buttonID(t, card, "Close")
	if r := h.Fake.Click(t, guild, kindredtest.BobID, closeID, card); !strings.Contains(r.Text(), "Only the member who asked") {
		t.Errorf("close by a stranger = %q", r.Text())
	}
	first := h.Fake.Messages(thread.ID)[0]
	closed := h.Fake.Click(t, guild, kindredtest.AliceID, buttonID(t, first, "Close"), first)
	if !strings.Contains(closed.Text(), "Closed") {
		t.Fatalf("close = %q", closed.Text())
	}
	if md := h.Fake.Channel(thread.ID).ThreadMetadata; !md.Archived || !md.Locked {
		t.Errorf("thread after close = %+v, want archived and locked", md)
	}
	if got := embedText(h.Fake.Message(card.ID)); !strings.Contains(got, "Closed") {
		t.Errorf("card after close = %q", got)
	}
	h.RunDue(t, supportT0.Add(time.Minute))
	dm := h.Fake.WaitMessage(t, h.Fake.DMChannelID(kindredtest.AliceID), 5*time.Second)
	if !strings.Contains(dm.Content, "Did talking it through help?") {
		t.Fatalf("feedback DM = %q", dm.Content)
	}
	// Bob can't answer for her with her button's id, nor Alice with a
	// crafted answer.
	helped := buttonID(t, dm, "It helped")
	if r := h.Fake.Click(t, "", kindredtest.BobID, helped, nil); !strings.Contains(r.Text(), "Only the member who asked") {
		t.Errorf("Bob answering Alice's feedback = %q", r.Text())
	}
	if r := h.Fake.Click(t, "", kindredtest.AliceID, strings.Replace(helped, ":yes", ":maybe", 1), nil); !r.Ephemeral() || strings.Contains(r.Text(), "glad") {
		t.Errorf("a crafted answer = %q", r.Text())
	}
	if r := h.Fake.Click(t, "", kindredtest.AliceID, buttonID(t, dm, "It helped"), dm); !strings.Contains(r.Text(), "glad it helped") {
		t.Errorf("feedback = %q", r.Text())
	}
	if r := h.Fake.Click(t, "", kindredtest.AliceID, buttonID(t, dm, "Not really"), dm); !strings.Contains(r.Text(), "already answered") {
		t.Errorf("second feedback = %q", r.Text())
	}

	// The supporter closes the other request.
	ownThread := supportThread(t, h)
	if r := h.Fake.Click(t, guild, loser, buttonID(t, ownCard, "Close"), ownCard); !strings.Contains(r.Text(), "Closed") {
		t.Errorf("close own = %q", r.Text())
	}
	if !h.Fake.Channel(ownThread.ID).ThreadMetadata.Locked {
		t.Error("thread not locked")
	}

	if r := h.Fake.Interact(t, guild, supCarolID, "/supporter off"); !strings.Contains(r.Text(), "off duty") {
		t.Errorf("off = %q", r.Text())
	}

	// /mydata covers the requests, and delete erases them.
	d := dmExport(t, h, kindredtest.AliceID)
	reqs, _ := d["support_requests"].([]any)
	if len(reqs) != 1 || !strings.Contains(stringOf(reqs[0]), "a rough week at work") {
		t.Errorf("export support_requests = %v", d["support_requests"])
	}
	del := h.Fake.Interact(t, "", kindredtest.AliceID, "/mydata delete")
	h.Fake.Click(t, "", kindredtest.AliceID, buttonID(t, del.Message, "Delete my data"), del.Message)
	h.Clock.Set(supportT0.Add(time.Hour)) // past the export's cool-down
	if reqs, _ := dmExport(t, h, kindredtest.AliceID)["support_requests"].([]any); len(reqs) != 0 {
		t.Errorf("after delete, support_requests = %v", reqs)
	}
	// The card showed her topic: it is gone from the support channel too.
	if m := h.Fake.Message(card.ID); m != nil {
		t.Errorf("after delete, her card is still there: %q", embedText(m))
	}
}

// /mydata delete while a request is open withdraws its card and closes
// its thread, so its topic is left nowhere.
func TestSupportDeleteWhileOpenEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	h.Fake.Interact(t, guild, supCarolID, "/supporter on")
	h.Fake.Interact(t, guild, kindredtest.AliceID, `/support topic:"a private worry"`)
	thread := supportThread(t, h)
	card := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
	del := h.Fake.Interact(t, "", kindredtest.AliceID, "/mydata delete")
	done := h.Fake.Click(t, "", kindredtest.AliceID, buttonID(t, del.Message, "Delete my data"), del.Message)
	if !strings.Contains(done.Text(), "support request") || strings.Contains(done.Text(), "couldn't be withdrawn") {
		t.Errorf("delete = %q", done.Text())
	}
	if m := h.Fake.Message(card.ID); m != nil {
		t.Errorf("the card is still there: %q", embedText(m))
	}
	if md := h.Fake.Channel(thread.ID).ThreadMetadata; !md.Locked || !md.Archived {
		t.Errorf("the thread is not closed: %+v", md)
	}
	for _, m := range h.Fake.Messages(supportChannelID) {
		if strings.Contains(embedText(m)+m.Content, "a private worry") {
			t.Errorf("the topic is still in the support channel: %q", embedText(m))
		}
	}
}

// Nobody on duty: the member is told at once with the resources; after 10
// minutes untaken, in their thread; after a day idle it closes, a day
// counted from the member's last post in the thread.
func TestSupportNobodyOnDutyWaitAndIdleEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	ask := h.Fake.Interact(t, guild, kindredtest.AliceID, "/support")
	if !strings.Contains(ask.Text(), "Nobody is on duty") || !strings.Contains(ask.Text(), "Support and crisis resources") {
		t.Fatalf("support with nobody on duty = %q", ask.Text())
	}
	thread := supportThread(t, h)
	card := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
	if len(card.Mentions) != 0 {
		t.Errorf("card mentions %v with nobody on duty", card.Mentions)
	}
	welcome := h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	if !strings.Contains(welcome.Content, "private space") {
		t.Errorf("welcome = %q", welcome.Content)
	}
	on := h.Fake.Interact(t, guild, supCarolID, "/supporter on hours:1")
	if !strings.Contains(on.Text(), "1 request is waiting") {
		t.Errorf("supporter on with a request waiting = %q", on.Text())
	}
	h.Fake.Interact(t, guild, supCarolID, "/supporter off")
	h.RunDue(t, supportT0.Add(9*time.Minute))
	if n := len(h.Fake.Messages(thread.ID)); n != 1 {
		t.Fatalf("%d messages in the thread before 10 minutes", n)
	}
	h.RunDue(t, supportT0.Add(10*time.Minute))
	wait := h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	if !strings.Contains(wait.Content, "nobody has taken your request yet") || len(wait.Embeds) == 0 {
		t.Errorf("wait message = %q", wait.Content)
	}
	h.Restart(t) // the day's timer survives a restart
	h.RunDue(t, supportT0.Add(20*time.Hour))
	h.Fake.UserMessage(thread.ID, kindredtest.AliceID, "still here, still waiting")
	h.RunDue(t, supportT0.Add(43*time.Hour))
	if h.Fake.Channel(thread.ID).ThreadMetadata.Locked {
		t.Fatal("closed before a day without activity: the member posted at 20 h")
	}
	h.RunDue(t, supportT0.Add(44*time.Hour))
	bye := h.Fake.WaitMessage(t, thread.ID, 5*time.Second)
	if !strings.Contains(bye.Content, "a day without activity") {
		t.Errorf("closing message = %q", bye.Content)
	}
	if md := h.Fake.Channel(thread.ID).ThreadMetadata; !md.Locked || !md.Archived {
		t.Errorf("thread = %+v", md)
	}
	if got := embedText(h.Fake.Message(card.ID)); !strings.Contains(got, "Closed") {
		t.Errorf("card = %q", got)
	}
}

// A topic about self-harm shows the resources at once and marks the card
// urgent; bad input is explained.
func TestSupportUrgentAndBadInputEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	// Discord itself refuses hours outside the option's 1 to 8.
	for _, cmd := range []string{"/supporter on hours:0", "/supporter on hours:9"} {
		if _, err := h.Fake.BuildCommand(guild, supCarolID, cmd); err == nil {
			t.Errorf("%s was accepted", cmd)
		}
	}
	long := strings.Repeat("a", 201)
	// Discord itself refuses a topic over the option's max_length; the
	// handler checks again for a client that doesn't.
	if _, err := h.Fake.BuildCommand(guild, kindredtest.AliceID, "/support topic:"+long); err == nil || !strings.Contains(err.Error(), "200") {
		t.Errorf("a 201-character topic was accepted: %v", err)
	}
	h.Fake.Interact(t, guild, supCarolID, "/supporter on")
	r := h.Fake.Interact(t, guild, kindredtest.AliceID, `/support topic:"I keep thinking about hurting myself"`)
	if !strings.Contains(r.Text(), "Support and crisis resources") {
		t.Errorf("urgent /support = %q", r.Text())
	}
	card := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
	if got := embedText(card); !strings.Contains(got, "Urgent") {
		t.Errorf("card = %q", got)
	}
	if len(h.Fake.Messages(kindredtest.ModlogID)) != 0 {
		t.Error("someone beyond the on-duty supporters was alerted")
	}
}

// A shift ends by itself with a thank-you DM; a supporter who lost the
// role is off duty at the next check.
func TestSupportShiftEndsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	h.Fake.Interact(t, guild, supCarolID, "/supporter on")
	h.Fake.Interact(t, guild, supDanID, "/supporter on hours:8")
	h.RunDue(t, supportT0.Add(2*time.Hour))
	h.RunDue(t, supportT0.Add(2*time.Hour+time.Minute)) // the DM the end queued
	dm := h.Fake.WaitMessage(t, h.Fake.DMChannelID(supCarolID), 5*time.Second)
	if !strings.Contains(dm.Content, "shift has ended") || !strings.Contains(dm.Content, "rest") {
		t.Errorf("thank-you = %q", dm.Content)
	}
	h.Fake.AddMember(guild, discordsim.Member{User: discordsim.User{ID: supDanID, Username: "dan"}})
	status := h.Fake.Interact(t, guild, kindredtest.ModeratorID, "/supporter status")
	if !strings.Contains(status.Text(), "Only peer supporters") {
		t.Errorf("a moderator without the role saw status: %q", status.Text())
	}
	ask := h.Fake.Interact(t, guild, kindredtest.AliceID, "/support")
	if !strings.Contains(ask.Text(), "Nobody is on duty") {
		t.Errorf("a supporter who lost the role still counts: %q", ask.Text())
	}
}

// Stats show whole past weeks, and hide a week with fewer than 5 requests.
func TestSupportStatsEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSupport(t)
	guild := kindredtest.GuildID
	members := []string{kindredtest.AliceID, kindredtest.BobID, kindredtest.AdminID, kindredtest.OwnerID, supDanID}
	ask := func(n int, at time.Time) {
		for i := range n {
			h.Clock.Set(at.Add(time.Duration(i) * time.Minute))
			r := h.Fake.Interact(t, guild, members[i], "/support")
			if !strings.Contains(r.Text(), "private thread is open") {
				t.Fatalf("support = %q", r.Text())
			}
			card := h.Fake.WaitMessage(t, supportChannelID, 5*time.Second)
			if r := h.Fake.Click(t, guild, members[i], buttonID(t, card, "Close"), card); !strings.Contains(r.Text(), "Closed") {
				t.Fatalf("close = %q", r.Text())
			}
		}
	}
	h.Fake.Interact(t, guild, supCarolID, "/supporter on")
	ask(4, supportT0)                  // week of 30 Nov
	ask(5, supportT0.AddDate(0, 0, 7)) // week of 7 Dec
	h.Clock.Set(supportT0.AddDate(0, 0, 14))
	stats := h.Fake.Interact(t, guild, kindredtest.ModeratorID, "/supporter stats")
	text := stats.Text()
	if !stats.Ephemeral() || strings.Count(text, "hidden (fewer than 5") != 7 || !strings.Contains(text, ": 5 requests") {
		t.Errorf("stats = %q", text)
	}
	if r := h.Fake.Interact(t, guild, supCarolID, "/supporter stats"); !strings.Contains(r.Text(), "Only moderators") {
		t.Errorf("stats by a supporter = %q", r.Text())
	}
}

func embedText(m *discordgo.Message) string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + ": " + f.Value)
		}
	}
	return b.String()
}

func stringOf(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["topic"].(string)
	return s
}
