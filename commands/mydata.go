package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/storage"
)

// myDataFile is the export's attachment name.
const myDataFile = "kindred-data.json"

// myDataConfirmWindow is how long the Delete my data button works.
const myDataConfirmWindow = 5 * time.Minute

// myDataDeleteButton is the confirm button: whose data, and until when it works.
var myDataDeleteButton = NewIDPattern("mydata:delete:{owner:id}:{expires:int}").Again("/mydata delete")

var mydataCommand = &discordgo.ApplicationCommand{
	Name:        "mydata",
	Description: "Your data in Kindred: take a copy, or erase it",
	Options: []*discordgo.ApplicationCommandOption{
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "export",
			Description: "A file of everything Kindred stores about you, in every server",
		},
		{
			Type:        discordgo.ApplicationCommandOptionSubCommand,
			Name:        "delete",
			Description: "Erase your check-ins, memberships, buddy and meeting data, in every server",
		},
	},
}

// MyData is /mydata: a member's export and erasure of their own data.
type MyData struct {
	env Env
}

func (f *MyData) Register(r *Router) {
	r.Define(mydataCommand)
	r.Command("mydata/export", f.export, Anywhere, Heavy)
	r.Command("mydata/delete", f.confirmDelete, Anywhere)
	r.Component(myDataDeleteButton, f.delete, Anywhere)
}

// export answers with the member's data as an ephemeral JSON attachment.
func (f *MyData) export(ctx context.Context, req *Request) (*Response, error) {
	data, err := f.env.DB.ExportMemberData(ctx, req.UserID, f.env.Now())
	if err != nil {
		return nil, fmt.Errorf("mydata export: %w", err)
	}
	body, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("mydata export: %w", err)
	}
	f.env.Log.Info("member data exported", "user", req.UserID, "bytes", len(body))
	content := strings.Join([]string{
		"Here is everything Kindred stores about you, in every server: " + myDataSummary(data) + ".",
		"Times are in UTC. The file is shown only to you; keep it somewhere safe, since it holds your check-in notes.",
		"Your active warnings are included as `/warnings` shows them; reports and other moderation records are not.",
		"`/mydata delete` erases your data.",
	}, "\n")
	return &Response{
		Ephemeral: true,
		Content:   content,
		Files:     []*discordgo.File{{Name: myDataFile, ContentType: "application/json", Reader: bytes.NewReader(body)}},
	}, nil
}

func myDataSummary(d storage.MemberData) string {
	parts := []string{
		nouns(len(d.Checkins), "check-in"),
		nouns(len(d.GroupMemberships), "group membership"),
		nouns(len(d.MeetingRSVPs), "meeting answer"),
		nouns(len(d.Pairings), "pairing"),
		nouns(len(d.Shares), "anonymous share"),
	}
	return strings.Join(parts, ", ")
}

// confirmDelete asks before erasing anything; the button works for this
// member only, for myDataConfirmWindow.
func (f *MyData) confirmDelete(ctx context.Context, req *Request) (*Response, error) {
	expires := f.env.Now().Add(myDataConfirmWindow)
	content := strings.Join([]string{
		"**Delete your data from Kindred?** This can't be undone. In every server, it erases:",
		"• your check-ins and their notes, your check-in reminders and streaks",
		"• your preferences (timezone, quiet hours, DMs)",
		"• your group memberships, meeting answers and attendance",
		"• your buddy settings, your avoid list and your pairing history",
		"• your support requests with their topics, and your times on duty as a supporter",
		"• your anonymous shares, with their posts",
		"• reminders and DMs waiting to be sent to you",
		"",
		"Kept: warnings and reports, which are moderation records, and the groups and meetings you created, which belong to their server.",
		fmt.Sprintf("The button works until <t:%d:t>. `/mydata export` gives you a copy first.", expires.Unix()),
	}, "\n")
	return &Response{
		Ephemeral: true,
		Content:   content,
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Delete my data", Style: discordgo.DangerButton, CustomID: myDataDeleteButton.ID(req.UserID, expires.Unix())},
		}}},
	}, nil
}

// delete erases the member's data once they confirmed in time, and turns
// the confirmation into the result.
func (f *MyData) delete(ctx context.Context, req *Request) (*Response, error) {
	owner, expires := req.Parts.String("owner"), req.Parts.Int("expires")
	if owner != req.UserID {
		f.env.Log.Warn("mydata delete button pressed by someone else", "user", req.UserID, "owner", owner)
		return nil, UserErrorf("This button belongs to someone else's `/mydata delete`, so nothing was deleted. Run `/mydata delete` yourself to erase your own data.")
	}
	if f.env.Now().Unix() > expires {
		return &Response{
			Update:     true,
			Content:    "This confirmation has expired, and nothing was deleted. Run `/mydata delete` again if you still want to erase your data.",
			Components: []discordgo.MessageComponent{},
		}, nil
	}
	erased, err := f.env.DB.EraseMemberData(ctx, req.UserID)
	if err != nil {
		return nil, fmt.Errorf("mydata delete: %w", err)
	}
	// Posts go after the commit: the rows are erased whatever Discord says.
	notDeleted := deleteMessages(ctx, f.env, erased.SharePosts)
	notWithdrawn := deleteMessages(ctx, f.env, erased.SupportCards)
	for _, thread := range erased.SupportThreads {
		if err := f.env.Discord.CloseThread(ctx, thread); err != nil && !errors.Is(err, ErrUnknownChannel) {
			f.env.Log.Warn("erased support request's thread not closed", "thread", thread, "err", err)
			notWithdrawn++
		}
	}
	f.env.Log.Info("member data erased", "user", req.UserID, "rows", erased.Total())
	text := erasedText(erased)
	if notDeleted > 0 {
		text += fmt.Sprintf("\n%s of your anonymous shares couldn't be deleted from Discord just now; their text is gone from Kindred. A moderator can delete the post for you.", plural(notDeleted, "One post", "Some posts"))
	}
	if notWithdrawn > 0 {
		text += "\nSome of your support requests couldn't be withdrawn from Discord just now (a card in the support channel, or an open thread); they are gone from Kindred. A moderator can remove them for you."
	}
	return &Response{Update: true, Content: text, Components: []discordgo.MessageComponent{}}, nil
}

// deleteMessages deletes Kindred's messages about erased data (the posts
// and cards of shares, support cards: /mydata delete). It returns how many
// could not be deleted; one already gone counts as deleted.
func deleteMessages(ctx context.Context, env Env, posts []storage.MessageRef) int {
	failed := 0
	for _, p := range posts {
		err := env.Discord.DeleteMessage(ctx, p.ChannelID, p.MessageID)
		if err != nil && !errors.Is(err, ErrUnknownMessage) && !errors.Is(err, ErrUnknownChannel) {
			env.Log.Warn("erased member's message not deleted", "channel", p.ChannelID, "message", p.MessageID, "err", err)
			failed++
		}
	}
	return failed
}

func erasedText(e storage.ErasedMemberData) string {
	lines := []string{"**Your data has been deleted from Kindred**, in every server."}
	if e.Total() == 0 {
		lines = append(lines, "There was nothing left to delete.")
	} else {
		counts := []struct {
			n    int
			noun string
		}{
			{e.Checkins, "check-in"},
			{e.CheckinReminders, "check-in reminder"},
			{e.CheckinRuns, "streak"},
			{e.GroupMemberships, "group membership"},
			{e.RSVPs, "meeting answer"},
			{e.Attendance, "attendance mark"},
			{e.BuddySettings, "buddy setting"},
			{e.BuddyAvoids, "avoid-list entry"},
			{e.Pairings, "pairing"},
			{e.SupportRequests, "support request"},
			{e.SupporterShifts, "supporter shift"},
			{e.Shares, "anonymous share"},
			{e.PendingMessages + e.FailedMessages, "waiting reminder or DM"},
		}
		var parts []string
		for _, c := range counts {
			if c.n == 0 {
				continue
			}
			parts = append(parts, nouns(c.n, c.noun))
		}
		if e.Preferences > 0 {
			parts = append(parts, "your preferences")
		}
		if len(parts) > 0 {
			lines = append(lines, "Deleted: "+strings.Join(parts, ", ")+".")
		}
	}
	lines = append(lines,
		"Kept: warnings and reports, which are moderation records, and the groups and meetings you created, which belong to their server.",
		"Roles a group gave you in Discord stay until you or a moderator remove them.")
	return strings.Join(lines, "\n")
}
