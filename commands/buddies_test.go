package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/kindred-bot/kindred/scheduler"
	"github.com/kindred-bot/kindred/storage"
)

const botUserID = "200000000000000099"

func intOpt(name string, v float64) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionInteger, Value: v}
}

func userOpt(id string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: "user", Type: discordgo.ApplicationCommandOptionUser, Value: id}
}

// buddyMember is a /buddy request whose resolved users include a bot.
func buddyMember(userID, route string, o ...*discordgo.ApplicationCommandInteractionDataOption) *Request {
	req := asMember(userID, route, o...)
	req.Resolved.Users = map[string]*discordgo.User{
		botUserID: {ID: botUserID, Username: "somebot", Bot: true},
		bobID:     {ID: bobID, Username: "bob"},
		aliceID:   {ID: aliceID, Username: "alice"},
	}
	return req
}

// buddyEnv is the group "Monday Circle" whose members (ids member(1…n))
// all opted in to pairing, and a clock the test moves.
func buddyEnv(t *testing.T, n int) (Env, *recorder, *time.Time, storage.Group, []string) {
	t.Helper()
	env, rec, now, g := meetingEnv(t)
	var ids []string
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("2000000000000001%02d", i)
		ids = append(ids, id)
		rec.addMember(g.GuildID, id)
		if err := env.DB.JoinGroup(context.Background(), g.ID, id, *now); err != nil {
			t.Fatal(err)
		}
		resp := mustCall(t, env, buddyMember(id, "buddy/join", str("group", "Monday Circle")))
		if !resp.Ephemeral || !strings.Contains(resp.Content, "You're in") {
			t.Fatalf("buddy join = %q", resp.Content)
		}
	}
	return env, rec, now, g, ids
}

func runRound(t *testing.T, env Env) *Response {
	t.Helper()
	return mustCall(t, env, asFacilitator("pairing/run", str("group", "Monday Circle")))
}

func TestBuddyBadInput(t *testing.T) {
	env, _, _, _, _ := buddyEnv(t, 1)
	for _, c := range []struct {
		req  *Request
		want string
	}{
		{buddyMember(aliceID, "buddy/pause", intOpt("weeks", 0)), "1 to 52"},
		{buddyMember(aliceID, "buddy/pause", intOpt("weeks", 53)), "1 to 52"},
		{buddyMember("200000000000000101", "buddy/avoid", userOpt("200000000000000101")), "That's you"},
		{buddyMember(aliceID, "buddy/avoid", userOpt(botUserID)), "bot"},
		{buddyMember(aliceID, "buddy/unavoid", userOpt(botUserID)), "bot"},
		{buddyMember(aliceID, "buddy/pause", intOpt("weeks", 2)), "haven't joined"},
		{buddyMember(aliceID, "buddy/join", str("group", "Monday Circle")), "/group join"},
		{buddyMember(aliceID, "buddy/leave", str("group", "Monday Circle")), "nothing to leave"},
		{asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "weekly"), intOpt("size", 4)), "size:2"},
		{asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "weekly"), intOpt("followup_days", 15)), "1 to 14"},
		{asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "0 0 30 2 *")), "never"},
		{asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "daily")), "weekly"},
		{asMember(aliceID, "pairing/configure", str("group", "Monday Circle"), str("schedule", "weekly")), "Only facilitators"},
		{asFacilitator("pairing/run", str("group", "Monday Circle")), "at least 2"},
	} {
		_, err := call(t, env, c.req)
		wantUserError(t, err, c.want)
	}
	rounds, err := env.DB.PairingStatsOf(context.Background(), mustGroup(t, env, "Monday Circle").ID)
	if err != nil || rounds.Rounds != 0 {
		t.Errorf("a refused run recorded %+v, %v", rounds, err)
	}
}

func TestPairingRoundOfFive(t *testing.T) {
	env, rec, now, g, ids := buddyEnv(t, 5)
	// The first member privately avoids the second.
	avoided := mustCall(t, env, buddyMember(ids[0], "buddy/avoid", userOpt(ids[1])))
	if !avoided.Ephemeral || !strings.Contains(avoided.Content, "private") {
		t.Errorf("avoid = %q", avoided.Content)
	}
	reply := runRound(t, env)
	if !strings.Contains(reply.Content, "Round 1") || !strings.Contains(reply.Content, "2 pairs and trios") {
		t.Errorf("run = %q", reply.Content)
	}
	threads := rec.Calls("StartPrivateThread")
	if len(threads) != 2 {
		t.Fatalf("%d threads, want a pair and a trio", len(threads))
	}
	for _, c := range threads {
		// StartPrivateThread is private and non-invitable by contract (the
		// port's own tests check the wire); a week is Discord's longest archive.
		if c.Args[0] != g.ChannelID || c.Args[2] != (7*24*time.Hour).String() {
			t.Errorf("thread = %v, want a private thread in the group channel, archived after a week", c.Args)
		}
	}
	adds := rec.Calls("AddThreadMember")
	if len(adds) != 5 {
		t.Fatalf("%d members added to threads, want 5", len(adds))
	}
	byThread := map[string][]string{}
	for _, a := range adds {
		byThread[a.Args[0]] = append(byThread[a.Args[0]], a.Args[1])
	}
	var sizes []int
	for thread, members := range byThread {
		sizes = append(sizes, len(members))
		if slices.Contains(members, ids[0]) && slices.Contains(members, ids[1]) {
			t.Errorf("thread %s pairs two members one of whom avoids the other", thread)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{2, 3}) {
		t.Errorf("group sizes = %v, want a pair and a trio", sizes)
	}
	for _, post := range rec.Calls("Send") {
		members := byThread[post.Args[0]]
		if members == nil {
			continue
		}
		if !strings.Contains(post.Message.Content, "conversation starter") {
			t.Errorf("introduction = %q", post.Message.Content)
		}
		am := post.Message.AllowedMentions
		if am == nil || len(am.Parse) != 0 || !slices.Equal(slices.Sorted(slices.Values(am.Users)), slices.Sorted(slices.Values(members))) {
			t.Errorf("introduction may ping %+v, want only %v", am, members)
		}
	}

	// Status: each member sees their buddy; the avoid is never shown or hinted.
	for _, id := range ids[:2] {
		status := text(mustCall(t, env, buddyMember(id, "buddy/status")))
		if !strings.Contains(status, "Your buddy") || !strings.Contains(status, "Not paused") {
			t.Errorf("status of %s = %q", id, status)
		}
		if strings.Contains(strings.ToLower(status), "avoid") || strings.Contains(status, "<@"+ids[1-slices.Index(ids, id)]+">") {
			t.Errorf("status of %s reveals the avoid: %q", id, status)
		}
	}

	// Pausing covers every group the member joined pairing in.
	paused := mustCall(t, env, buddyMember(ids[2], "buddy/pause", intOpt("weeks", 2)))
	if !strings.Contains(paused.Content, "1 group") {
		t.Errorf("pause = %q", paused.Content)
	}
	if status := text(mustCall(t, env, buddyMember(ids[2], "buddy/status"))); !strings.Contains(status, "Paused until") {
		t.Errorf("status while paused = %q", status)
	}

	// reach_out posts in the pair thread, without the mood or the note.
	*now = now.Add(time.Hour)
	before := len(rec.Calls("Send"))
	resp := mustCall(t, env, &Request{Route: "checkin", GuildID: guildID, UserID: ids[3],
		Options: opts{moodOption(2), str("note", "secret words"), boolean("reach_out", true), str("group", "Monday Circle")}})
	if !strings.Contains(resp.Content, "have been told") {
		t.Errorf("reach out reply = %q", resp.Content)
	}
	posts := rec.Calls("Send")[before:]
	if len(posts) != 1 || byThread[posts[0].Args[0]] == nil || !slices.Contains(byThread[posts[0].Args[0]], ids[3]) {
		t.Fatalf("reach out posted %v, want one post in their pair thread", posts)
	}
	if m := posts[0].Message; strings.Contains(m.Content, "secret") || strings.Contains(m.Content, "Low") || m.AllowedMentions == nil || len(m.AllowedMentions.Users) != 0 {
		t.Errorf("reach out message %q (mentions %+v) must carry no mood, note or ping", m.Content, m.AllowedMentions)
	}
}

func TestPairingThreadRefusedStillRecordsRound(t *testing.T) {
	env, rec, _, g, _ := buddyEnv(t, 2)
	rec.failNext("StartPrivateThread", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
	reply := runRound(t, env)
	if !strings.Contains(reply.Content, "could not be opened") || !strings.Contains(reply.Content, "missing a permission") {
		t.Errorf("run with the thread refused = %q", reply.Content)
	}
	stats, err := env.DB.PairingStatsOf(context.Background(), g.ID)
	if err != nil || stats.Rounds != 1 || stats.Pairs != 1 {
		t.Errorf("stats = %+v, %v; the round is still recorded", stats, err)
	}
}

// runJobs runs every due job of kind at `at` through its handler.
func runJobs(t *testing.T, env Env, kind string, at time.Time) []storage.NewJob {
	t.Helper()
	r := NewRouter(env.DB, Features(env)...)
	var out []storage.NewJob
	for _, j := range claimAll(t, env, at) {
		if j.Kind != kind {
			continue
		}
		next, err := r.Jobs()[kind].Handle(context.Background(), j)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if err := env.DB.CompleteJob(context.Background(), j.ID, next...); err != nil {
			t.Fatal(err)
		}
		out = append(out, next...)
	}
	return out
}

func TestFollowupAnswersFeedStats(t *testing.T) {
	env, rec, now, _, ids := buddyEnv(t, 2)
	runRound(t, env)
	posted := len(rec.Calls("Send"))
	if runJobs(t, env, pairingFollowupJob.Kind, now.Add(71*time.Hour)); len(rec.Calls("Send")) != posted {
		t.Fatal("the follow-up ran before followup_days")
	}
	runJobs(t, env, pairingFollowupJob.Kind, now.Add(72*time.Hour))
	posts := rec.Calls("Send")
	followup := posts[len(posts)-1].Message
	if !strings.Contains(followup.Content, "Did you two get to talk?") || len(followup.Components) != 1 {
		t.Fatalf("follow-up = %q", followup.Content)
	}
	var talked, notYet string
	for _, c := range followup.Components[0].(discordgo.ActionsRow).Components {
		b := c.(discordgo.Button)
		switch b.Label {
		case "We talked":
			talked = b.CustomID
		case "Not yet":
			notYet = b.CustomID
		}
	}
	if !strings.HasPrefix(talked, "buddy:talked:") || !strings.HasPrefix(notYet, "buddy:notyet:") {
		t.Fatalf("buttons = %q, %q", talked, notYet)
	}
	_, err := call(t, env, &Request{Type: ComponentInteraction, Route: talked, GuildID: guildID, UserID: bobID})
	wantUserError(t, err, "Only the buddies")
	resp := mustCall(t, env, &Request{Type: ComponentInteraction, Route: notYet, GuildID: guildID, UserID: ids[1]})
	if !resp.Ephemeral {
		t.Error("answers are confirmed privately")
	}
	stats := text(mustCall(t, env, asFacilitator("pairing/stats", str("group", "Monday Circle"))))
	if !strings.Contains(stats, "0 of 1") {
		t.Errorf("stats after Not yet = %q", stats)
	}
	mustCall(t, env, &Request{Type: ComponentInteraction, Route: talked, GuildID: guildID, UserID: ids[0]})
	stats = text(mustCall(t, env, asFacilitator("pairing/stats", str("group", "Monday Circle"))))
	for _, want := range []string{"Rounds held: 1", "Participants: 2", "1 of 1 (100%)"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats = %q, want %q", stats, want)
		}
	}
}

func TestThreeUnansweredPairingsPause(t *testing.T) {
	env, _, now, g, ids := buddyEnv(t, 4)
	quiet := ids[3]
	for range 3 {
		runRound(t, env)
		history, err := env.DB.PairingHistory(context.Background(), g.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range history {
			for _, u := range p.Members {
				if u != quiet {
					if err := env.DB.AnswerFollowup(context.Background(), p.ID, u, storage.AnswerTalked, *now); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		*now = now.Add(7 * 24 * time.Hour)
	}
	reply := runRound(t, env)
	if !strings.Contains(reply.Content, "1 member left three pairings") {
		t.Errorf("run = %q", reply.Content)
	}
	status := text(mustCall(t, env, buddyMember(quiet, "buddy/status")))
	if !strings.Contains(status, "/buddy join") {
		t.Errorf("status of the paused member = %q", status)
	}
	var dm *DMMessage
	for _, j := range claimAll(t, env, *now) {
		if j.Kind == dmJob.Kind {
			var m DMMessage
			if err := json.Unmarshal(j.Payload, &m); err != nil {
				t.Fatal(err)
			}
			dm = &m
		}
	}
	if dm == nil || dm.UserID != quiet || !strings.Contains(dm.Content, "/buddy join") {
		t.Fatalf("DM = %+v, want one to the paused member saying how to rejoin", dm)
	}
	// Rejoining ends the pause and starts afresh.
	mustCall(t, env, buddyMember(quiet, "buddy/join", str("group", "Monday Circle")))
	if status := text(mustCall(t, env, buddyMember(quiet, "buddy/status"))); !strings.Contains(status, "Not paused") {
		t.Errorf("status after rejoining = %q", status)
	}
}

func TestPairingConfigureQueuesRound(t *testing.T) {
	env, _, _, g, _ := buddyEnv(t, 2)
	reply := mustCall(t, env, asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "weekly"), intOpt("size", 3), intOpt("followup_days", 5)))
	// Wednesday 25 Nov 2026 → Monday 30 Nov 10:00 Berlin = 09:00 UTC.
	first := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	if !strings.Contains(reply.Content, timestamp(first, "F")) || !strings.Contains(reply.Content, "trios") {
		t.Errorf("configure = %q", reply.Content)
	}
	mustCall(t, env, asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "0 10 * * 3")))
	jobs := claimAll(t, env, first.Add(30*24*time.Hour))
	var rounds []storage.Job
	for _, j := range jobs {
		if j.Kind == pairingRoundJob.Kind {
			rounds = append(rounds, j)
		}
	}
	if len(rounds) != 1 || !strings.HasPrefix(rounds[0].DedupeKey, fmt.Sprintf("group:%d:pairing:round:", g.ID)) {
		t.Fatalf("queued rounds = %+v, want exactly the latest", rounds)
	}
	// Wednesday 2 Dec 10:00 Berlin: the cron schedule, not the weekly one.
	if want := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC); !rounds[0].RunAt.Equal(want) {
		t.Errorf("next round at %v, want %v", rounds[0].RunAt, want)
	}
}

// runScheduler sets the clock to `at` and runs every job due then through
// the real scheduler, as the bot's loop would: a handler's error is
// retried after the scheduler's backoff, and follow-ups are written at
// completion. It returns how many handlers ran.
func runScheduler(t *testing.T, env Env, now *time.Time, at time.Time) int {
	t.Helper()
	*now = at
	s := scheduler.New(env.DB, scheduler.Options{Now: env.Now, Log: env.Log})
	for kind, k := range NewRouter(env.DB, Features(env)...).Jobs() {
		s.Register(kind, k)
	}
	n, err := s.RunDue(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// firstWeeklyRound configures a weekly schedule in "Monday Circle" and
// returns its first round: Monday 30 Nov 2026, 10:00 in Berlin.
func firstWeeklyRound(t *testing.T, env Env) time.Time {
	t.Helper()
	mustCall(t, env, asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "weekly")))
	return time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
}

// withModlog gives the test server a mod-log channel.
func withModlog(t *testing.T, env Env) {
	t.Helper()
	if _, err := env.DB.UpdateGuildSettings(context.Background(), guildID, storage.GuildSettingsUpdate{ModlogChannelID: strPtr(modlogChannelID)}, t0); err != nil {
		t.Fatal(err)
	}
}

// sendsTo are the messages posted in a channel or thread.
func sendsTo(rec *recorder, channelID string) []recordedCall {
	var out []recordedCall
	for _, c := range rec.Calls("Send") {
		if c.Err == nil && c.Args[0] == channelID {
			out = append(out, c)
		}
	}
	return out
}

// pendingJobs claims every queued job of kind ("" for all), however far
// ahead it is due.
func pendingJobs(t *testing.T, env Env, kind string) []storage.Job {
	t.Helper()
	var out []storage.Job
	for _, j := range claimAll(t, env, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if kind == "" || j.Kind == kind {
			out = append(out, j)
		}
	}
	return out
}

// A Discord outage in the middle of a scheduled round (the thread opened,
// adding its members failed with a 500, and then the introduction with a
// 503) is retried with the scheduler's backoff: the retries resume the
// same thread, add the members, and post exactly one introduction. The
// mod-log hears nothing: nothing went wrong in the end.
func TestScheduledRoundResumesAfterDiscordOutage(t *testing.T) {
	env, rec, now, _, ids := buddyEnv(t, 2)
	withModlog(t, env)
	round := firstWeeklyRound(t, env)
	rec.failNext("AddThreadMember", discordError(500, 0, "500: Internal Server Error"))
	rec.failNext("Send", discordError(503, 0, "503: Service Unavailable"))

	at := round
	for range 3 {
		runScheduler(t, env, now, at)
		at = at.Add(time.Minute) // past the backoff of 10, then 20 seconds
	}
	threads := rec.Calls("StartPrivateThread")
	if len(threads) != 1 {
		t.Fatalf("%d threads opened, want one, resumed", len(threads))
	}
	thread := "" // the recorder's id of the one thread
	for _, c := range rec.Calls("AddThreadMember") {
		thread = c.Args[0]
	}
	var added []string
	for _, c := range rec.Calls("AddThreadMember") {
		if c.Err == nil {
			added = append(added, c.Args[1])
		}
	}
	if slices.Sort(added); !slices.Equal(added, ids) {
		t.Errorf("added to the thread: %v, want %v", added, ids)
	}
	if intros := sendsTo(rec, thread); len(intros) != 1 || !strings.Contains(intros[0].Message.Content, "conversation starter") {
		t.Errorf("introductions posted: %v, want exactly one", intros)
	}
	if posts := sendsTo(rec, modlogChannelID); len(posts) != 0 {
		t.Errorf("the mod-log was told %q about a round that opened in the end", posts[0].Message.Content)
	}
	if jobs := pendingJobs(t, env, pairingRoundJob.Kind); len(jobs) != 1 || !jobs[0].RunAt.Equal(round.AddDate(0, 0, 7)) {
		t.Errorf("queued rounds = %+v, want the next Monday's alone", jobs)
	}
}

// A refusal that retrying can't mend (Kindred lacks a permission) is
// reported to the mod-log once, even when the job runs again after a crash
// before it was marked done.
func TestScheduledRoundReportsRefusalOnce(t *testing.T) {
	env, rec, _, _, _ := buddyEnv(t, 2)
	withModlog(t, env)
	round := firstWeeklyRound(t, env)
	jobs := claimAll(t, env, round)
	if len(jobs) != 1 || jobs[0].Kind != pairingRoundJob.Kind {
		t.Fatalf("due jobs = %+v, want the round", jobs)
	}
	f := &Buddies{env: env}
	for range 2 {
		rec.failNext("StartPrivateThread", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"))
		if _, err := pairingRoundJob.Runner(f.scheduledRound).Handle(context.Background(), jobs[0]); err != nil {
			t.Fatalf("a refusal is reported, not retried: %v", err)
		}
	}
	posts := sendsTo(rec, modlogChannelID)
	if len(posts) != 1 || !strings.Contains(posts[0].Message.Content, "missing a permission") {
		t.Fatalf("mod-log posts = %v, want one naming the missing permission", posts)
	}
}

// An outage that outlasts the job's attempts is reported by the last one,
// and the schedule goes on.
func TestScheduledRoundGivesUpWithOneReport(t *testing.T) {
	env, rec, now, _, _ := buddyEnv(t, 2)
	withModlog(t, env)
	round := firstWeeklyRound(t, env)
	at := round
	for range pairingRoundJob.MaxAttempts {
		rec.failNext("StartPrivateThread", discordError(502, 0, "502: Bad Gateway"))
		runScheduler(t, env, now, at)
		at = at.Add(time.Hour) // past any backoff
	}
	if posts := sendsTo(rec, modlogChannelID); len(posts) != 1 || !strings.Contains(posts[0].Message.Content, "Bad Gateway") {
		t.Fatalf("mod-log posts = %v, want one from the last attempt", posts)
	}
	if n := len(rec.Calls("StartPrivateThread")); n != pairingRoundJob.MaxAttempts {
		t.Errorf("%d attempts to open the thread, want %d", n, pairingRoundJob.MaxAttempts)
	}
	if jobs := pendingJobs(t, env, pairingRoundJob.Kind); len(jobs) != 1 || !jobs[0].RunAt.Equal(round.AddDate(0, 0, 7)) {
		t.Errorf("queued rounds = %+v, want the next Monday's", jobs)
	}
}

func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"server error", discordError(500, 0, "500: Internal Server Error"), true},
		{"bad gateway", discordError(502, 0, "502: Bad Gateway"), true},
		{"rate limited", &DiscordError{Status: 429, Cause: ErrRateLimited}, true},
		{"timeout", fmt.Errorf("discord send message: %w", context.DeadlineExceeded), true},
		{"missing permissions", discordError(403, discordgo.ErrCodeMissingPermissions, "Missing Permissions"), false},
		{"unknown member", discordError(404, discordgo.ErrCodeUnknownMember, "Unknown Member"), false},
		{"shutting down", fmt.Errorf("discord send message: %w", context.Canceled), false},
		{"none", nil, false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("%s: transient = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A /pairing configure that commits while a scheduled round is being
// formed cancels the round's job; the next round of the old schedule is
// then never written, and only the new schedule's round stays queued.
func TestConfigureDuringRoundLeavesOneSchedule(t *testing.T) {
	env, _, now, g, _ := buddyEnv(t, 2)
	round := firstWeeklyRound(t, env)
	*now = round
	jobs := claimAll(t, env, round)
	if len(jobs) != 1 || jobs[0].Kind != pairingRoundJob.Kind {
		t.Fatalf("due jobs = %+v, want the round", jobs)
	}
	f := &Buddies{env: env, beforeRecord: func() {
		mustCall(t, env, asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "0 10 * * 3")))
	}}
	next, err := pairingRoundJob.Runner(f.scheduledRound).Handle(context.Background(), jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := env.DB.CompleteJob(context.Background(), jobs[0].ID, next...); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("completing the cancelled round job = %v, want ErrNotFound", err)
	}
	rounds := pendingJobs(t, env, pairingRoundJob.Kind)
	// Wednesday 2 Dec 10:00 in Berlin: the new schedule's first round.
	if want := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC); len(rounds) != 1 || !rounds[0].RunAt.Equal(want) {
		t.Errorf("queued rounds = %+v, want only the new schedule's, at %v", rounds, want)
	}
	if stats, err := env.DB.PairingStatsOf(context.Background(), g.ID); err != nil || stats.Rounds != 1 {
		t.Errorf("stats = %+v, %v; the round formed is kept", stats, err)
	}
}

func TestCatchUpRound(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	monday := time.Date(2026, 11, 30, 10, 0, 0, 0, berlin)
	weekly, err := scheduler.NewRecurrence(scheduler.Repeat{Cadence: scheduler.RepeatWeekly}, monday, berlin)
	if err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for _, tc := range []struct {
		name   string
		now    time.Time
		latest time.Time // zero: no round
	}{
		{"on time", monday.Add(time.Second), monday},
		{"a day late", monday.Add(day), monday},
		{"six days late", monday.Add(6 * day), monday},
		{"four weeks down: the latest only", monday.Add(28*day + time.Hour), monday.Add(28 * day)},
		{"three weeks and six days down", monday.Add(27 * day), monday.Add(21 * day)},
	} {
		latest, ok := catchUpRound(weekly, monday, tc.now)
		if ok != !tc.latest.IsZero() || !latest.Equal(tc.latest) {
			t.Errorf("%s: catch up = %v, %v; want %v", tc.name, latest, ok, tc.latest)
		}
	}
	// A round a month apart whose latest time is a week old or more has had its week.
	monthly, err := scheduler.NewRecurrence(scheduler.Repeat{Cadence: scheduler.RepeatMonthly}, monday, berlin)
	if err != nil {
		t.Fatal(err)
	}
	for _, late := range []time.Duration{7 * day, 20 * day} {
		if latest, ok := catchUpRound(monthly, monday, monday.Add(late)); ok {
			t.Errorf("monthly, %v late: catch up = %v, want none", late, latest)
		}
	}
}

// Four weeks down: the weekly round's job forms one round, not four, and
// queues the next round after now.
func TestPairingCatchesUpOnceAfterDowntime(t *testing.T) {
	env, rec, now, g, _ := buddyEnv(t, 4)
	round := firstWeeklyRound(t, env)
	back := round.AddDate(0, 0, 28).Add(time.Hour) // Monday 28 Dec, 11:00 in Berlin
	if n := runScheduler(t, env, now, back); n != 1 {
		t.Errorf("%d jobs ran, want the one round", n)
	}
	if stats, err := env.DB.PairingStatsOf(context.Background(), g.ID); err != nil || stats.Rounds != 1 {
		t.Errorf("stats = %+v, %v; want one round", stats, err)
	}
	if threads := rec.Calls("StartPrivateThread"); len(threads) != 2 {
		t.Errorf("%d threads, want the round's two pairs", len(threads))
	}
	rounds := pendingJobs(t, env, pairingRoundJob.Kind)
	if want := round.AddDate(0, 0, 35); len(rounds) != 1 || !rounds[0].RunAt.Equal(want) {
		t.Errorf("queued rounds = %+v, want the next Monday's, %v", rounds, want)
	}
}

// A round whose time is a week or more past when Kindred comes back is not
// formed: its week is over. The schedule goes on from now.
func TestPairingSkipsARoundWhoseWeekIsOver(t *testing.T) {
	env, rec, now, g, _ := buddyEnv(t, 2)
	// The 1st of each month, 10:00 in Berlin: first Tuesday 1 Dec.
	mustCall(t, env, asFacilitator("pairing/configure", str("group", "Monday Circle"), str("schedule", "0 10 1 * *")))
	runScheduler(t, env, now, time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC))
	if stats, err := env.DB.PairingStatsOf(context.Background(), g.ID); err != nil || stats.Rounds != 0 || len(rec.Calls("StartPrivateThread")) != 0 {
		t.Errorf("stats = %+v, %v; want no round eight days late", stats, err)
	}
	rounds := pendingJobs(t, env, pairingRoundJob.Kind)
	if want := time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC); len(rounds) != 1 || !rounds[0].RunAt.Equal(want) {
		t.Errorf("queued rounds = %+v, want 1 January's", rounds)
	}
}

// A member who erases their data while a round is being formed (after
// their opt-in was read, before the round is recorded) is not written
// back: the round is formed again without them, and no pairing row, job
// or thread names them.
func TestMemberErasedWhileRoundFormsIsLeftOut(t *testing.T) {
	env, rec, _, g, ids := buddyEnv(t, 3)
	erased := ids[0]
	f := &Buddies{env: env}
	f.beforeRecord = func() {
		f.beforeRecord = nil
		if _, err := env.DB.EraseMemberData(context.Background(), erased); err != nil {
			t.Fatal(err)
		}
	}
	settings, err := f.settings(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.formRound(context.Background(), roundRequest{Group: g, Settings: settings, RunBy: facilitatorID})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.round.Pairings) != 1 || slices.Contains(out.round.Pairings[0].Members, erased) {
		t.Fatalf("round = %+v, want one pair of the two others", out.round)
	}
	history, err := env.DB.PairingHistory(context.Background(), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range history {
		if slices.Contains(p.Members, erased) {
			t.Errorf("pairing %d names the erased member", p.ID)
		}
	}
	for _, j := range pendingJobs(t, env, "") {
		if j.UserID == erased || strings.Contains(string(j.Payload), erased) {
			t.Errorf("job %s names the erased member", j.DedupeKey)
		}
	}
	for _, c := range rec.Calls("AddThreadMember") {
		if c.Args[1] == erased {
			t.Error("the erased member was added to a thread")
		}
	}
}

// A group's name is shown as written, never as Markdown, and a command it
// suggests can be copied as it is.
func TestPairingRepliesShowTheGroupNameAsWritten(t *testing.T) {
	env, _, _, _, ids := buddyEnv(t, 2)
	mustCall(t, env, asFacilitator("group/edit", str("group", "Monday Circle"), str("name", "Mon_day *Circle*")))
	resp := mustCall(t, env, asMember(ids[0], "buddy/leave", str("group", "Mon_day *Circle*")))
	if want := `**Mon\_day \*Circle\***`; !strings.Contains(resp.Content, want) {
		t.Errorf("leave = %q, want the name escaped as %s", resp.Content, want)
	}
	if want := "`/buddy join group:Mon_day *Circle*`"; !strings.Contains(resp.Content, want) {
		t.Errorf("leave = %q, want the command %s", resp.Content, want)
	}
}
