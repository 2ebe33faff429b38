package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var groupsT0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

const (
	groupGuild  = "100000000000000001"
	otherGuild  = "100000000000000002"
	facilitator = "200000000000000009"
	alice       = "200000000000000001"
	bob         = "200000000000000002"
)

func newGroup(name string) storage.Group {
	return storage.Group{
		GuildID: groupGuild, Name: name, Description: "A place to talk", Type: "recovery",
		ChannelID: "300000000000000001", CreatedBy: facilitator,
	}
}

func mustCreateGroup(t *testing.T, db *storage.DB, g storage.Group) storage.Group {
	t.Helper()
	created, err := db.CreateGroup(context.Background(), g, groupsT0)
	if err != nil {
		t.Fatalf("create group %q: %v", g.Name, err)
	}
	return created
}

func TestCreateAndReadGroup(t *testing.T) { storagetest.Each(t, testCreateAndReadGroup) }

func testCreateAndReadGroup(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	in := newGroup("Monday Circle")
	in.RoleID, in.Commitment, in.Timezone = "400000000000000001", "Come most weeks", "Europe/Berlin"
	g := mustCreateGroup(t, db, in)
	want := in
	want.ID, want.Facilitation, want.CreatedAt, want.UpdatedAt = g.ID, "peer-led", groupsT0, groupsT0
	if g != want {
		t.Errorf("created %+v\nwant    %+v", g, want)
	}
	if got, err := db.Group(ctx, g.ID); err != nil || got != want {
		t.Errorf("Group(%d) = %+v, %v", g.ID, got, err)
	}
	for _, name := range []string{"Monday Circle", "monday circle", "MONDAY CIRCLE"} {
		if got, err := db.GroupByName(ctx, groupGuild, name, false); err != nil || got.ID != g.ID {
			t.Errorf("GroupByName(%q) = %+v, %v", name, got, err)
		}
	}
	if _, err := db.GroupByName(ctx, otherGuild, "Monday Circle", true); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("another server's group found: %v", err)
	}
	if _, err := db.Group(ctx, g.ID+1); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Group(missing) err = %v, want ErrNotFound", err)
	}
}

func TestGroupNamesAreUniquePerServerIgnoringCase(t *testing.T) {
	storagetest.Each(t, testGroupNamesAreUniquePerServerIgnoringCase)
}

func testGroupNamesAreUniquePerServerIgnoringCase(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	mustCreateGroup(t, db, newGroup("Monday Circle"))
	mustCreateGroup(t, db, newGroup("Ärzte"))
	for _, name := range []string{"Monday Circle", "monday CIRCLE", "ärzte", "ÄRZTE"} {
		if _, err := db.CreateGroup(ctx, newGroup(name), groupsT0); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("create duplicate %q: err = %v, want ErrConflict", name, err)
		}
	}
	other := newGroup("monday circle")
	other.GuildID = otherGuild
	mustCreateGroup(t, db, other) // another server may use the name
	if got, err := db.GroupByName(ctx, groupGuild, "ÄRZTE", false); err != nil || got.Name != "Ärzte" {
		t.Errorf("GroupByName(ÄRZTE) = %+v, %v", got, err)
	}
	gs, _ := db.ActiveGroups(ctx, groupGuild)
	if len(gs) != 2 {
		t.Errorf("a refused duplicate was stored: %d groups", len(gs))
	}
}

func TestUpdateGroup(t *testing.T) { storagetest.Each(t, testUpdateGroup) }

func testUpdateGroup(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Monday Circle"))
	mustCreateGroup(t, db, newGroup("Tuesday Circle"))
	later := groupsT0.Add(time.Hour)
	desc, role := "Recovery, together", "400000000000000002"
	got, err := db.UpdateGroup(ctx, g.ID, storage.GroupUpdate{Description: &desc, RoleID: &role}, later)
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != desc || got.RoleID != role || got.Name != "Monday Circle" || got.Type != "recovery" || !got.UpdatedAt.Equal(later) {
		t.Errorf("updated = %+v", got)
	}
	// A change of case is the same group's name, not a conflict.
	lower := "monday circle"
	if got, err = db.UpdateGroup(ctx, g.ID, storage.GroupUpdate{Name: &lower}, later); err != nil || got.Name != lower {
		t.Errorf("rename to %q = %+v, %v", lower, got, err)
	}
	taken := "TUESDAY circle"
	if _, err := db.UpdateGroup(ctx, g.ID, storage.GroupUpdate{Name: &taken}, later); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("rename to a taken name: err = %v, want ErrConflict", err)
	}
	if _, err := db.UpdateGroup(ctx, g.ID+100, storage.GroupUpdate{Name: &desc}, later); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("update missing: err = %v, want ErrNotFound", err)
	}
	if stored, _ := db.Group(ctx, g.ID); stored.Name != lower {
		t.Errorf("a refused rename changed the name to %q", stored.Name)
	}
}

func TestArchiveGroupCancelsItsJobs(t *testing.T) {
	storagetest.Each(t, testArchiveGroupCancelsItsJobs)
}

func testArchiveGroupCancelsItsJobs(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Monday Circle"))
	other := mustCreateGroup(t, db, newGroup("Tuesday Circle"))
	// Group 10's keys start with "group:1" too: the prefix's trailing
	// colon is what keeps them apart.
	var g10 storage.Group
	for g10.ID < 10*g.ID {
		g10 = mustCreateGroup(t, db, newGroup(fmt.Sprintf("Filler %d", g10.ID)))
	}
	if g10.ID != 10*g.ID {
		t.Fatalf("group ids %d, %d: want the second to be ten times the first", g.ID, g10.ID)
	}
	for _, key := range []string{
		storage.GroupJobPrefix(g.ID) + "meeting:1:reminder",
		storage.GroupJobPrefix(g.ID) + "pairing",
		storage.GroupJobPrefix(other.ID) + "pairing",
		storage.GroupJobPrefix(g10.ID) + "pairing",
	} {
		if _, err := db.Enqueue(ctx, storage.NewJob{Kind: "test", GuildID: groupGuild, RunAt: groupsT0.Add(time.Hour), DedupeKey: key}); err != nil {
			t.Fatalf("enqueue %s: %v", key, err)
		}
	}
	if err := db.JoinGroup(ctx, g.ID, alice, groupsT0); err != nil {
		t.Fatal(err)
	}
	later := groupsT0.Add(time.Hour)
	archived, cancelled, err := db.ArchiveGroup(ctx, g.ID, later)
	if err != nil {
		t.Fatal(err)
	}
	if cancelled != 2 || !archived.Archived() || !archived.ArchivedAt.Equal(later) {
		t.Errorf("archive = %+v, cancelled %d; want archived at %v, 2 jobs cancelled", archived, cancelled, later)
	}
	// The group keeps its history: its members and its name.
	if archived.Members != 1 {
		t.Errorf("archived group has %d members, want 1", archived.Members)
	}
	if _, err := db.GroupByName(ctx, groupGuild, "Monday Circle", false); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("archived group found among active ones: %v", err)
	}
	if got, err := db.GroupByName(ctx, groupGuild, "monday circle", true); err != nil || got.ID != g.ID {
		t.Errorf("GroupByName with archived = %+v, %v", got, err)
	}
	if _, err := db.CreateGroup(ctx, newGroup("Monday Circle"), later); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("an archived group's name was reused: %v", err)
	}
	if err := db.JoinGroup(ctx, g.ID, bob, later); !errors.Is(err, storage.ErrArchived) {
		t.Errorf("join archived: err = %v, want ErrArchived", err)
	}
	if _, _, err := db.ArchiveGroup(ctx, g.ID, later); !errors.Is(err, storage.ErrArchived) {
		t.Errorf("archive twice: err = %v, want ErrArchived", err)
	}
	if _, _, err := db.ArchiveGroup(ctx, 9999, later); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("archive missing: err = %v, want ErrNotFound", err)
	}
	// Only the archived group's jobs are gone.
	for _, id := range []int64{other.ID, g10.ID} {
		if n, err := db.CancelJobs(ctx, storage.GroupJobPrefix(id)); err != nil || n != 1 {
			t.Errorf("group %d has %d jobs left (%v), want 1", id, n, err)
		}
	}
}

func TestActiveGroupsAndSearch(t *testing.T) { storagetest.Each(t, testActiveGroupsAndSearch) }

func testActiveGroupsAndSearch(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	names := []string{"Monday Circle", "morning pages", "Evening Circle", "Ärzte im Gespräch", "Archived circle"}
	ids := map[string]int64{}
	for _, n := range names {
		ids[n] = mustCreateGroup(t, db, newGroup(n)).ID
	}
	if _, _, err := db.ArchiveGroup(ctx, ids["Archived circle"], groupsT0); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{alice, bob} {
		if err := db.JoinGroup(ctx, ids["Monday Circle"], u, groupsT0); err != nil {
			t.Fatal(err)
		}
	}
	other := newGroup("Other server's circle")
	other.GuildID = otherGuild
	mustCreateGroup(t, db, other)

	active, err := db.ActiveGroups(ctx, groupGuild)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range active {
		got = append(got, fmt.Sprintf("%s:%d", g.Name, g.Members))
	}
	if want := "[Evening Circle:0 Monday Circle:2 morning pages:0 Ärzte im Gespräch:0]"; fmt.Sprint(got) != want {
		t.Errorf("active groups = %v, want %s", got, want)
	}

	tests := []struct {
		query string
		limit int
		want  string
	}{
		{"", 25, "[Evening Circle Monday Circle morning pages Ärzte im Gespräch]"},
		{"mo", 25, "[Monday Circle morning pages]"},
		{"MO", 1, "[Monday Circle]"},
		{"circle", 25, "[Evening Circle Monday Circle]"}, // contains, after prefixes (none here)
		{"ärz", 25, "[Ärzte im Gespräch]"},
		{"ÄRZ", 25, "[Ärzte im Gespräch]"},
		{"e", 25, "[Evening Circle Monday Circle morning pages Ärzte im Gespräch]"}, // prefix first
		{"archived", 25, "[]"},
		{"other", 25, "[]"},
	}
	for _, tt := range tests {
		gs, err := db.SearchActiveGroups(ctx, groupGuild, tt.query, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, g := range gs {
			got = append(got, g.Name)
		}
		if fmt.Sprint(got) != tt.want {
			t.Errorf("search %q = %v, want %s", tt.query, got, tt.want)
		}
	}
}

func TestMembership(t *testing.T) { storagetest.Each(t, testMembership) }

func testMembership(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g := mustCreateGroup(t, db, newGroup("Monday Circle"))
	h := mustCreateGroup(t, db, newGroup("Evening Circle"))
	if err := db.JoinGroup(ctx, g.ID, alice, groupsT0); err != nil {
		t.Fatal(err)
	}
	if err := db.JoinGroup(ctx, g.ID, alice, groupsT0); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("join twice: err = %v, want ErrConflict", err)
	}
	if err := db.JoinGroup(ctx, 9999, alice, groupsT0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("join missing group: err = %v, want ErrNotFound", err)
	}
	if err := db.JoinGroup(ctx, g.ID, bob, groupsT0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := db.JoinGroup(ctx, h.ID, alice, groupsT0); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.IsGroupMember(ctx, g.ID, alice); err != nil || !ok {
		t.Errorf("IsGroupMember(alice) = %v, %v", ok, err)
	}
	if members, err := db.GroupMembers(ctx, g.ID); err != nil || fmt.Sprint(members) != fmt.Sprint([]string{alice, bob}) {
		t.Errorf("members = %v, %v", members, err)
	}
	mine, err := db.GroupsOfMember(ctx, groupGuild, alice)
	if err != nil || len(mine) != 2 || mine[0].Name != "Evening Circle" || mine[1].Name != "Monday Circle" {
		t.Errorf("alice's groups = %+v, %v", mine, err)
	}
	if err := db.LeaveGroup(ctx, g.ID, alice); err != nil {
		t.Fatal(err)
	}
	if err := db.LeaveGroup(ctx, g.ID, alice); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("leave twice: err = %v, want ErrNotFound", err)
	}
	if ok, _ := db.IsGroupMember(ctx, g.ID, alice); ok {
		t.Error("alice is still a member after leaving")
	}
	if got, _ := db.Group(ctx, g.ID); got.Members != 1 {
		t.Errorf("member count = %d, want 1", got.Members)
	}
	// A member of an archived group can still leave it.
	if _, _, err := db.ArchiveGroup(ctx, g.ID, groupsT0); err != nil {
		t.Fatal(err)
	}
	if err := db.LeaveGroup(ctx, g.ID, bob); err != nil {
		t.Errorf("leave archived group: %v", err)
	}
}

// Membership at a moment: who had joined by then and not yet left, whatever
// happened afterwards.
func TestGroupMembersAt(t *testing.T) { storagetest.Each(t, testGroupMembersAt) }

func testGroupMembersAt(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	const carol, dana = "200000000000000003", "200000000000000004"
	g := mustCreateGroup(t, db, newGroup("Monday Circle"))
	h := mustCreateGroup(t, db, newGroup("Evening Circle"))
	at := func(hours float64) time.Time { return groupsT0.Add(time.Duration(hours * float64(time.Hour))) }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.JoinGroup(ctx, g.ID, alice, at(0)))
	must(db.JoinGroup(ctx, g.ID, bob, at(1)))
	must(db.JoinGroup(ctx, h.ID, dana, at(0))) // another group's member never shows
	must(db.LeaveGroupAt(ctx, g.ID, alice, at(2)))
	must(db.JoinGroup(ctx, g.ID, alice, at(3))) // rejoins
	must(db.JoinGroup(ctx, g.ID, carol, at(1)))
	must(db.LeaveGroupAt(ctx, g.ID, carol, at(1))) // a membership of no length
	must(db.LeaveGroupAt(ctx, g.ID, bob, at(4)))
	if err := db.LeaveGroupAt(ctx, g.ID, bob, at(5)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("leave twice: err = %v, want ErrNotFound", err)
	}
	tests := []struct {
		hours float64
		want  []string
	}{
		{-0.001, nil},
		{0, []string{alice}}, // from the second she joined
		{1, []string{alice, bob}},
		{1.999, []string{alice, bob}},
		{2, []string{bob}}, // not in the second she left
		{3, []string{alice, bob}},
		{4, []string{alice}},
		{100, []string{alice}},
	}
	for _, tt := range tests {
		got, err := db.GroupMembersAt(ctx, g.ID, at(tt.hours))
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("members at T0%+gh = %v, %v; want %v", tt.hours, got, err, tt.want)
		}
	}
	// An archived group still knows its past.
	if _, _, err := db.ArchiveGroup(ctx, g.ID, at(6)); err != nil {
		t.Fatal(err)
	}
	if got, err := db.GroupMembersAt(ctx, g.ID, at(1)); err != nil || fmt.Sprint(got) != fmt.Sprint([]string{alice, bob}) {
		t.Errorf("archived group's members at T0+1h = %v, %v", got, err)
	}
	// /mydata delete erases a member from every moment.
	if _, err := db.EraseMemberData(ctx, alice); err != nil {
		t.Fatal(err)
	}
	for _, hours := range []float64{0, 1, 100} {
		if got, err := db.GroupMembersAt(ctx, g.ID, at(hours)); err != nil || slices.Contains(got, alice) {
			t.Errorf("after erasing, members at T0%+gh = %v, %v; want no alice", hours, got, err)
		}
	}
}
