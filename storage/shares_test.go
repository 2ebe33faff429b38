package storage_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kindred-bot/kindred/storage"
	"github.com/kindred-bot/kindred/storage/storagetest"
)

const (
	shGuild  = "760000000000000001"
	shOther  = "760000000000000002"
	shAlice  = "770000000000000001"
	shBob    = "770000000000000002"
	shMod    = "770000000000000009"
	shSecret = "the words only alice wrote"
)

var shT0 = time.Date(2026, 11, 25, 18, 0, 0, 0, time.UTC)

// A share's life: the day's limit and blocks are decided in the insert's
// transaction; a decision is taken once; deleting empties the text; a
// block needs a warning through a share; /mydata covers shares.
func TestShares(t *testing.T) { storagetest.Each(t, testShares) }

func testShares(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	g, err := db.CreateGroup(ctx, storage.Group{GuildID: shGuild, Name: "Circle", Description: "d", Type: "recovery", ChannelID: "780000000000000001", CreatedBy: shMod}, shT0)
	if err != nil {
		t.Fatal(err)
	}
	dayStart, dayEnd := shT0.Add(-18*time.Hour), shT0.Add(6*time.Hour)
	create := func(user, text string, at time.Time) (storage.Share, error) {
		return db.CreateShare(ctx, storage.Share{GuildID: shGuild, GroupID: g.ID, UserID: user, Text: text, ContentWarning: "grief", CreatedAt: at}, dayStart, dayEnd, 3)
	}
	var shares []storage.Share
	for i := range 3 {
		s, err := create(shAlice, shSecret, shT0.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatalf("share %d: %v", i, err)
		}
		if s.State != storage.SharePending || s.ID == 0 {
			t.Fatalf("created %+v", s)
		}
		shares = append(shares, s)
	}
	if _, err := create(shAlice, "a fourth", shT0.Add(time.Hour)); !errors.Is(err, storage.ErrShareLimit) {
		t.Fatalf("fourth share of the day: err = %v, want ErrShareLimit", err)
	}
	if _, err := create(shBob, "bob's first", shT0); err != nil {
		t.Fatalf("another member's share: %v", err)
	}
	first := shares[0]
	if err := db.SetShareCard(ctx, first.ID, "780000000000000002", "790000000000000001"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.ShareByMessage(ctx, shGuild, "790000000000000001"); err != nil || got.ID != first.ID {
		t.Fatalf("share by card = %+v, %v", got, err)
	}
	if _, err := db.ShareByMessage(ctx, shOther, "790000000000000001"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("share by card from another server: err = %v, want ErrNotFound", err)
	}
	if _, err := db.Share(ctx, shOther, first.ID); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("share of another server: err = %v", err)
	}
	approved, err := db.DecideShare(ctx, shGuild, first.ID, storage.SharePosted, shMod, "", shT0)
	if err != nil || approved.State != storage.SharePosted || approved.DecidedBy != shMod {
		t.Fatalf("approve = %+v, %v", approved, err)
	}
	if _, err := db.DecideShare(ctx, shGuild, first.ID, storage.ShareRejected, shMod, "no", shT0); !errors.Is(err, storage.ErrShareDecided) {
		t.Errorf("second decision: err = %v, want ErrShareDecided", err)
	}
	if ok, err := db.SetSharePost(ctx, first.ID, "780000000000000001", "790000000000000002", "780000000000000003", shT0); err != nil || !ok {
		t.Fatalf("record post = %v, %v", ok, err)
	}
	if got, _ := db.ShareByMessage(ctx, shGuild, "790000000000000002"); got.ID != first.ID || got.ThreadID != "780000000000000003" || got.PostedAt.IsZero() {
		t.Errorf("share by post = %+v", got)
	}
	rejected, err := db.DecideShare(ctx, shGuild, shares[1].ID, storage.ShareRejected, shMod, "too identifying", shT0)
	if err != nil || rejected.RejectReason != "too identifying" {
		t.Fatalf("reject = %+v, %v", rejected, err)
	}

	// A block needs a warning through a share first.
	if _, err := db.BlockShareAuthor(ctx, shGuild, first.ID, shMod, shT0); !errors.Is(err, storage.ErrShareNotWarned) {
		t.Fatalf("block before a warning: err = %v, want ErrShareNotWarned", err)
	}
	w, active, err := db.AddShareWarning(ctx, storage.Warning{GuildID: shGuild, UserID: shAlice, ModeratorID: shMod, Reason: "unkind",
		CreatedAt: shT0, ExpiresAt: shT0.Add(90 * 24 * time.Hour)}, first.ID)
	if err != nil || w.Case != 1 || active != 1 {
		t.Fatalf("share warning = %+v, %d, %v", w, active, err)
	}
	if cases, err := db.ShareWarningCases(ctx, shGuild); err != nil || !cases[1] || len(cases) != 1 {
		t.Errorf("share warning cases = %v, %v", cases, err)
	}
	if blocked, err := db.BlockShareAuthor(ctx, shGuild, shares[2].ID, shMod, shT0); err != nil || !blocked {
		t.Fatalf("block = %v, %v", blocked, err)
	}
	if blocked, err := db.BlockShareAuthor(ctx, shGuild, shares[2].ID, shMod, shT0); err != nil || blocked {
		t.Errorf("second block = %v, %v; want false, nil", blocked, err)
	}
	if _, err := db.CreateShare(ctx, storage.Share{GuildID: shGuild, GroupID: g.ID, UserID: shAlice, Text: "x", CreatedAt: shT0.Add(48 * time.Hour)},
		shT0.Add(40*time.Hour), shT0.Add(60*time.Hour), 3); !errors.Is(err, storage.ErrShareBlocked) {
		t.Errorf("share while blocked: err = %v, want ErrShareBlocked", err)
	}
	if lifted, err := db.UnblockShareAuthor(ctx, shGuild, shares[2].ID); err != nil || !lifted {
		t.Errorf("unblock = %v, %v", lifted, err)
	}

	// Deleting: only the author, once; the text goes.
	if _, err := db.DeleteShare(ctx, shGuild, shares[2].ID, shBob); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("delete by someone else: err = %v", err)
	}
	if _, err := db.DeleteShare(ctx, shGuild, shares[2].ID, shAlice); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Share(ctx, shGuild, shares[2].ID); got.State != storage.ShareDeleted || got.Text != "" || got.ContentWarning != "" {
		t.Errorf("deleted share = %+v", got)
	}
	mine, err := db.MemberShares(ctx, shGuild, shAlice)
	if err != nil || len(mine) != 2 {
		t.Fatalf("alice's shares = %d, %v; want the 2 not deleted", len(mine), err)
	}

	d, err := db.ExportMemberData(ctx, shAlice, shT0)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Shares) != 2 || d.Shares[0].Text != shSecret {
		t.Errorf("exported shares = %+v", d.Shares)
	}
	bobs, err := db.ExportMemberData(ctx, shMod, shT0)
	if err != nil || len(bobs.Shares) != 0 {
		t.Errorf("the moderator's export holds %d shares (%v)", len(bobs.Shares), err)
	}
	erased, err := db.EraseMemberData(ctx, shAlice)
	if err != nil {
		t.Fatal(err)
	}
	if erased.Shares != 3 || len(erased.SharePosts) != 2 {
		t.Errorf("erased %d shares with posts %+v; want 3 and the first's post and card", erased.Shares, erased.SharePosts)
	}
	if mine, _ := db.MemberShares(ctx, shGuild, shAlice); len(mine) != 0 {
		t.Errorf("after erasing, alice has %d shares", len(mine))
	}
	if ws, _ := db.Warnings(ctx, shGuild, shAlice); len(ws) != 1 {
		t.Errorf("the warning through a share is a moderation record and stays: %d warnings", len(ws))
	}
}
