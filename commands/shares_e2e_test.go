package commands_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
	"github.com/kindred-bot/kindred/internal/kindredtest"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

// startSharing runs Kindred on backend b with the mod-log and moderator
// role set, the group "Circle" in #general, and Alice and the admin (for
// the hierarchy test) members of it; Bob is not.
func startSharing(t *testing.T, b storagetest.Backend) *kindredtest.Harness {
	t.Helper()
	h := startModeration(t, b)
	created := h.Fake.Interact(t, kindredtest.GuildID, kindredtest.OwnerID,
		`/group create name:Circle description:"A peer circle" type:mental-health channel:<#`+kindredtest.GeneralID+`>`)
	if !strings.Contains(created.Text(), "Circle") {
		t.Fatalf("group create = %q", created.Text())
	}
	for _, u := range []string{kindredtest.AliceID, kindredtest.AdminID} {
		join := h.Fake.Interact(t, kindredtest.GuildID, u, `/group join group:Circle`)
		h.Fake.Click(t, kindredtest.GuildID, u, join.Buttons()[0].CustomID, nil)
	}
	return h
}

// visibleSince is everything Discord was asked to show from request mark
// on (messages, embeds, edits, interaction replies and followups), except
// what went to Alice herself: her DM channel and the opening of it.
func visibleSince(h *kindredtest.Harness, mark int) string {
	aliceDM := h.Fake.DMChannelID(kindredtest.AliceID)
	var b strings.Builder
	for _, r := range h.Fake.Requests()[mark:] {
		if r.Path == "/api/v9/users/@me/channels" || strings.HasSuffix(r.Path, "/users/@me/channels") ||
			(aliceDM != "" && strings.Contains(r.Path, "/channels/"+aliceDM+"/")) {
			continue
		}
		b.Write(r.Body)
		b.WriteString("\n")
	}
	return b.String()
}

// assertAnonymous fails when Alice's id or name is in anything others can
// see, or in the log, from the marks on.
func assertAnonymous(t *testing.T, h *kindredtest.Harness, mark, logMark int, replies ...*discordsim.Reply) {
	t.Helper()
	seen := visibleSince(h, mark)
	for _, r := range replies {
		seen += r.Text() + "\n"
	}
	for _, ch := range []string{kindredtest.GeneralID, kindredtest.ModlogID} {
		for _, m := range h.Fake.Messages(ch) {
			seen += discordsim.MessageText(m) + "\n"
		}
	}
	for _, th := range h.Fake.Threads(kindredtest.GeneralID) {
		seen += th.Name + "\n"
	}
	logs := h.Logs.String()[logMark:]
	if !strings.Contains(seen, "Anonymous member") || !strings.Contains(logs, "share") {
		t.Fatalf("the scan saw nothing of the share: its marks are wrong")
	}
	for _, secret := range []string{kindredtest.AliceID, "alice"} {
		if strings.Contains(strings.ToLower(seen), secret) {
			t.Errorf("the author %q is visible to others:\n%s", secret, seen)
		}
		if strings.Contains(strings.ToLower(logs), secret) {
			t.Errorf("the author %q is in the log:\n%s", secret, logs)
		}
	}
}

func cardButton(t *testing.T, card *discordgo.Message, label string) string {
	t.Helper()
	for _, b := range buttonsOf(card) {
		if b.Label == label {
			return b.CustomID
		}
	}
	t.Fatalf("card has no %s button: %+v", label, buttonsOf(card))
	return ""
}

// Vetting on: the share waits on a card in the mod-log, a non-moderator
// can't approve it (crafted press too), a moderator approves it, it is
// posted as "Anonymous member" behind its content warning with a reply
// thread, and its author is told privately. The moderator warns the
// author through the post: case number only, escalation applied to the
// right member, then blocks them from sharing. Nobody else learns who it was.
func TestShareVettedEndToEnd(t *testing.T) {
	t.Parallel()
	storagetest.EachBackend(t, func(t *testing.T, b storagetest.Backend) {
		t.Parallel()
		h := startSharing(t, b)
		guild := kindredtest.GuildID
		h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/escalation set warnings:1 action:timeout duration:1h`)
		mark, logMark := len(h.Fake.Requests()), len(h.Logs.String())

		shared := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"I relapsed last night and I'm scared" content_warning:relapse`)
		if !shared.Ephemeral() || !strings.Contains(shared.Text(), "moderator will look") {
			t.Fatalf("share reply = %q", shared.Text())
		}
		card := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)
		if text := discordsim.MessageText(card); !strings.Contains(text, "I relapsed last night") || !strings.Contains(text, "relapse") || !strings.Contains(text, "Circle") {
			t.Errorf("vetting card = %q", text)
		}
		approve := cardButton(t, card, "Approve")
		cardButton(t, card, "Reject")
		if strings.Contains(approve, kindredtest.AliceID) {
			t.Errorf("the card's custom id %q carries the author", approve)
		}

		refused := h.Fake.Click(t, guild, kindredtest.BobID, approve, card)
		if !strings.Contains(refused.Text(), "Only moderators") {
			t.Errorf("Bob's approve = %q", refused.Text())
		}
		if len(h.Fake.Messages(kindredtest.GeneralID)) != 0 {
			t.Fatal("a non-moderator's press posted the share")
		}
		crafted := h.Fake.Click(t, guild, kindredtest.BobID, "share:reject:1", card)
		if !strings.Contains(crafted.Text(), "Only moderators") {
			t.Errorf("Bob's crafted reject = %q", crafted.Text())
		}

		approved := h.Fake.Click(t, guild, kindredtest.ModeratorID, approve, card)
		if !strings.Contains(approved.Text(), "Approved by") {
			t.Errorf("approve = %q", approved.Text())
		}
		post := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
		if len(post.Embeds) != 1 || post.Embeds[0].Author == nil || post.Embeds[0].Author.Name != "Anonymous member" {
			t.Fatalf("post = %+v", post.Embeds)
		}
		if d := post.Embeds[0].Description; !strings.HasPrefix(d, "**Content warning:** relapse") || !strings.Contains(d, "||I relapsed last night and I'm scared||") {
			t.Errorf("post description = %q", d)
		}
		if threads := h.Fake.Threads(kindredtest.GeneralID); len(threads) != 1 || threads[0].Type != discordgo.ChannelTypeGuildPublicThread {
			t.Errorf("threads = %+v, want one public thread for replies", threads)
		}
		again := h.Fake.Click(t, guild, kindredtest.ModeratorID, approve, card)
		if !strings.Contains(again.Text(), "already approved") {
			t.Errorf("second approve = %q", again.Text())
		}

		h.RunDue(t, time.Now())
		dm := h.Fake.WaitMessage(t, h.Fake.DMChannelID(kindredtest.AliceID), 5*time.Second)
		if !strings.Contains(dm.Content, "approved and posted") || !strings.Contains(dm.Content, post.ID) {
			t.Errorf("author's DM = %q", dm.Content)
		}

		open := h.Fake.MessageCommand(t, guild, kindredtest.ModeratorID, "Warn anonymous author", post)
		if open.Data == nil || !strings.HasPrefix(open.Data.CustomID, "share:warn:") || strings.Contains(open.Data.CustomID, kindredtest.AliceID) {
			t.Fatalf("warn menu opened %+v, want a modal", open.Data)
		}
		warned := h.Fake.SubmitModal(t, guild, kindredtest.ModeratorID, open.Data.CustomID, map[string]string{"reason": "Please keep to the group's guidelines"})
		if !warned.Ephemeral() || !strings.Contains(warned.Text(), "case #1, anonymous author") || !strings.Contains(warned.Text(), "Escalation") {
			t.Errorf("warn reply = %q", warned.Text())
		}
		if m := h.Fake.Member(guild, kindredtest.AliceID); m.CommunicationDisabledUntil == nil {
			t.Error("the escalation didn't time out the share's author")
		}
		if m := h.Fake.Member(guild, kindredtest.BobID); m.CommunicationDisabledUntil != nil {
			t.Error("the escalation timed out someone else")
		}
		var warnDM string
		for _, m := range h.Fake.Messages(h.Fake.DMChannelID(kindredtest.AliceID)) {
			if strings.Contains(m.Content, "case #1") {
				warnDM = m.Content
			}
		}
		if !strings.Contains(warnDM, "anonymous share in **Circle**") || !strings.Contains(warnDM, "Please keep to the group's guidelines") {
			t.Errorf("warning DM = %q", warnDM)
		}

		block := warned.Buttons()[0].CustomID
		if nope := h.Fake.Click(t, guild, kindredtest.BobID, block, nil); !strings.Contains(nope.Text(), "Only moderators") {
			t.Errorf("Bob's block = %q", nope.Text())
		}
		blocked := h.Fake.Click(t, guild, kindredtest.ModeratorID, block, nil)
		if !strings.Contains(blocked.Text(), "blocked from sharing") {
			t.Errorf("block = %q", blocked.Text())
		}
		assertAnonymous(t, h, mark, logMark, refused, crafted, approved, again, warned, blocked)

		stopped := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"One more thing"`)
		if !strings.Contains(stopped.Text(), "turned off for you") {
			t.Errorf("blocked author's share = %q", stopped.Text())
		}
		record := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/warnings user:<@`+kindredtest.AliceID+`>`)
		if strings.Contains(record.Text(), "#1") || !strings.Contains(record.Text(), "never listed") {
			t.Errorf("the moderator's view of Alice's record = %q", record.Text())
		}
		own := h.Fake.Interact(t, guild, kindredtest.AliceID, `/warnings`)
		if !strings.Contains(own.Text(), "Please keep to the group's guidelines") {
			t.Errorf("Alice's own warnings = %q", own.Text())
		}
	})
}

// Reject with a reason tells the author privately; the daily limit, bad
// input, a group the member isn't in, crisis wording and Delete.
func TestShareRejectLimitsAndDeleteEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSharing(t, storagetest.SQLite)
	guild := kindredtest.GuildID

	for _, tc := range []struct{ line, want string }{
		{`/share group:Circle text:"   "`, "Write what you'd like to share"},
		{`/share group:Circle text:hello content_warning:"` + strings.Repeat("w", 101) + `"`, "content warning can be up to 100"},
		{`/share group:Circle text:"` + strings.Repeat("x", 1501) + `"`, "up to 1500 characters"},
	} {
		i, err := h.Fake.BuildCommand(guild, kindredtest.AliceID, tc.line)
		if err != nil {
			// Discord itself refuses an option over its max_length.
			if !strings.Contains(err.Error(), "longer than max_length") {
				t.Errorf("%.60s…: %v", tc.line, err)
			}
			continue
		}
		r, err := h.Fake.Do(i)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Ephemeral() || !strings.Contains(r.Text(), tc.want) {
			t.Errorf("%.60s… = %q, want %q", tc.line, r.Text(), tc.want)
		}
	}
	if r := h.Fake.Interact(t, guild, kindredtest.BobID, `/share group:Circle text:hello`); !strings.Contains(r.Text(), "groups you've joined") {
		t.Errorf("a non-member's share = %q", r.Text())
	}
	// In a DM there is no server to share in: Discord doesn't offer the
	// command there, and Kindred refuses one that arrives anyway.
	if i, err := h.Fake.BuildCommand("", kindredtest.AliceID, `/share group:Circle text:hello`); err != nil {
		if !strings.Contains(err.Error(), "not available in DMs") {
			t.Errorf("a share from a DM: %v", err)
		}
	} else {
		r, err := h.Fake.Do(i)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Ephemeral() || !strings.Contains(r.Text(), "inside a server") {
			t.Errorf("a share from a DM = %q", r.Text())
		}
	}
	if n := len(h.Fake.Messages(kindredtest.ModlogID)); n != 0 {
		t.Fatalf("bad input reached the mod-log: %d messages", n)
	}

	crisis := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"Some nights I think about suicide"`)
	if len(crisis.Data.Embeds) == 0 || !strings.Contains(crisis.Text(), "Support and crisis resources") {
		t.Errorf("crisis share reply = %q, want the resources", crisis.Text())
	}
	card := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)
	if !strings.Contains(discordsim.MessageText(card), "Please look first") {
		t.Errorf("crisis card = %q", discordsim.MessageText(card))
	}

	form := h.Fake.Click(t, guild, kindredtest.ModeratorID, cardButton(t, card, "Reject"), card)
	if form.Data == nil || !strings.HasPrefix(form.Data.CustomID, "share:rejectform:") {
		t.Fatalf("reject opened %+v, want a modal", form.Data)
	}
	rejected := h.Fake.SubmitModal(t, guild, kindredtest.ModeratorID, form.Data.CustomID, map[string]string{"reason": "Please talk to us directly first"})
	if !strings.Contains(rejected.Text(), "rejected") {
		t.Errorf("reject = %q", rejected.Text())
	}
	h.RunDue(t, time.Now())
	dm := h.Fake.WaitMessage(t, h.Fake.DMChannelID(kindredtest.AliceID), 5*time.Second)
	if !strings.Contains(dm.Content, "wasn't posted") || !strings.Contains(dm.Content, "Please talk to us directly first") {
		t.Errorf("rejection DM = %q", dm.Content)
	}
	if edited := h.Fake.Message(card.ID); edited == nil || len(buttonsOf(edited)) != 0 || !strings.Contains(discordsim.MessageText(edited), "Rejected by") {
		t.Errorf("card after rejecting = %q", discordsim.MessageText(edited))
	}

	for i := range 2 {
		if r := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"Share number `+string(rune('2'+i))+`"`); !strings.Contains(r.Text(), "Thank you") {
			t.Fatalf("share %d = %q", i+2, r.Text())
		}
	}
	fourth := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"A fourth today"`)
	if !strings.Contains(fourth.Text(), "already shared 3 times today") {
		t.Errorf("fourth share = %q", fourth.Text())
	}

	list := h.Fake.Interact(t, guild, kindredtest.AliceID, `/shares`)
	if !list.Ephemeral() || len(list.Buttons()) != 3 || !strings.Contains(list.Text(), "not posted: Please talk to us directly first") {
		t.Fatalf("/shares = %q with %d buttons", list.Text(), len(list.Buttons()))
	}
	cards := h.Fake.Messages(kindredtest.ModlogID)
	newest := cards[len(cards)-1]
	if bob := h.Fake.Click(t, guild, kindredtest.BobID, list.Buttons()[0].CustomID, nil); !strings.Contains(bob.Text(), "isn't one of yours") {
		t.Errorf("Bob deleting Alice's share = %q", bob.Text())
	}
	deleted := h.Fake.Click(t, guild, kindredtest.AliceID, list.Buttons()[0].CustomID, list.Message)
	if !strings.Contains(deleted.Text(), "Deleted share") || len(deleted.Buttons()) != 2 {
		t.Errorf("delete = %q with %d buttons", deleted.Text(), len(deleted.Buttons()))
	}
	if h.Fake.Message(newest.ID) != nil {
		t.Error("the deleted share's vetting card, with its text, is still in the mod-log")
	}
}

// Vetting off: posted at once, with a link for the author; the export
// has it and /mydata delete deletes the post. The hierarchy: a moderator
// can't warn an author who outranks them, and isn't told why in a way
// that names them; nothing is recorded.
func TestShareUnvettedMyDataAndHierarchyEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSharing(t, storagetest.SQLite)
	guild := kindredtest.GuildID
	if r := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/kindred setup share_vetting:false`); !strings.Contains(r.Text(), "posted at once") {
		t.Fatalf("setup = %q", r.Text())
	}
	shared := h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"Ninety days today"`)
	post := h.Fake.WaitMessage(t, kindredtest.GeneralID, 5*time.Second)
	if !strings.Contains(shared.Text(), "Posted anonymously") || !strings.Contains(shared.Text(), post.ID) {
		t.Errorf("unvetted share reply = %q", shared.Text())
	}
	if post.Embeds[0].Description != "Ninety days today" {
		t.Errorf("post = %q", post.Embeds[0].Description)
	}

	adminShare := h.Fake.Interact(t, guild, kindredtest.AdminID, `/share group:Circle text:"Admins struggle too"`)
	if !strings.Contains(adminShare.Text(), "Posted anonymously") {
		t.Fatalf("admin's share = %q", adminShare.Text())
	}
	posts := h.Fake.Messages(kindredtest.GeneralID)
	adminPost := posts[len(posts)-1]
	open := h.Fake.MessageCommand(t, guild, kindredtest.ModeratorID, "Warn anonymous author", adminPost)
	refused := h.Fake.SubmitModal(t, guild, kindredtest.ModeratorID, open.Data.CustomID, map[string]string{"reason": "Off topic"})
	if !strings.Contains(refused.Text(), "couldn't be applied") || strings.Contains(refused.Text(), kindredtest.AdminID) || strings.Contains(refused.Text(), "Admin") {
		t.Errorf("warning an author who outranks the moderator = %q", refused.Text())
	}
	if notShare := h.Fake.MessageCommand(t, guild, kindredtest.ModeratorID, "Warn anonymous author", h.Fake.UserMessage(kindredtest.GeneralID, kindredtest.BobID, "hi")); !strings.Contains(notShare.Text(), "isn't an anonymous share") {
		t.Errorf("menu on an ordinary message = %q", notShare.Text())
	}
	if r := h.Fake.MessageCommand(t, guild, kindredtest.BobID, "Warn anonymous author", post); !strings.Contains(r.Text(), "Only moderators") {
		t.Errorf("a member's warn menu = %q", r.Text())
	}
	record := h.Fake.Interact(t, guild, kindredtest.OwnerID, `/warnings user:<@`+kindredtest.AdminID+`>`)
	if !strings.Contains(record.Text(), "has no warnings") {
		t.Errorf("a refused warning was recorded: %q", record.Text())
	}

	export := h.Fake.Interact(t, guild, kindredtest.AliceID, `/mydata export`)
	if len(export.Files) != 1 || !strings.Contains(string(export.Files[0].Data), "Ninety days today") {
		t.Errorf("export lacks the share")
	}
	bobExport := h.Fake.Interact(t, guild, kindredtest.ModeratorID, `/mydata export`)
	if len(bobExport.Files) == 1 && strings.Contains(string(bobExport.Files[0].Data), "Ninety days today") {
		t.Error("another member's export holds Alice's share")
	}
	confirm := h.Fake.Interact(t, guild, kindredtest.AliceID, `/mydata delete`)
	done := h.Fake.Click(t, guild, kindredtest.AliceID, confirm.Buttons()[0].CustomID, confirm.Message)
	if !strings.Contains(done.Text(), "1 anonymous share") {
		t.Errorf("delete = %q", done.Text())
	}
	if h.Fake.Message(post.ID) != nil {
		t.Error("the erased share's post is still there")
	}
	if h.Fake.Message(adminPost.ID) == nil {
		t.Error("another member's share was deleted")
	}
}

// A share of the longest length is shown whole: on the vetting card, where
// a moderator decides on it, and in the post.
func TestShareLongestIsShownWholeEndToEnd(t *testing.T) {
	t.Parallel()
	h := startSharing(t, storagetest.SQLite)
	guild := kindredtest.GuildID
	text := strings.Repeat("a long evening, ", 93) + "and I made i" // 1,500 characters
	if n := len([]rune(text)); n != 1500 {
		t.Fatalf("text has %d characters", n)
	}
	h.Fake.Interact(t, guild, kindredtest.AliceID, `/share group:Circle text:"`+text+`" content_warning:"a hard night"`)
	card := h.Fake.WaitMessage(t, kindredtest.ModlogID, 5*time.Second)
	if got := discordsim.MessageText(card); !strings.Contains(got, text) {
		t.Fatalf("the vetting card doesn't show the whole text:\n%s", got)
	}
	h.Fake.Click(t, guild, kindredtest.ModeratorID, cardButton(t, card, "Approve"), card)
	var post *discordgo.Message
	for _, m := range h.Fake.Messages(kindredtest.GeneralID) {
		if strings.Contains(discordsim.MessageText(m), "Anonymous member") {
			post = m
		}
	}
	if post == nil || !strings.Contains(discordsim.MessageText(post), "||"+text+"||") {
		t.Fatalf("the post doesn't carry the whole text behind its spoiler: %+v", post)
	}
}
