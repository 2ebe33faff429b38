package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

var modT0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

const moderator = "200000000000000007"

func warning(guildID, userID string, days int) storage.Warning {
	return storage.Warning{
		GuildID: guildID, UserID: userID, ModeratorID: moderator, Reason: "spam",
		CreatedAt: modT0, ExpiresAt: modT0.Add(time.Duration(days) * 24 * time.Hour),
	}
}

// Twenty moderators warning at once get cases 1..20: no gaps, no duplicates.
func TestWarningCaseNumbersUnderConcurrency(t *testing.T) {
	storagetest.Each(t, testWarningCaseNumbersUnderConcurrency)
}

func testWarningCaseNumbersUnderConcurrency(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	const n = 20
	cases := make([]int64, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			w, _, err := db.AddWarning(ctx, warning(groupGuild, fmt.Sprintf("2000000000000001%02d", i), 90))
			cases[i], errs[i] = w.Case, err
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("warning %d: %v", i, err)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i] < cases[j] })
	for i, c := range cases {
		if c != int64(i+1) {
			t.Fatalf("case numbers = %v, want 1..%d", cases, n)
		}
	}
	// Another server counts from 1.
	w, _, err := db.AddWarning(ctx, warning(otherGuild, alice, 90))
	if err != nil || w.Case != 1 {
		t.Errorf("first case of another server = %d, %v; want 1", w.Case, err)
	}
}

func TestActiveWarningsExpireAndRevoke(t *testing.T) {
	storagetest.Each(t, testActiveWarningsExpireAndRevoke)
}

func testActiveWarningsExpireAndRevoke(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	w1, active, err := db.AddWarning(ctx, warning(groupGuild, alice, 1))
	if err != nil || active != 1 {
		t.Fatalf("first warning: active %d, %v", active, err)
	}
	w2, active, err := db.AddWarning(ctx, warning(groupGuild, alice, 90))
	if err != nil || active != 2 || w2.Case != 2 {
		t.Fatalf("second warning: case %d, active %d, %v", w2.Case, active, err)
	}
	if _, active, _ := db.AddWarning(ctx, warning(groupGuild, bob, 90)); active != 1 {
		t.Errorf("bob's first warning counts %d active, want 1: counts are per member", active)
	}
	if n, _ := db.ActiveWarningCount(ctx, groupGuild, alice, modT0.Add(25*time.Hour)); n != 1 {
		t.Errorf("after a day, active = %d, want 1 (case %d expired)", n, w1.Case)
	}
	revoked, err := db.RevokeWarning(ctx, groupGuild, w2.Case, moderator, "mistake", modT0.Add(time.Hour))
	if err != nil || !revoked.Revoked() || revoked.RevokedBy != moderator || revoked.RevokeReason != "mistake" {
		t.Fatalf("revoke = %+v, %v", revoked, err)
	}
	if _, err := db.RevokeWarning(ctx, groupGuild, w2.Case, moderator, "", modT0.Add(time.Hour)); !errors.Is(err, storage.ErrAlreadyRevoked) {
		t.Errorf("second revoke: %v, want ErrAlreadyRevoked", err)
	}
	if _, err := db.RevokeWarning(ctx, otherGuild, w2.Case, moderator, "", modT0); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("revoke a case of another server: %v, want ErrNotFound", err)
	}
	active2, err := db.ActiveWarnings(ctx, groupGuild, alice, modT0.Add(2*time.Hour))
	if err != nil || len(active2) != 1 || active2[0].Case != w1.Case {
		t.Errorf("active warnings = %+v, %v; want only case %d", active2, err, w1.Case)
	}
	all, err := db.Warnings(ctx, groupGuild, alice)
	if err != nil || len(all) != 2 || !all[1].Revoked() {
		t.Errorf("all warnings = %+v, %v; the revoked one is kept", all, err)
	}
	// The next warning after expiry counts only the unexpired ones.
	late := warning(groupGuild, alice, 90)
	late.CreatedAt, late.ExpiresAt = modT0.Add(48*time.Hour), modT0.Add(90*24*time.Hour)
	if w, active, err := db.AddWarning(ctx, late); err != nil || active != 1 || w.Case != 4 {
		t.Errorf("warning after expiry: case %d, active %d, %v; want case 4 and 1 active", w.Case, active, err)
	}
}

func TestEscalationRules(t *testing.T) { storagetest.Each(t, testEscalationRules) }

func testEscalationRules(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	for _, r := range []storage.EscalationRule{
		{GuildID: groupGuild, Warnings: 3, Action: storage.ActionTimeout, Duration: time.Hour},
		{GuildID: groupGuild, Warnings: 7, Action: storage.ActionKick},
		{GuildID: groupGuild, Warnings: 3, Action: storage.ActionTimeout, Duration: 24 * time.Hour}, // replaces
	} {
		if err := db.SetEscalationRule(ctx, r, moderator, modT0); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.SetEscalationRule(ctx, storage.EscalationRule{GuildID: groupGuild, Warnings: 5, Action: storage.ActionBan, Duration: time.Hour}, moderator, modT0); err == nil {
		t.Error("a ban with a duration was stored")
	}
	rules, err := db.EscalationRules(ctx, groupGuild)
	if err != nil || len(rules) != 2 || rules[0].Duration != 24*time.Hour || rules[1].Action != storage.ActionKick {
		t.Fatalf("rules = %+v, %v", rules, err)
	}
	if r, ok, err := db.EscalationRuleFor(ctx, groupGuild, 3); err != nil || !ok || r.Action != storage.ActionTimeout {
		t.Errorf("rule for 3 = %+v, %v, %v", r, ok, err)
	}
	if _, ok, _ := db.EscalationRuleFor(ctx, otherGuild, 3); ok {
		t.Error("another server's rule applied")
	}
	if ok, err := db.ClearEscalationRule(ctx, groupGuild, 3); !ok || err != nil {
		t.Errorf("clear = %v, %v", ok, err)
	}
	if ok, _ := db.ClearEscalationRule(ctx, groupGuild, 3); ok {
		t.Error("cleared a rule twice")
	}
}

func TestPendingReports(t *testing.T) { storagetest.Each(t, testPendingReports) }

func testPendingReports(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	r := storage.Report{GuildID: groupGuild, ReporterID: alice, ReportedID: bob, ChannelID: "300000000000000001",
		MessageID: "500000000000000001", Reason: "rude", Excerpt: "hello", CreatedAt: modT0}
	first, err := db.AddReport(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddReport(ctx, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimReport(ctx, first.ID, modT0); !ok || err != nil {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := db.ClaimReport(ctx, first.ID, modT0); ok {
		t.Error("claimed a report twice")
	}
	if err := db.ReleaseReport(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	pending, err := db.PendingReports(ctx, groupGuild)
	if err != nil || len(pending) != 2 || pending[0].ReporterID != alice || pending[0].ReportedID != bob {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	claimed, err := db.ClaimPendingReports(ctx, groupGuild, modT0.Add(time.Hour))
	if err != nil || len(claimed) != 2 || claimed[0].DeliveredAt.IsZero() {
		t.Fatalf("claimed = %+v, %v", claimed, err)
	}
	if again, err := db.ClaimPendingReports(ctx, groupGuild, modT0.Add(time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("claimed again = %+v, %v", again, err)
	}
}
