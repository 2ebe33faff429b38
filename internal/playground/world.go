package playground

import (
	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/internal/discordsim"
)

// The demo community. Its ids are fixed, so a playground restarted on the
// same database finds the server, channels, roles and members it knew
// (the messages of the earlier run are gone: the simulator keeps them in
// memory only).
const (
	GuildID         = "900000000000000001"
	GeneralID       = "900000000000000010"
	ModlogID        = "900000000000000011"
	EveningCircleID = "900000000000000012"
	RecoveryRoomID  = "900000000000000013"
	SupportID       = "900000000000000014"
	ModeratorRoleID = "900000000000000020"
	FacilitatorID   = "900000000000000021"
	SupporterRoleID = "900000000000000022"
	BotID           = "900000000000000002"

	AlexID   = "910000000000000001" // owns the server
	RileyID  = "910000000000000002" // a member
	SamID    = "910000000000000003" // a facilitator
	MorganID = "910000000000000004" // a moderator
	JordanID = "910000000000000005" // a peer supporter
	CaseyID  = "910000000000000006"
	TaylorID = "910000000000000007"
	QuinnID  = "910000000000000008"
)

// persona is a demo member the page can act as.
type persona struct {
	id, name, role, color string
	roles                 []string
}

var personas = []persona{
	{id: RileyID, name: "Riley", role: "Member", color: "#5b8def"},
	{id: SamID, name: "Sam", role: "Facilitator", color: "#2e9e6b", roles: []string{FacilitatorID}},
	{id: MorganID, name: "Morgan", role: "Moderator", color: "#c9733a", roles: []string{ModeratorRoleID}},
	{id: AlexID, name: "Alex", role: "Owner", color: "#9b59b6"},
	{id: JordanID, name: "Jordan", role: "Peer supporter", color: "#d4a017", roles: []string{SupporterRoleID}},
	{id: CaseyID, name: "Casey", role: "Member", color: "#1a9fb0"},
	{id: TaylorID, name: "Taylor", role: "Member", color: "#c0467a"},
	{id: QuinnID, name: "Quinn", role: "Member", color: "#6d7b8d"},
}

func personaOf(id string) (persona, bool) {
	for _, p := range personas {
		if p.id == id {
			return p, true
		}
	}
	return persona{}, false
}

// roleColors are the demo roles' colours; the bot's own role is grey.
var roleColors = map[string]string{
	ModeratorRoleID: "#c9733a",
	FacilitatorID:   "#2e9e6b",
	SupporterRoleID: "#d4a017",
}

// demoGuild is the server as it stands before anyone has used Kindred:
// the roles exist, but /kindred setup has not told Kindred about them.
func demoGuild() discordsim.Guild {
	g := discordsim.Guild{
		ID: GuildID, Name: "Kindred Playground", OwnerID: AlexID,
		Channels: []discordsim.Channel{
			{ID: GeneralID, Name: "general", Topic: "Say hello; try /resources"},
			{ID: ModlogID, Name: "mod-log", Topic: "Reports and warnings land here once /kindred setup names it"},
			{ID: EveningCircleID, Name: "evening-circle", Topic: "Home of a peer support group"},
			{ID: RecoveryRoomID, Name: "recovery-room", Topic: "Another group's home"},
			{ID: SupportID, Name: "support", Topic: "Private support threads open here once /kindred setup names it"},
		},
		// Kindred's own role sits at discordsim.BotRolePosition, above
		// these, so it may moderate their holders, as a server owner would
		// arrange it.
		Roles: []discordsim.Role{
			{ID: ModeratorRoleID, Name: "Moderator", Position: 3, Permissions: discordgo.PermissionManageMessages |
				discordgo.PermissionModerateMembers | discordgo.PermissionKickMembers},
			{ID: FacilitatorID, Name: "Facilitator", Position: 2},
			{ID: SupporterRoleID, Name: "Peer Supporter", Position: 1},
		},
	}
	for _, p := range personas {
		g.Members = append(g.Members, discordsim.Member{User: discordsim.User{ID: p.id, Username: p.name}, Roles: p.roles})
	}
	return g
}

// tourStep is one step of the guided tour: who acts, where, and the
// command line to run (none when the step is a click).
type tourStep struct {
	Title     string `json:"title"`
	Text      string `json:"text"`
	As        string `json:"as"`
	Channel   string `json:"channel"`
	ChannelID string `json:"channel_id"`
	Line      string `json:"line,omitempty"`
}

// tour shows each feature with the few commands that show it, in an
// order where each step works after the ones before.
var tour = []tourStep{
	{Title: "Set up the server", As: AlexID, Channel: "general", ChannelID: GeneralID,
		Text: "As Alex, the owner, tell Kindred where reports go, which roles moderate and facilitate, and the server's timezone.",
		Line: `/kindred setup modlog_channel:#mod-log moderator_role:@Moderator facilitator_role:@Facilitator timezone:Europe/London`},
	{Title: "Create a group", As: SamID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Sam, a facilitator, starts a peer support group with its home in #evening-circle.",
		Line: `/group create name:"Evening Circle" description:"A gentle evening check-in for anyone finding things hard" type:mental-health channel:#evening-circle`},
	{Title: "Join the group", As: RileyID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Riley reads the group's guidelines; pressing I agree makes Riley a member.",
		Line: `/group join group:"Evening Circle"`},
	{Title: "Schedule a meeting", As: SamID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Sam schedules tomorrow's meeting with reminders a day and an hour before; Kindred announces it in the group's channel.",
		Line: `/meeting schedule group:"Evening Circle" title:"Evening check-in" start:"tomorrow 19:00" reminders:"24h,1h"`},
	{Title: "RSVP", As: RileyID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Press Going on the announcement, then skip ahead a day: the reminder arrives in the channel and in Riley's DMs."},
	{Title: "Check in", As: RileyID, Channel: "general", ChannelID: GeneralID,
		Text: "Riley records how the day went. The reply is for Riley alone; the note is never shown to anyone else.",
		Line: `/checkin mood:2 note:"a long day"`},
	{Title: "See your history", As: RileyID, Channel: "general", ChannelID: GeneralID,
		Text: "Riley's check-ins, streak and a chart of mood over time, privately.",
		Line: `/checkins history`},
	{Title: "Opt in to buddies", As: RileyID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Riley asks to be paired with another member of the group.",
		Line: `/buddy join group:"Evening Circle"`},
	{Title: "Sam joins the group", As: SamID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Pairing needs two people: Sam joins the group too (press I agree).",
		Line: `/group join group:"Evening Circle"`},
	{Title: "Sam opts in to buddies", As: SamID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Now two members of Evening Circle want a buddy.",
		Line: `/buddy join group:"Evening Circle"`},
	{Title: "Run a pairing round", As: SamID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Kindred pairs the members who opted in and opens a private thread for each pair; skip ahead a few days for the follow-up.",
		Line: `/pairing run group:"Evening Circle"`},
	{Title: "Turn on support", As: AlexID, Channel: "general", ChannelID: GeneralID,
		Text: "Alex names the peer supporters' role and the channel where private support threads open.",
		Line: `/kindred setup supporter_role:"@Peer Supporter" support_channel:#support`},
	{Title: "Go on duty", As: JordanID, Channel: "support", ChannelID: SupportID,
		Text: "Jordan, a peer supporter, is available for the next two hours.",
		Line: `/supporter on hours:2`},
	{Title: "Ask for support", As: RileyID, Channel: "general", ChannelID: GeneralID,
		Text: "Riley would like someone to talk to. A private thread opens for Riley in #support, and a card there pings only the supporters on duty; it shows the topic, never Riley's name.",
		Line: `/support topic:"a hard evening"`},
	{Title: "Take the request", As: JordanID, Channel: "support", ChannelID: SupportID,
		Text: "Press I'll take this on the card: Jordan joins Riley's thread, and the card shows the request is taken."},
	{Title: "Share anonymously", As: RileyID, Channel: "evening-circle", ChannelID: EveningCircleID,
		Text: "Riley shares something with the group without a name on it. A moderator looks at it first, without seeing who wrote it.",
		Line: `/share group:"Evening Circle" text:"Some evenings are still hard, but tonight I reached out instead of staying quiet."`},
	{Title: "Approve the share", As: MorganID, Channel: "mod-log", ChannelID: ModlogID,
		Text: "Press Approve on the card: the share appears in #evening-circle from Anonymous member, with a thread for gentle replies."},
	{Title: "Set an escalation rule", As: MorganID, Channel: "mod-log", ChannelID: ModlogID,
		Text: "Morgan, a moderator, decides that two active warnings mean a one-hour timeout.",
		Line: `/escalation set warnings:2 action:timeout duration:1h`},
	{Title: "Warn a member", As: MorganID, Channel: "mod-log", ChannelID: ModlogID,
		Text: "Riley is told why by DM, without Morgan's name; the case goes to #mod-log. A second warning would time Riley out.",
		Line: `/warn user:Riley reason:"Please share from your own experience rather than giving advice"`},
	{Title: "Export your data", As: RileyID, Channel: "general", ChannelID: GeneralID,
		Text: "Everything Kindred stores about Riley, as a JSON file only Riley receives.",
		Line: `/mydata export`},
}
